//! The accept loop, in place of poem's `Server`. Poem's server boxes every connection as a stream
//! split in two halves behind a lock, without vectored writes, so hyper copies each body chunk
//! into its own write buffer before the socket sees it (a tenth of the server's CPU time while
//! streaming a video, measured with perf), and every read and write of a room socket takes that
//! lock. Here hyper gets the `TcpStream` itself (in a thin wrapper that notes activity) and writes
//! the file's chunks as they are.
//!
//! The loop also keeps strangers from starving the process: connections over a cap (all of them
//! together, or from one address) are closed at once, and each connection has timeouts for its
//! request headers and for idling between requests.

use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Request, Response,
    web::{LocalAddr, RemoteAddr},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::Notify,
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::Config, limits::network_of};

type ResponseBody = http_body_util::combinators::BoxBody<Bytes, io::Error>;

/// A pause after a failed accept (out of file descriptors, say), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Refused connections are logged as a count at most this often, never one line each: a flood
/// would otherwise fill the disk with the log.
const REFUSAL_REPORT_EVERY: Duration = Duration::from_secs(10);
/// Open files kept back from connections when the cap comes from the open-file limit: the
/// database, uploads' temporary files and the videos being streamed need descriptors too.
const MIN_FILE_RESERVE: u64 = 64;

/// What one connection, and all of them together, may hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time from the first byte of a request to the end of its headers (and from connecting to
    /// the first request).
    pub header_timeout: Duration,
    /// A connection with no request in flight and no byte moving for this long is closed.
    pub keep_alive: Duration,
    /// Most connections open at once, room sockets included.
    pub max_connections: usize,
    /// Most connections open at once from one address.
    pub max_connections_per_address: usize,
    /// Addresses exempt from the per-address cap (proxies: every connection comes from them).
    pub trusted_proxies: Vec<IpAddr>,
}

impl Limits {
    /// The configured limits. A `max_connections` of 0 first raises the soft open-file limit to
    /// the hard one and takes the cap from it, less a reserve. Logs the limits in force.
    pub fn from_config(config: &Config) -> Self {
        let open_files = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(error) => {
                tracing::warn!(%error, "could not read or raise the open-file limit");
                None
            }
        };
        let max_connections = match (config.max_connections, open_files) {
            (0, Some(open_files)) => derived_cap(open_files),
            (0, None) => derived_cap(1024),
            (configured, _) => configured,
        };
        let limits = Self {
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            keep_alive: Duration::from_secs(config.keep_alive_secs),
            max_connections,
            max_connections_per_address: config.max_connections_per_address,
            trusted_proxies: config
                .trusted_proxies
                .iter()
                .map(|address| address.to_canonical())
                .collect(),
        };
        tracing::info!(
            open_files,
            max_connections = limits.max_connections,
            max_connections_per_address = limits.max_connections_per_address,
            header_timeout_secs = config.header_timeout_secs,
            keep_alive_secs = config.keep_alive_secs,
            "connection limits"
        );
        if open_files.is_some_and(|n| n <= limits.max_connections as u64) {
            tracing::warn!(
                "max_connections is not below the open-file limit: a flood of connections can \
                 leave the server without descriptors for files; lower it or leave it at 0"
            );
        }
        limits
    }
}

/// Connections allowed under an open-file limit: a quarter (at least 64) stays for files.
fn derived_cap(open_files: u64) -> usize {
    let reserve = (open_files / 4).max(MIN_FILE_RESERVE);
    let cap = open_files.saturating_sub(reserve).max(1);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// Serves `app` on `listener` until `signal` completes; then stops accepting, lets the open
/// requests finish for up to `grace`, and drops whatever is still running.
pub async fn serve(
    listener: TcpListener,
    app: impl IntoEndpoint<Endpoint: 'static>,
    signal: impl Future<Output = ()>,
    grace: Duration,
    limits: Limits,
) -> io::Result<()> {
    let app = Arc::new(app.into_endpoint().map_to_response());
    let local = LocalAddr(listener.local_addr()?.into());
    let stopping = CancellationToken::new();
    let abandon = CancellationToken::new();
    let connections = TaskTracker::new();
    let counts = Arc::new(Mutex::new(Counts::default()));
    let mut refusals = Refusals::default();
    let mut report = tokio::time::interval(Duration::from_secs(1));
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let timeouts = Timeouts {
        header: limits.header_timeout,
        keep_alive: limits.keep_alive,
    };
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut signal => break,
            _ = report.tick() => {
                refusals.report_if_due(Instant::now(), &limits);
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    refusals.note(Refused::AcceptFailed(error.to_string()), Instant::now(), &limits);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let address = peer.ip().to_canonical();
        let exempt = limits.trusted_proxies.contains(&address);
        // IPv6 by its /64: whoever holds one can pick any address in it.
        let slot = match Slot::take(&counts, network_of(address), exempt, &limits) {
            Ok(slot) => slot,
            Err(refused) => {
                // Accepted only to be closed: left in the queue it would wait for a descriptor
                // the process may not have, and take everyone's place in line.
                drop(stream);
                refusals.note(refused, Instant::now(), &limits);
                continue;
            }
        };
        connections.spawn(connection(
            stream,
            slot,
            peer,
            local.clone(),
            app.clone(),
            timeouts,
            Shutdown {
                stopping: stopping.clone(),
                abandon: abandon.clone(),
            },
        ));
    }
    refusals.report_if_due(Instant::now() + REFUSAL_REPORT_EVERY, &limits);
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

#[derive(Clone, Copy, Debug)]
struct Timeouts {
    header: Duration,
    keep_alive: Duration,
}

/// One connection: HTTP/1.1 or HTTP/2, with upgrades (the room sockets).
async fn connection(
    stream: TcpStream,
    slot: Slot,
    peer: SocketAddr,
    local: LocalAddr,
    app: Arc<impl Endpoint<Output = Response> + 'static>,
    timeouts: Timeouts,
    shutdown: Shutdown,
) {
    // Small socket messages go out at once rather than waiting to be merged (Nagle).
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    // The slot lives as long as the stream, which an upgraded socket takes with it: room sockets
    // count against the caps for their whole life.
    let io = Watched {
        stream,
        activity: activity.clone(),
        _slot: slot,
    };
    let remote = RemoteAddr(peer.into());
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        let in_flight = InFlight::start(requests.clone());
        let request = Request::from((
            request,
            local.clone(),
            remote.clone(),
            poem::http::uri::Scheme::HTTP,
        ));
        async move {
            let response = hyper::Response::<ResponseBody>::from(app.get_response(request).await);
            // The request stays in flight until its body has gone out (or the connection closes):
            // a paused video download is not an idle connection.
            Ok::<_, Infallible>(response.map(|body| Tracked {
                body,
                _in_flight: in_flight,
            }))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(HeaderTimer {
            activity: activity.clone(),
        })
        .header_read_timeout(timeouts.header);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut check_at = activity.accepted + timeouts.header;
    loop {
        tokio::select! {
            // Also ends when the connection is upgraded: a room socket keeps its own pings and
            // silence limit, not these.
            _ = connection.as_mut() => return,
            () = shutdown.stopping.cancelled() => break,
            // The last request in flight has ended: the idle time counts from now.
            () = activity.ended.notified() => {}
            () = tokio::time::sleep_until(check_at) => {}
        }
        match activity.closes_at(timeouts) {
            Some(at) if at <= Instant::now() => {
                tracing::debug!(%peer, "closing an idle connection");
                return;
            }
            Some(at) => check_at = at,
            // Busy: the end of the request wakes the loop.
            None => check_at = Instant::now() + timeouts.keep_alive,
        }
    }
    // Finish the request in flight, then close; or drop it when the grace period ends.
    connection.as_mut().graceful_shutdown();
    tokio::select! {
        _ = connection => {}
        () = shutdown.abandon.cancelled() => {}
    }
}

/// What a connection's timers know of it. Bytes are noted as they move through [`Watched`],
/// requests by the service from the moment their headers are read until their answer has gone.
struct Activity {
    accepted: Instant,
    /// Milliseconds after `accepted` that a byte was last read or written.
    last_byte_ms: AtomicU64,
    /// Reads that brought bytes: the header timer starts its clock at the first one.
    reads: AtomicU64,
    requests_started: AtomicU64,
    in_flight: AtomicUsize,
    /// Told when the last request in flight ends.
    ended: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            accepted: Instant::now(),
            last_byte_ms: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            requests_started: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            ended: Notify::new(),
        }
    }

    fn touch(&self) {
        let ms = self.accepted.elapsed().as_millis();
        self.last_byte_ms
            .store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn closes_at(&self, timeouts: Timeouts) -> Option<Instant> {
        closes_at(
            IdleState {
                accepted: self.accepted,
                last_byte: self.accepted
                    + Duration::from_millis(self.last_byte_ms.load(Ordering::Relaxed)),
                requests_started: self.requests_started.load(Ordering::Relaxed),
                in_flight: self.in_flight.load(Ordering::Relaxed),
            },
            timeouts,
        )
    }
}

#[derive(Clone, Copy, Debug)]
struct IdleState {
    accepted: Instant,
    last_byte: Instant,
    requests_started: u64,
    in_flight: usize,
}

/// When a connection is to be closed for idling, or None while a request is in flight. The
/// first request's headers must be in within the header timeout of connecting (a connection
/// that never sends one is not kept for the longer keep-alive time); after that, a connection
/// may rest between requests for the keep-alive time.
fn closes_at(state: IdleState, timeouts: Timeouts) -> Option<Instant> {
    if state.in_flight > 0 {
        None
    } else if state.requests_started == 0 {
        Some(state.accepted + timeouts.header)
    } else {
        Some(state.last_byte + timeouts.keep_alive)
    }
}

/// Marks a request as in flight while it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.requests_started.fetch_add(1, Ordering::Relaxed);
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        if self.0.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.0.ended.notify_one();
        }
    }
}

/// A response body that keeps its request in flight until hyper is done with it.
struct Tracked {
    body: ResponseBody,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's stream, noting each byte that moves. Vectored writes pass straight through.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    _slot: Slot,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.reads.fetch_add(1, Ordering::Relaxed);
            this.activity.touch();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// hyper's timer for the header timeout, which hyper also starts while a keep-alive connection
/// waits for its next request, and would so cut every idle connection at the header timeout.
/// This one starts the clock at the first byte that arrives after hyper asked for it; the wait
/// before that is the keep-alive timer's business.
#[derive(Clone)]
struct HeaderTimer {
    activity: Arc<Activity>,
}

impl hyper::rt::Timer for HeaderTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeaderSleep {
            activity: self.activity.clone(),
            reads_before: self.activity.reads.load(Ordering::Relaxed),
            duration,
            sleep: None,
        })
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep(deadline.saturating_duration_since(std::time::Instant::now()))
    }
}

struct HeaderSleep {
    activity: Arc<Activity>,
    reads_before: u64,
    duration: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Future for HeaderSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.sleep.is_none() {
            // hyper polls this only after a read of the connection came back empty, so the
            // next byte wakes it again.
            if this.activity.reads.load(Ordering::Relaxed) == this.reads_before {
                return Poll::Pending;
            }
            this.sleep = Some(Box::pin(tokio::time::sleep(this.duration)));
        }
        this.sleep
            .as_mut()
            .map_or(Poll::Pending, |sleep| sleep.as_mut().poll(cx))
    }
}

impl hyper::rt::Sleep for HeaderSleep {}

/// Open connections, in total and by address.
#[derive(Default, Debug)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

#[derive(Debug, PartialEq, Eq)]
enum Refused {
    Full,
    AddressFull,
    AcceptFailed(String),
}

impl Counts {
    /// Counts a new connection from `address`, or says which cap it is over. `exempt` addresses
    /// count in the total only.
    fn admit(&mut self, address: IpAddr, exempt: bool, limits: &Limits) -> Result<(), Refused> {
        if self.total >= limits.max_connections {
            return Err(Refused::Full);
        }
        if !exempt {
            let open = self.by_address.entry(address).or_default();
            if *open >= limits.max_connections_per_address {
                return Err(Refused::AddressFull);
            }
            *open += 1;
        }
        self.total += 1;
        Ok(())
    }

    fn release(&mut self, address: IpAddr, exempt: bool) {
        self.total -= 1;
        if !exempt && let Some(open) = self.by_address.get_mut(&address) {
            *open -= 1;
            if *open == 0 {
                self.by_address.remove(&address);
            }
        }
    }
}

/// A counted connection; leaves the counts when dropped.
struct Slot {
    counts: Arc<Mutex<Counts>>,
    address: IpAddr,
    exempt: bool,
}

impl Slot {
    fn take(
        counts: &Arc<Mutex<Counts>>,
        address: IpAddr,
        exempt: bool,
        limits: &Limits,
    ) -> Result<Self, Refused> {
        counts.lock().unwrap().admit(address, exempt, limits)?;
        Ok(Self {
            counts: counts.clone(),
            address,
            exempt,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counts
            .lock()
            .unwrap()
            .release(self.address, self.exempt);
    }
}

/// Refused connections since the last report: the first after a quiet spell is reported at
/// once, the rest as a count at most every [`REFUSAL_REPORT_EVERY`].
#[derive(Default, Debug)]
struct Refusals {
    full: usize,
    address_full: usize,
    failed: usize,
    last_error: Option<String>,
    last_report: Option<Instant>,
}

impl Refusals {
    fn note(&mut self, refused: Refused, now: Instant, limits: &Limits) {
        match refused {
            Refused::Full => self.full += 1,
            Refused::AddressFull => self.address_full += 1,
            Refused::AcceptFailed(error) => {
                self.failed += 1;
                self.last_error = Some(error);
            }
        }
        self.report_if_due(now, limits);
    }

    fn is_due(&self, now: Instant) -> bool {
        self.full + self.address_full + self.failed > 0
            && self
                .last_report
                .is_none_or(|last| now.duration_since(last) >= REFUSAL_REPORT_EVERY)
    }

    fn report_if_due(&mut self, now: Instant, limits: &Limits) {
        if !self.is_due(now) {
            return;
        }
        if self.full + self.address_full > 0 {
            tracing::warn!(
                over_max_connections = self.full,
                over_max_connections_per_address = self.address_full,
                max_connections = limits.max_connections,
                max_connections_per_address = limits.max_connections_per_address,
                "closed new connections over the caps (counted since the last such line)"
            );
        }
        if self.failed > 0 {
            tracing::warn!(
                failures = self.failed,
                error = self.last_error.as_deref().unwrap_or_default(),
                "could not accept connections (counted since the last such line)"
            );
        }
        *self = Self {
            last_report: Some(now),
            ..Self::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_address: usize) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(60),
            max_connections: total,
            max_connections_per_address: per_address,
            trusted_proxies: vec![],
        }
    }

    #[test]
    fn the_cap_keeps_a_quarter_of_the_open_files_and_at_least_64() {
        assert_eq!(derived_cap(1024), 768);
        assert_eq!(derived_cap(1_048_576), 786_432);
        assert_eq!(derived_cap(200), 136);
        assert_eq!(derived_cap(64), 1);
    }

    #[test]
    fn caps_count_per_address_and_in_total_and_exempt_proxies_only_in_total() {
        let limits = limits(3, 2);
        let (a, b, proxy): (IpAddr, IpAddr, IpAddr) = (
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
        );
        let mut counts = Counts::default();
        assert_eq!(counts.admit(a, false, &limits), Ok(()));
        assert_eq!(counts.admit(a, false, &limits), Ok(()));
        assert_eq!(counts.admit(a, false, &limits), Err(Refused::AddressFull));
        assert_eq!(counts.admit(b, false, &limits), Ok(()));
        assert_eq!(counts.admit(proxy, true, &limits), Err(Refused::Full));
        counts.release(a, false);
        assert_eq!(counts.admit(proxy, true, &limits), Ok(()));
        counts.release(proxy, true);
        counts.release(b, false);
        counts.release(a, false);
        assert_eq!(counts.total, 0);
        assert!(counts.by_address.is_empty(), "{counts:?}");

        let mut counts = Counts::default();
        let limits = self::limits(10, 1);
        for _ in 0..5 {
            assert_eq!(counts.admit(proxy, true, &limits), Ok(()));
        }
        assert_eq!(counts.admit(a, false, &limits), Ok(()));
        assert_eq!(counts.admit(a, false, &limits), Err(Refused::AddressFull));
    }

    #[test]
    fn refusals_are_reported_at_once_then_as_a_count_per_period() {
        let limits = limits(1, 1);
        let start = Instant::now();
        let mut refusals = Refusals::default();
        refusals.note(Refused::Full, start, &limits);
        assert_eq!(refusals.last_report, Some(start), "the first is reported");
        assert_eq!(refusals.full, 0);
        for i in 0..100 {
            refusals.note(
                Refused::AddressFull,
                start + Duration::from_millis(i),
                &limits,
            );
        }
        assert_eq!(refusals.address_full, 100, "counted, not reported");
        assert!(!refusals.is_due(start + Duration::from_secs(9)));
        assert!(refusals.is_due(start + REFUSAL_REPORT_EVERY));
        refusals.report_if_due(start + REFUSAL_REPORT_EVERY, &limits);
        assert_eq!(refusals.address_full, 0);
        assert!(
            !refusals.is_due(start + 3 * REFUSAL_REPORT_EVERY),
            "nothing to say"
        );
    }

    #[test]
    fn an_idle_connection_closes_after_the_header_timeout_before_its_first_request_then_after_the_keep_alive()
     {
        let timeouts = Timeouts {
            header: Duration::from_secs(10),
            keep_alive: Duration::from_secs(60),
        };
        let accepted = Instant::now();
        let last_byte = accepted + Duration::from_secs(5);
        let state = IdleState {
            accepted,
            last_byte,
            requests_started: 0,
            in_flight: 0,
        };
        assert_eq!(closes_at(state, timeouts), Some(accepted + timeouts.header));
        let state = IdleState {
            requests_started: 1,
            in_flight: 1,
            ..state
        };
        assert_eq!(closes_at(state, timeouts), None, "busy");
        let state = IdleState {
            in_flight: 0,
            ..state
        };
        assert_eq!(
            closes_at(state, timeouts),
            Some(last_byte + timeouts.keep_alive)
        );
    }
}
