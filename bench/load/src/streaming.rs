//! Range streaming: C clients at once read random 1 MiB ranges, then whole files, for a fixed time,
//! from Goblet and from nginx serving the same file from the same folder. Bytes that arrive before
//! the deadline count, including those of a read cut off by it.

use std::{net::SocketAddr, path::Path, time::Duration};

use anyhow::{Context, bail, ensure};
use reqwest::{StatusCode, header};
use tokio::time::{Instant, timeout_at};

use crate::{client, procfs, stats::ms};

const RANGE_LEN: u64 = 1024 * 1024;

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Side {
    Goblet,
    Nginx,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Ranges,
    WholeFile,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Ranges => "1 MiB ranges",
            Kind::WholeFile => "whole file",
        }
    }
}

/// One server under test.
pub struct Target {
    side: Side,
    address: SocketAddr,
    /// For CPU time per GB, when known.
    pid: Option<u32>,
}

impl Target {
    pub fn new(side: Side, address: SocketAddr, pid: Option<u32>) -> Self {
        Self { side, address, pid }
    }
}

/// One server's result for one setting.
struct Figure {
    mb_per_s: f64,
    /// The server's CPU seconds per GB (10^9 bytes) sent.
    cpu_per_gb: Option<f64>,
}

impl Figure {
    fn cpu(&self) -> String {
        self.cpu_per_gb
            .map_or("-".to_string(), |cpu| format!("{cpu:.2}"))
    }
}

/// `targets` is Goblet, then nginx.
pub async fn run(
    targets: &[Target; 2],
    file: &Path,
    clients: &[usize],
    seconds: f64,
    only: Option<Side>,
) -> anyhow::Result<()> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("while reading {}", file.display()))?
        .len();
    ensure!(len >= RANGE_LEN, "the file must be at least 1 MiB");
    println!(
        "== range streaming: a {:.0} MiB file, Goblet against nginx, {seconds} s per figure in 1 s turns (who goes first alternates)",
        len as f64 / 1048576.0
    );
    let [goblet, nginx] = targets;
    let code = client::create_room(goblet.address).await?;
    let started = std::time::Instant::now();
    let path = client::upload(goblet.address, &code, file).await?;
    println!(
        "   uploaded    to Goblet as {path} in {}",
        ms(started.elapsed())
    );
    let file_name = path.rsplit('/').next().unwrap_or_default();
    let ours = format!("http://{}{path}", goblet.address);
    let theirs = format!("http://{}/{file_name}", nginx.address);
    if only.is_none() {
        same_bytes(&ours, &theirs, len).await?;
    }

    println!(
        "   {:>7}  {:<13} {:>12} {:>12} {:>11} {:>13}",
        "clients", "reads", "Goblet MB/s", "nginx MB/s", "ours/nginx", "CPU s/GB g/n"
    );
    // Each figure is measured in one-second slices, Goblet and nginx in turn, so a burst of other
    // work on the machine lands on both sides instead of deciding the ratio. Who goes first
    // alternates from slice to slice: going second finds the page cache and the CPU caches warmed
    // by the other, and the clock's frequency wherever the other left it.
    let slices = seconds.round().max(1.0) as usize;
    let slice = Duration::from_secs_f64(seconds / slices as f64);
    let sides = [(goblet, &ours), (nginx, &theirs)];
    for kind in [Kind::Ranges, Kind::WholeFile] {
        for &count in clients {
            let mut tallies = [Tally::default(), Tally::default()];
            for n in 0..slices {
                for i in slice_order(n) {
                    let (target, url) = sides[i];
                    if only.is_none_or(|only| only == target.side) {
                        tallies[i].add(measure(target, url, kind, count, len, slice).await?);
                    }
                }
            }
            let figures = tallies.map(|tally| tally.figure());
            let (ours, theirs) = (&figures[0], &figures[1]);
            let ratio = ours.mb_per_s / theirs.mb_per_s;
            println!(
                "   {count:>7}  {:<13} {:>12.0} {:>12.0} {ratio:>10.2}× {:>6}/{}",
                kind.label(),
                ours.mb_per_s,
                theirs.mb_per_s,
                ours.cpu(),
                theirs.cpu()
            );
            if only.is_none() {
                println!(
                    "@row|Range streaming, {count} client{}, {}|{ratio:.2}× nginx|Goblet {:.0} MB/s, nginx {:.0} MB/s; server CPU {} vs {} s/GB|≥ 0.8×",
                    if count == 1 { "" } else { "s" },
                    kind.label(),
                    ours.mb_per_s,
                    theirs.mb_per_s,
                    ours.cpu(),
                    theirs.cpu()
                );
            }
        }
    }
    Ok(())
}

/// Which side (0 Goblet, 1 nginx) goes first in slice `n`: Goblet in even slices, nginx in odd.
fn slice_order(n: usize) -> [usize; 2] {
    if n.is_multiple_of(2) { [0, 1] } else { [1, 0] }
}

/// Bytes sent and server CPU seconds used over some measured time.
#[derive(Default)]
struct Tally {
    bytes: u64,
    cpu: Option<f64>,
    seconds: f64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.bytes += other.bytes;
        self.seconds += other.seconds;
        self.cpu = match (self.cpu, other.cpu) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    fn figure(&self) -> Figure {
        Figure {
            mb_per_s: self.bytes as f64 / self.seconds / 1e6,
            cpu_per_gb: self
                .cpu
                .filter(|_| self.bytes > 0)
                .map(|cpu| cpu / (self.bytes as f64 / 1e9)),
        }
    }
}

async fn measure(
    target: &Target,
    url: &str,
    kind: Kind,
    clients: usize,
    len: u64,
    duration: Duration,
) -> anyhow::Result<Tally> {
    let cpu_before = target.pid.map(procfs::cpu_seconds).transpose()?;
    let bytes = transfer(url, kind, clients, len, duration).await?;
    let cpu = match (target.pid, cpu_before) {
        (Some(pid), Some(before)) => Some(procfs::cpu_seconds(pid)? - before),
        _ => None,
    };
    Ok(Tally {
        bytes,
        cpu,
        seconds: duration.as_secs_f64(),
    })
}

/// Both servers must be serving the same file, or the comparison means nothing.
async fn same_bytes(ours: &str, theirs: &str, len: u64) -> anyhow::Result<()> {
    let http = client::http_client();
    let start = len / 2;
    let range = format!("bytes={start}-{}", start + 4095);
    let mut bodies = Vec::new();
    for url in [ours, theirs] {
        let response = http.get(url).header(header::RANGE, &range).send().await?;
        ensure!(
            response.status() == StatusCode::PARTIAL_CONTENT,
            "{url} answered {} to a range",
            response.status()
        );
        bodies.push(response.bytes().await?);
    }
    ensure!(
        bodies[0] == bodies[1],
        "Goblet and nginx serve different bytes"
    );
    Ok(())
}

/// Bytes that `clients` readers get from `url` in `duration`.
async fn transfer(
    url: &str,
    kind: Kind,
    clients: usize,
    len: u64,
    duration: Duration,
) -> anyhow::Result<u64> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let deadline = started + duration;
    let readers: Vec<_> = (0..clients)
        .map(|i| {
            let (http, url) = (http.clone(), url.to_string());
            tokio::spawn(read_until(http, url, kind, len, deadline, i as u64 + 1))
        })
        .collect();
    let mut bytes = 0;
    for reader in readers {
        bytes += reader.await??;
    }
    Ok(bytes)
}

async fn read_until(
    http: reqwest::Client,
    url: String,
    kind: Kind,
    len: u64,
    deadline: Instant,
    seed: u64,
) -> anyhow::Result<u64> {
    let mut random = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut total = 0;
    while Instant::now() < deadline {
        let mut request = http.get(&url);
        let (expected, status) = match kind {
            Kind::Ranges => {
                let start = random.next() % (len - RANGE_LEN + 1);
                let range = format!("bytes={start}-{}", start + RANGE_LEN - 1);
                request = request.header(header::RANGE, range);
                (RANGE_LEN, StatusCode::PARTIAL_CONTENT)
            }
            Kind::WholeFile => (len, StatusCode::OK),
        };
        let Ok(response) = timeout_at(deadline, request.send()).await else {
            break;
        };
        let mut response = response?;
        if response.status() != status {
            bail!("{url} answered {}", response.status());
        }
        let mut got = 0u64;
        loop {
            match timeout_at(deadline, response.chunk()).await {
                Err(_) => return Ok(total + got),
                Ok(Ok(Some(chunk))) => got += chunk.len() as u64,
                Ok(Ok(None)) => break,
                Ok(Err(error)) => return Err(error.into()),
            }
        }
        ensure!(
            got == expected,
            "{url} sent {got} bytes instead of {expected}"
        );
        total += got;
    }
    Ok(total)
}

/// A small, fast generator: offsets need to be spread out, not unpredictable.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_side_goes_first_in_turn() {
        let firsts: Vec<usize> = (0..4).map(|n| super::slice_order(n)[0]).collect();
        assert_eq!(firsts, [0, 1, 0, 1]);
    }
}
