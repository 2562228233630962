//! The accept loop, in place of poem's `Server`. Poem's server boxes every connection as a stream
//! split in two halves behind a lock, without vectored writes, so hyper copies each body chunk
//! into its own write buffer before the socket sees it (a tenth of the server's CPU time while
//! streaming a video, measured with perf), and every read and write of a room socket takes that
//! lock. Here hyper gets the `TcpStream` itself and writes the file's chunks as they are.

use std::{convert::Infallible, future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Request, Response,
    web::{LocalAddr, RemoteAddr},
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

type ResponseBody = http_body_util::combinators::BoxBody<hyper::body::Bytes, io::Error>;

/// A pause after a failed accept (out of file descriptors, say), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `signal` completes; then stops accepting, lets the open
/// requests finish for up to `grace`, and drops whatever is still running.
pub async fn serve(
    listener: TcpListener,
    app: impl IntoEndpoint<Endpoint: 'static>,
    signal: impl Future<Output = ()>,
    grace: Duration,
) -> io::Result<()> {
    let app = Arc::new(app.into_endpoint().map_to_response());
    let local = LocalAddr(listener.local_addr()?.into());
    let stopping = CancellationToken::new();
    let abandon = CancellationToken::new();
    let connections = TaskTracker::new();
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        connections.spawn(connection(
            stream,
            peer,
            local.clone(),
            app.clone(),
            Shutdown {
                stopping: stopping.clone(),
                abandon: abandon.clone(),
            },
        ));
    }
    drop(listener);
    stopping.cancel();
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::info!(
            open = connections.len(),
            "closing the connections still open after the grace period"
        );
        abandon.cancel();
        connections.wait().await;
    }
    Ok(())
}

/// What a connection hears of the server's end: `stopping` to finish the request in flight and
/// close, `abandon` once the grace period is over.
struct Shutdown {
    stopping: CancellationToken,
    abandon: CancellationToken,
}

/// One connection: HTTP/1.1 or HTTP/2, with upgrades (the room sockets).
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    local: LocalAddr,
    app: Arc<impl Endpoint<Output = Response> + 'static>,
    shutdown: Shutdown,
) {
    // Small socket messages go out at once rather than waiting to be merged (Nagle).
    let _ = stream.set_nodelay(true);
    let remote = RemoteAddr(peer.into());
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        let request = Request::from((
            request,
            local.clone(),
            remote.clone(),
            poem::http::uri::Scheme::HTTP,
        ));
        async move {
            Ok::<_, Infallible>(hyper::Response::<ResponseBody>::from(
                app.get_response(request).await,
            ))
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = shutdown.stopping.cancelled() => {}
    }
    // Finish the request in flight, then close; or drop it when the grace period ends.
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        _ = connection => {}
        () = shutdown.abandon.cancelled() => {}
    }
}
