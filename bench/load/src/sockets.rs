//! Many WebSockets in one room: fan-out latency (Goblet's, and the floor's for comparison, see
//! [`crate::floor`]), memory per idle viewer, and the join storm (both in a room prepared by
//! [`crate::room`]).
//!
//! Latency is measured inside this one process, so sending and receiving read the same monotonic
//! clock: the host notes the instant before it sends a command, and each viewer the instant its
//! socket yields the matching echo. The figure therefore includes this process's own scheduling of
//! thousands of sockets on the same two cores as the server: it is what a viewer would see, plus a
//! little of our own overhead, never less.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, stream};
use serde::Deserialize;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::{
    client::{self, Socket},
    procfs, room,
    stats::{Summary, micros, ms, thousands},
};

/// Command positions start here; round `r` seeks to `FIRST_POSITION + r`, so a position names its
/// round.
const FIRST_POSITION: f64 = 1000.0;
/// A round whose echo has not reached every viewer by then is counted with what arrived.
const ROUND_TIMEOUT: Duration = Duration::from_secs(5);
/// /proc counts CPU time in 10 ms ticks: over fewer deliveries than this, CPU per delivery is
/// mostly rounding.
const CPU_TIMED_DELIVERIES: usize = 20_000;
/// Pause between rounds, so one command's fan-out never overlaps the next one's.
const ROUND_GAP: Duration = Duration::from_millis(50);
/// After the crowd joins, the server batches `viewers` announcements (for 0.1 ms per viewer, from
/// 100 ms up to 2 s): the room counts as settled once nothing has reached any viewer for longer.
const QUIET_PER_VIEWER: Duration = Duration::from_micros(150);
const QUIET_MIN: Duration = Duration::from_millis(500);
const QUIET_MAX: Duration = Duration::from_millis(2500);
/// Gives up waiting for quiet after this long (a room that never settles is measured anyway).
const SETTLE_LIMIT: Duration = Duration::from_secs(15);

#[derive(clap::Args)]
pub struct Target {
    /// Goblet's address.
    #[arg(long)]
    pub server: SocketAddr,
    /// Sockets being opened at once; the rest queue behind them. Defaults: 512 for fan-out and
    /// the join storm (past the server's listen backlog, dropped SYNs cost one-second
    /// retransmits, and the storm shows it), 16 for memory (people arrive a few at a time; the
    /// transient garbage of a storm is the join storm's to show).
    #[arg(long)]
    pub connect_concurrency: Option<usize>,
    /// Loopback source addresses to spread sockets over (127.0.0.2, 127.0.0.3, ...).
    #[arg(long, default_value_t = 4)]
    pub sources: usize,
}

/// Sockets opened at once for fan-out and the join storm.
const STORM_CONCURRENCY: usize = 512;
/// Sockets opened at once for the memory figure.
const ARRIVAL_CONCURRENCY: usize = 16;

impl Target {
    fn concurrency(&self, default: usize) -> usize {
        self.connect_concurrency.unwrap_or(default)
    }
}

/// Where a crowd's sockets go.
struct Door<'a> {
    server: SocketAddr,
    /// A second node of the same cluster: odd-numbered viewers join there.
    second: Option<SocketAddr>,
    /// The WebSocket's path: a room's `/api/rooms/CODE/ws`, or the floor server's `/`.
    path: String,
    /// One per viewer, in order; empty for the floor server, which knows no clients.
    cookies: &'a [String],
    /// Goblet sends the room's chat history right after the snapshot: a join is done once it has
    /// arrived, as a page is not ready to show before it. The floor sends a snapshot only.
    history: bool,
}

impl<'a> Door<'a> {
    fn room(server: SocketAddr, code: &str, cookies: &'a [String]) -> Self {
        Self {
            server,
            path: format!("/api/rooms/{code}/ws"),
            cookies,
            history: true,
            second: None,
        }
    }

    fn floor(server: SocketAddr) -> Self {
        Self {
            server,
            path: "/".to_string(),
            cookies: &[],
            history: false,
            second: None,
        }
    }

    /// The second node, for a viewer that joins there.
    fn node_of(&self, i: usize) -> Option<SocketAddr> {
        self.second.filter(|_| i % 2 == 1)
    }

    /// Opens the `i`-th socket and reads until the join is done; returns the socket and how long
    /// after `begun` its snapshot, then the join, were done.
    async fn join(
        &self,
        i: usize,
        sources: usize,
        begun: Instant,
    ) -> anyhow::Result<(Socket, Duration, Duration)> {
        let source = client::source_address(i, sources);
        let cookie = self.cookies.get(i).map(String::as_str);
        let server = self.node_of(i).unwrap_or(self.server);
        let mut socket = client::connect_to(server, &self.path, cookie, source).await?;
        let first = client::next_text(&mut socket)
            .await
            .context("the socket closed before its snapshot")??;
        if !first.starts_with(r#"{"type":"snapshot""#) {
            bail!("the first message was not a snapshot: {first:.80}");
        }
        let snapshot = begun.elapsed();
        if self.history {
            // Anything before it (a viewer list) is skipped: the room is not what is timed here.
            loop {
                let text = client::next_text(&mut socket)
                    .await
                    .context("the socket closed before its history")??;
                if text.starts_with(r#"{"type":"history""#) {
                    break;
                }
            }
        }
        Ok((socket, snapshot, begun.elapsed()))
    }
}

/// The outcome of opening many sockets.
struct Joined {
    crowd: Crowd,
    /// Per socket: from starting to connect until its snapshot arrived.
    snapshots: Vec<Duration>,
    /// Per socket: from starting to connect until the join was done (its history arrived).
    latencies: Vec<Duration>,
    elapsed: Duration,
    failures: Vec<anyhow::Error>,
}

/// Opens `viewers` sockets through `door` (at most `concurrency` at a time), each reading its
/// snapshot (and history), then watching for `rounds`. Every socket is read from the moment it
/// joins: one left unread while thousands of others join fills up with `viewers` announcements
/// until the server gives up on it as too slow. Failures are counted, not fatal: how many joined
/// is part of the figure.
async fn join_all(
    target: &Target,
    door: &Door<'_>,
    viewers: usize,
    rounds: Arc<Rounds>,
    concurrency: usize,
) -> Joined {
    let stop = CancellationToken::new();
    let started = Instant::now();
    type Outcome = anyhow::Result<(JoinHandle<Watched>, Duration, Duration)>;
    let results: Vec<Outcome> = stream::iter(0..viewers)
        .map(|i| {
            let (rounds, stop) = (rounds.clone(), stop.clone());
            async move {
                let (socket, snapshot, done) = door.join(i, target.sources, Instant::now()).await?;
                let second = door.node_of(i).is_some();
                Ok((
                    tokio::spawn(watch(socket, rounds, stop, second)),
                    snapshot,
                    done,
                ))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut joined = Joined {
        crowd: Crowd {
            stop,
            tasks: Vec::with_capacity(results.len()),
        },
        snapshots: Vec::with_capacity(results.len()),
        latencies: Vec::with_capacity(results.len()),
        elapsed,
        failures: Vec::new(),
    };
    for result in results {
        match result {
            Ok((task, snapshot, done)) => {
                joined.crowd.tasks.push(task);
                joined.snapshots.push(snapshot);
                joined.latencies.push(done);
            }
            Err(error) => joined.failures.push(error),
        }
    }
    rounds
        .viewers
        .store(joined.crowd.tasks.len(), Ordering::Release);
    joined
}

fn report_failures(failures: &[anyhow::Error]) {
    if let Some(first) = failures.first() {
        println!(
            "   failed      {} sockets; the first: {first:#}",
            thousands(failures.len())
        );
    }
}

/// Counts, per round, how many viewers have received its echo; wakes the host when all have.
struct Rounds {
    count: usize,
    /// Viewers that joined: known once they all have.
    viewers: AtomicUsize,
    received: Vec<AtomicUsize>,
    all_in: Notify,
    started: Instant,
    /// When (ms after `started`) a message other than our commands last reached a viewer.
    last_other: AtomicU64,
}

impl Rounds {
    fn new(count: usize) -> Self {
        Self {
            count,
            viewers: AtomicUsize::new(usize::MAX),
            received: (0..count).map(|_| AtomicUsize::new(0)).collect(),
            all_in: Notify::new(),
            started: Instant::now(),
            last_other: AtomicU64::new(0),
        }
    }

    /// The round a message echoes, if it is a play, pause or seek with one of our positions.
    fn round_of(&self, text: &str) -> Option<usize> {
        // Snapshots and viewer lists are large: skip them before parsing anything.
        const COMMANDS: [&str; 3] = [
            r#"{"type":"seek""#,
            r#"{"type":"play""#,
            r#"{"type":"pause""#,
        ];
        if !COMMANDS.iter().any(|prefix| text.starts_with(prefix)) {
            return None;
        }
        #[derive(Deserialize)]
        struct Command {
            position: f64,
        }
        let position = serde_json::from_str::<Command>(text).ok()?.position;
        let round = (position - FIRST_POSITION).round();
        let exact = (position - FIRST_POSITION - round).abs() < 1e-6;
        (exact && round >= 0.0 && (round as usize) < self.count).then_some(round as usize)
    }

    fn record(&self, round: usize) {
        if self.received[round].fetch_add(1, Ordering::AcqRel) + 1
            == self.viewers.load(Ordering::Acquire)
        {
            self.all_in.notify_one();
        }
    }

    fn note_other(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_other.fetch_max(now, Ordering::AcqRel);
    }

    /// Waits until no announcement has reached any of `viewers` for a while.
    async fn settle(&self, viewers: usize) {
        let quiet = (QUIET_PER_VIEWER * viewers as u32).clamp(QUIET_MIN, QUIET_MAX);
        let give_up = Instant::now() + SETTLE_LIMIT;
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let last = Duration::from_millis(self.last_other.load(Ordering::Acquire));
            if self.started.elapsed().saturating_sub(last) >= quiet || Instant::now() > give_up {
                return;
            }
        }
    }

    async fn wait_all(&self, round: usize, deadline: Duration) {
        let _ = tokio::time::timeout(deadline, async {
            // A late echo of an earlier round can leave a stale wake-up: check the count again.
            while self.received[round].load(Ordering::Acquire)
                < self.viewers.load(Ordering::Acquire)
            {
                self.all_in.notified().await;
            }
        })
        .await;
    }
}

/// What one viewer saw until told to stop.
struct Watched {
    /// (round, instant its echo arrived)
    seen: Vec<(usize, Instant)>,
    /// The server closed the socket (or it failed) before the end.
    dropped: bool,
    /// It joined through the second node (two-node fan-out).
    second: bool,
}

/// Reads a viewer's socket until `stop`, noting when each round's echo arrives. Reading also
/// answers the server's keep-alive pings.
async fn watch(
    mut socket: Socket,
    rounds: Arc<Rounds>,
    stop: CancellationToken,
    second: bool,
) -> Watched {
    let mut seen = Vec::with_capacity(rounds.count);
    // Made once: a fresh one per message would register with, and leave, the token all viewers
    // share, a contended lock that would make this process slower at reading than it need be.
    let stopping = stop.cancelled();
    tokio::pin!(stopping);
    let dropped = loop {
        tokio::select! {
            biased;
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let at = Instant::now();
                    match rounds.round_of(text.as_str()) {
                        Some(round) => {
                            seen.push((round, at));
                            rounds.record(round);
                        }
                        None => rounds.note_other(),
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break true,
                Some(Ok(_)) => {}
            },
            _ = &mut stopping => break false,
        }
    };
    Watched {
        seen,
        dropped,
        second,
    }
}

/// Sockets held open and read, until `finish`.
struct Crowd {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<Watched>>,
}

impl Crowd {
    async fn finish(self) -> Vec<Watched> {
        self.stop.cancel();
        let mut watched = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            if let Ok(w) = task.await {
                watched.push(w);
            }
        }
        watched
    }
}

/// The floor server to compare fan-out with, if any (see [`crate::floor`]).
pub struct Floor {
    pub server: SocketAddr,
    pub pid: Option<u32>,
}

/// Fan-out through Goblet and (with `floor`) through the floor server, measured the same way, so
/// the figure reads as a ratio to what this machine allows. When both crowds fit in the open-file
/// limit, the two take turns command by command, who goes first alternating, so a burst of other
/// work on the machine lands on both; otherwise (10,000 viewers each against the usual limit of
/// 20,000 files) Goblet's commands go first, then the floor's.
pub async fn fanout(
    target: &Target,
    viewers: usize,
    rounds: usize,
    pid: Option<u32>,
    floor: Option<Floor>,
) -> anyhow::Result<()> {
    println!(
        "== fan-out: 1 host + {} viewers in one room, {rounds} commands (seek and play in turn)",
        thousands(viewers)
    );
    let cookies = client::fetch_cookies(target.server, viewers + 1).await?;
    let code = client::create_room(target.server).await?;
    let door = Door::room(target.server, &code, &cookies[1..]);
    let goblet_frame = |kind: &str, position: f64| -> String {
        format!(r#"{{"type":"{kind}","position":{position}}}"#)
    };
    let mut ours = Arena::gather(target, &door, viewers, Some(&cookies[0]), rounds, pid).await?;
    let Some(floor) = floor else {
        let load_cpu = CpuClock::start(None)?;
        for round in 0..rounds {
            ours.round(round, &goblet_frame).await?;
        }
        let load_cpu = load_cpu.per_delivery(ours.deliveries())?;
        let ours = ours.finish(load_cpu).await?;
        ours.print("Goblet");
        println!(
            "@row|Fan-out, {} viewers|p99 {}|{}|{}",
            thousands(viewers),
            ms(ours.summary.p99),
            ours.details(),
            if viewers == 10000 { "10,000 held" } else { "" }
        );
        return Ok(());
    };
    let floor_door = Door::floor(floor.server);
    // The load generator holds both crowds and both hosts, besides a few files of its own.
    let together = 2 * (viewers + 1) + 64 <= procfs::open_file_limit()?;
    let (ours, theirs) = if together {
        println!("   order       Goblet and the floor take turns, who goes first alternating");
        let mut theirs =
            Arena::gather(target, &floor_door, viewers, None, rounds, floor.pid).await?;
        let load_cpu = CpuClock::start(None)?;
        for round in 0..rounds {
            if round.is_multiple_of(2) {
                ours.round(round, &goblet_frame).await?;
                theirs.round(round, &floor_frame).await?;
            } else {
                theirs.round(round, &floor_frame).await?;
                ours.round(round, &goblet_frame).await?;
            }
        }
        // One process reads both crowds: its CPU is shared out by deliveries.
        let load_cpu = load_cpu.per_delivery(ours.deliveries() + theirs.deliveries())?;
        (ours.finish(load_cpu).await?, theirs.finish(load_cpu).await?)
    } else {
        println!(
            "   order       Goblet, then the floor (two crowds would pass the open-file limit)"
        );
        let load_cpu = CpuClock::start(None)?;
        for round in 0..rounds {
            ours.round(round, &goblet_frame).await?;
        }
        let load_cpu = load_cpu.per_delivery(ours.deliveries())?;
        let ours = ours.finish(load_cpu).await?;
        let mut theirs =
            Arena::gather(target, &floor_door, viewers, None, rounds, floor.pid).await?;
        let load_cpu = CpuClock::start(None)?;
        for round in 0..rounds {
            theirs.round(round, &floor_frame).await?;
        }
        let load_cpu = load_cpu.per_delivery(theirs.deliveries())?;
        let theirs = theirs.finish(load_cpu).await?;
        (ours, theirs)
    };
    ours.print("Goblet");
    theirs.print("floor (a bare tokio-tungstenite relay)");
    let ratio = ours.summary.p99.as_secs_f64() / theirs.summary.p99.as_secs_f64();
    println!(
        "   p99         Goblet {}, floor {}: {ratio:.2}× the floor",
        ms(ours.summary.p99),
        ms(theirs.summary.p99)
    );
    println!(
        "@row|Fan-out, {} viewers|p99 {}, {ratio:.2}× floor|{}; floor: p99 {}, median {}{}{}|{}",
        thousands(viewers),
        ms(ours.summary.p99),
        ours.details(),
        ms(theirs.summary.p99),
        ms(theirs.summary.median),
        theirs
            .server_cpu
            .filter(|_| theirs.cpu_timed())
            .map(|cpu| format!(", CPU per delivery {}", micros(cpu)))
            .unwrap_or_default(),
        if together {
            ""
        } else {
            "; one after the other"
        },
        match viewers {
            1000 => "p99 ≤ 1.2× floor",
            10000 => "10,000 held",
            _ => "",
        }
    );
    Ok(())
}

/// Fan-out across two nodes of a cluster: the host and half the viewers on `target`'s node, the
/// other half on `second`, which relays the room from the first. The per-node figures show what
/// the hop through Redis costs.
pub async fn fanout_two_nodes(
    target: &Target,
    second: SocketAddr,
    viewers: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    println!(
        "== fan-out across two nodes: 1 host + {} viewers in one room, half on each node, \
         {rounds} commands",
        thousands(viewers)
    );
    let cookies = client::fetch_cookies(target.server, viewers + 1).await?;
    let code = client::create_room(target.server).await?;
    let mut door = Door::room(target.server, &code, &cookies[1..]);
    door.second = Some(second);
    let frame = |kind: &str, position: f64| -> String {
        format!(r#"{{"type":"{kind}","position":{position}}}"#)
    };
    let mut arena = Arena::gather(target, &door, viewers, Some(&cookies[0]), rounds, None).await?;
    let load_cpu = CpuClock::start(None)?;
    for round in 0..rounds {
        arena.round(round, &frame).await?;
    }
    let load_cpu = load_cpu.per_delivery(arena.deliveries())?;
    let figures = arena.finish(load_cpu).await?;
    figures.print("two nodes");
    let Some((first, relayed)) = figures.per_node else {
        bail!("no viewer on the second node received any command");
    };
    println!("   host's node {}", first.line());
    println!("   other node  {}", relayed.line());
    let hop = |a: Duration, b: Duration| ms(b.saturating_sub(a));
    println!(
        "   the hop     +{} median, +{} p99 (the other node's figure less the host node's)",
        hop(first.median, relayed.median),
        hop(first.p99, relayed.p99)
    );
    println!(
        "@row|Fan-out, 2 nodes, {} viewers|p99 {}|host's node: median {}, p99 {}; other node: median {}, p99 {}; hop +{} median, +{} p99; {}/{} received; {} held|",
        thousands(viewers),
        ms(figures.summary.p99),
        ms(first.median),
        ms(first.p99),
        ms(relayed.median),
        ms(relayed.p99),
        hop(first.median, relayed.median),
        hop(first.p99, relayed.p99),
        thousands(figures.received),
        thousands(figures.expected),
        thousands(figures.still_connected),
    );
    Ok(())
}

/// The frame the floor relays: the size and shape of Goblet's echo of a command
/// (`ServerMsg::Seek` and friends), with a fixed client ID.
fn floor_frame(kind: &str, position: f64) -> String {
    let server_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let playing = kind != "pause" && position > FIRST_POSITION;
    format!(
        r#"{{"type":"{kind}","position":{position:.1},"playing":{playing},"by":"6f1c1c5e-3b1a-4c5d-9e8f-0a1b2c3d4e5f","server_time":{server_time}}}"#
    )
}

/// A process's CPU time from a starting point (ours when `pid` is None).
struct CpuClock {
    pid: u32,
    start: f64,
}

impl CpuClock {
    fn start(pid: Option<u32>) -> anyhow::Result<Self> {
        let pid = pid.unwrap_or_else(std::process::id);
        Ok(Self {
            pid,
            start: procfs::cpu_seconds(pid)?,
        })
    }

    fn per_delivery(&self, deliveries: usize) -> anyhow::Result<f64> {
        Ok((procfs::cpu_seconds(self.pid)? - self.start) / deliveries.max(1) as f64)
    }
}

/// One host and a crowd, joined and settled, ready for commands.
struct Arena {
    host: futures_util::stream::SplitSink<Socket, Message>,
    host_drain: JoinHandle<()>,
    joined: Joined,
    viewers: usize,
    tally: Arc<Rounds>,
    /// When each round's command was sent.
    sent: Vec<Instant>,
    /// The server's CPU time from the first command on.
    server_cpu: Option<CpuClock>,
    pid: Option<u32>,
}

impl Arena {
    /// Connects the host, then `viewers` through `door`, and waits for the room to settle.
    async fn gather(
        target: &Target,
        door: &Door<'_>,
        viewers: usize,
        host_cookie: Option<&str>,
        rounds: usize,
        pid: Option<u32>,
    ) -> anyhow::Result<Self> {
        let host_source = client::source_address(viewers, target.sources);
        let mut host =
            client::connect_to(door.server, &door.path, host_cookie, host_source).await?;
        client::next_text(&mut host)
            .await
            .context("the host's socket closed")??;
        let (host, mut host_stream) = host.split();
        // The host hears the crowd's arrival and its own echoes: read them all, or its socket
        // backs up and the server drops it as too slow.
        let host_drain = tokio::spawn(async move { while host_stream.next().await.is_some() {} });
        let tally = Arc::new(Rounds::new(rounds));
        let concurrency = target.concurrency(STORM_CONCURRENCY);
        let joined = join_all(target, door, viewers, tally.clone(), concurrency).await;
        tally.settle(joined.crowd.tasks.len()).await;
        Ok(Self {
            host,
            host_drain,
            joined,
            viewers,
            tally,
            sent: Vec::with_capacity(rounds),
            server_cpu: None,
            pid,
        })
    }

    /// Sends round `round`'s command and waits until every viewer has it (or the timeout).
    async fn round(
        &mut self,
        round: usize,
        frame: &impl Fn(&str, f64) -> String,
    ) -> anyhow::Result<()> {
        // CPU time over the commands alone: both processes share the machine's cores, so what
        // each spends per delivery bounds how soon the last viewer can have a command.
        if round == 0 && self.pid.is_some() {
            self.server_cpu = Some(CpuClock::start(self.pid)?);
        }
        let kind = if round.is_multiple_of(2) {
            "seek"
        } else {
            "play"
        };
        let text = frame(kind, FIRST_POSITION + round as f64);
        self.sent.push(Instant::now());
        self.host.send(Message::text(text)).await?;
        self.tally.wait_all(round, ROUND_TIMEOUT).await;
        tokio::time::sleep(ROUND_GAP).await;
        Ok(())
    }

    fn deliveries(&self) -> usize {
        // The host hears its own echo too.
        self.sent.len() * (self.joined.crowd.tasks.len() + 1)
    }

    /// Closes the crowd and works out the figures; `load_cpu` is this process's CPU seconds per
    /// delivery.
    async fn finish(self, load_cpu: f64) -> anyhow::Result<FanoutFigures> {
        let deliveries = self.deliveries();
        let server_cpu = self
            .server_cpu
            .map(|clock| clock.per_delivery(deliveries))
            .transpose()?;
        let connected = self.joined.crowd.tasks.len();
        let (join_elapsed, failures) = (self.joined.elapsed, self.joined.failures);
        let watched = self.joined.crowd.finish().await;
        self.host_drain.abort();
        let still_connected = watched.iter().filter(|w| !w.dropped).count();
        let latencies_of = |second: Option<bool>| -> Vec<Duration> {
            watched
                .iter()
                .filter(|w| second.is_none_or(|second| w.second == second))
                .flat_map(|w| w.seen.iter())
                .map(|&(round, at)| at.saturating_duration_since(self.sent[round]))
                .collect()
        };
        let per_node = match watched.iter().any(|w| w.second) {
            true => {
                Summary::of(latencies_of(Some(false))).zip(Summary::of(latencies_of(Some(true))))
            }
            false => None,
        };
        let latencies = latencies_of(None);
        let rounds = self.sent.len();
        let fewest = (0..rounds)
            .map(|r| self.tally.received[r].load(Ordering::Acquire))
            .min()
            .unwrap_or(0);
        let received = latencies.len();
        let Some(summary) = Summary::of(latencies) else {
            bail!("no viewer received any command");
        };
        Ok(FanoutFigures {
            viewers: self.viewers,
            connected,
            join_elapsed,
            failures,
            fewest,
            summary,
            received,
            expected: rounds * connected,
            still_connected,
            deliveries,
            server_cpu,
            load_cpu,
            per_node,
        })
    }
}

/// What one fan-out measurement saw.
struct FanoutFigures {
    viewers: usize,
    connected: usize,
    join_elapsed: Duration,
    failures: Vec<anyhow::Error>,
    /// Viewers that the least delivered command reached.
    fewest: usize,
    summary: Summary,
    received: usize,
    expected: usize,
    still_connected: usize,
    deliveries: usize,
    /// The server's and the load generator's CPU seconds per delivery.
    server_cpu: Option<f64>,
    load_cpu: f64,
    /// Two-node fan-out: the viewers on the host's node, and those on the second node.
    per_node: Option<(Summary, Summary)>,
}

impl FanoutFigures {
    /// The figure block for one side.
    fn print(&self, label: &str) {
        println!("   -- {label}");
        println!(
            "   joined      {} of {} sockets in {}",
            thousands(self.connected),
            thousands(self.viewers),
            ms(self.join_elapsed)
        );
        report_failures(&self.failures);
        println!(
            "   received    {} of {} echoes; the worst command reached {} of {} viewers",
            thousands(self.received),
            thousands(self.expected),
            thousands(self.fewest),
            thousands(self.connected)
        );
        println!(
            "   connected   {} of {} still open at the end",
            thousands(self.still_connected),
            thousands(self.viewers)
        );
        println!("   latency     {}", self.summary.line());
        println!(
            "   CPU         per delivery: {}",
            self.cpu()
                .as_deref()
                .unwrap_or("too few deliveries to time")
        );
    }

    /// /proc counts in 10 ms ticks: over too few deliveries, CPU per delivery is mostly rounding.
    fn cpu_timed(&self) -> bool {
        self.deliveries >= CPU_TIMED_DELIVERIES
    }

    /// None when there were too few deliveries to time.
    fn cpu(&self) -> Option<String> {
        self.cpu_timed().then(|| match self.server_cpu {
            Some(server) => format!(
                "server {}, load generator {}",
                micros(server),
                micros(self.load_cpu)
            ),
            None => format!("load generator {}", micros(self.load_cpu)),
        })
    }

    /// The table's details: percentiles, counts and CPU.
    fn details(&self) -> String {
        format!(
            "median {}, p95 {}, max {}; {}/{} received; {} held{}",
            ms(self.summary.median),
            ms(self.summary.p95),
            ms(self.summary.max),
            thousands(self.received),
            thousands(self.expected),
            thousands(self.still_connected),
            self.cpu()
                .map(|cpu| format!("; CPU per delivery: {cpu}"))
                .unwrap_or_default(),
        )
    }
}

pub async fn memory(target: &Target, viewers: usize, pid: u32) -> anyhow::Result<()> {
    let concurrency = target.concurrency(ARRIVAL_CONCURRENCY);
    println!(
        "== memory: server RSS with {} idle viewers in one room (joining {} at a time)",
        thousands(viewers),
        thousands(concurrency)
    );
    let fresh = procfs::rss_kib(pid)?;
    let room = room::prepare(target.server, viewers).await?;
    println!("   room        {}", room.describe());
    // The baseline comes after the cookies, the names and the room's chat, so only the sockets
    // are counted.
    let before = settled_rss(pid).await?;
    let quiet = Arc::new(Rounds::new(0));
    let door = Door::room(target.server, &room.code, &room.cookies);
    let joined = join_all(target, &door, viewers, quiet.clone(), concurrency).await;
    report_failures(&joined.failures);
    let connected = joined.crowd.tasks.len();
    quiet.settle(connected).await;
    let with = settled_rss(pid).await?;
    let watched = joined.crowd.finish().await;
    let still_connected = watched.iter().filter(|w| !w.dropped).count();
    if connected == 0 {
        bail!("no viewer could join");
    }
    let per_viewer = with.saturating_sub(before) as f64 / connected as f64;
    println!("   fresh       {}", procfs::mib(fresh));
    println!(
        "   idle        {} (a room with its chat, {} named client IDs)",
        procfs::mib(before),
        thousands(viewers)
    );
    println!(
        "   with        {} ({} viewers joined, {} still open)",
        procfs::mib(with),
        thousands(connected),
        thousands(still_connected)
    );
    println!("   per viewer  {per_viewer:.1} KiB");
    println!(
        "@row|Memory, {} idle viewers|{per_viewer:.1} KiB per viewer|named viewers, {} B of history each; RSS {} idle, {} with the viewers|≤ 16 KiB",
        thousands(viewers),
        thousands(room.history_bytes),
        procfs::mib(before),
        procfs::mib(with),
    );
    Ok(())
}

/// RSS once it stops moving (frees and lazily touched pages settle within a second or so).
async fn settled_rss(pid: u32) -> anyhow::Result<u64> {
    let mut last = procfs::rss_kib(pid)?;
    for _ in 0..25 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = procfs::rss_kib(pid)?;
        if now.abs_diff(last) * 200 <= last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

/// With `pid`, also the server's RSS per viewer after the storm: joining all at once leaves more
/// behind than joining a few at a time (the allocator keeps what the storm's transient buffers
/// fragmented).
pub async fn join_storm(target: &Target, viewers: usize, pid: Option<u32>) -> anyhow::Result<()> {
    let concurrency = target.concurrency(STORM_CONCURRENCY);
    println!(
        "== join storm: {} viewers open a socket in one room at once ({} at a time)",
        thousands(viewers),
        thousands(concurrency)
    );
    let started = Instant::now();
    let room = room::prepare(target.server, viewers).await?;
    println!(
        "   prepared    in {} (client IDs, names, chat; not counted below)",
        ms(started.elapsed())
    );
    println!("   room        {}", room.describe());
    let before = pid.map(procfs::rss_kib).transpose()?;
    let quiet = Arc::new(Rounds::new(0));
    let door = Door::room(target.server, &room.code, &room.cookies);
    let joined = join_all(target, &door, viewers, quiet.clone(), concurrency).await;
    report_failures(&joined.failures);
    let connected = joined.crowd.tasks.len();
    let rate = connected as f64 / joined.elapsed.as_secs_f64();
    println!(
        "   all in      {} of {} had their history after {} ({rate:.0} joins/s)",
        thousands(connected),
        thousands(viewers),
        ms(joined.elapsed)
    );
    let (Some(snapshots), Some(summary)) =
        (Summary::of(joined.snapshots), Summary::of(joined.latencies))
    else {
        bail!("no viewer could join");
    };
    println!("   snapshot    {}", snapshots.line());
    println!("   history     {} (a join is done here)", summary.line());
    if let (Some(pid), Some(before)) = (pid, before) {
        quiet.settle(connected).await;
        let after = settled_rss(pid).await?;
        println!(
            "   memory      {} after the storm, {:.1} KiB per viewer",
            procfs::mib(after),
            after.saturating_sub(before) as f64 / connected.max(1) as f64
        );
    }
    println!(
        "@row|Join storm, {} viewers|{} until the last history|{rate:.0} joins/s; per join median {}, p99 {}; {} joined; named viewers, {} B of history each|",
        thousands(viewers),
        ms(joined.elapsed),
        ms(summary.median),
        ms(summary.p99),
        thousands(connected),
        thousands(room.history_bytes),
    );
    joined.crowd.finish().await;
    Ok(())
}
