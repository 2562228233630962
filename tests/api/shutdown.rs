//! The accept loop's end (`goblet::http::server::serve`): a request in flight when the server is
//! told to stop gets its answer; one still running after the grace period is dropped; nothing new
//! is accepted.

use std::time::Duration;

use goblet::http::server::{Limits, serve};
use poem::{Route, get, handler};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

#[handler]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "done"
}

#[handler]
async fn stuck() -> &'static str {
    std::future::pending::<()>().await;
    "never"
}

/// A server on a free loopback port; sending on the returned channel tells it to stop.
async fn start(grace: Duration) -> (String, oneshot::Sender<()>, JoinHandle<std::io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Route::new().at("/slow", get(slow)).at("/stuck", get(stuck));
    let (stop, stopped) = oneshot::channel();
    let server = tokio::spawn(serve(
        listener,
        app,
        async {
            let _ = stopped.await;
        },
        grace,
        Limits {
            header_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(60),
            max_connections: 100,
            max_connections_per_address: 100,
            trusted_proxies: vec![],
        },
    ));
    (base, stop, server)
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_is_answered_and_new_ones_are_refused() {
    let (base, stop, server) = start(Duration::from_secs(30)).await;
    let url = format!("{base}/slow");
    let request = tokio::spawn(async move { reqwest::get(url).await?.text().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    assert_eq!(request.await.unwrap().unwrap(), "done");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once its last request is answered")
        .unwrap()
        .unwrap();
    assert!(reqwest::get(format!("{base}/slow")).await.is_err());
}

#[tokio::test]
async fn a_request_still_running_after_the_grace_period_is_dropped() {
    let (base, stop, server) = start(Duration::from_millis(200)).await;
    let request = tokio::spawn(reqwest::get(format!("{base}/stuck")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after the grace period")
        .unwrap()
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("the client hears the connection close")
        .unwrap();
    assert!(answer.is_err(), "no answer, the connection was closed");
}
