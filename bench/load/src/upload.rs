//! Upload throughput: the server receives a file over HTTP and writes it to the media folder (then
//! fsyncs it); `dd` writes the same bytes to the same disk with `conv=fsync`. The disk is the
//! limit for both, so the ratio says how much the server's own work costs.

use std::{
    io::Write,
    net::SocketAddr,
    path::Path,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};

use crate::{client, procfs, stats::ms};

/// A WebM (EBML) header: the server sniffs the first bytes for a container it can serve.
const WEBM_HEADER: &[u8] = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm";
/// How often the server's RSS is sampled during an upload (VmHWM is read too: it misses nothing).
const RSS_SAMPLE: Duration = Duration::from_millis(5);

/// Writes `size` bytes: the WebM header, then pseudo-random bytes (incompressible, in case the
/// file system or anything between cares).
pub fn make_file(path: &Path, size: u64) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("while creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let head = WEBM_HEADER.len().min(size as usize);
    out.write_all(&WEBM_HEADER[..head])?;
    let mut left = size - head as u64;
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut block = vec![0u8; 1 << 20];
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.into_inner()?.sync_all()?;
    Ok(())
}

pub async fn run(
    server: SocketAddr,
    pid: u32,
    file: &Path,
    scratch: &Path,
    runs: usize,
) -> anyhow::Result<()> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("while reading {}", file.display()))?
        .len();
    let mb = len as f64 / 1e6;
    println!(
        "== upload: a {:.0} MiB file, Goblet's upload against dd to the same disk (both fsync), {runs} runs each",
        len as f64 / 1048576.0
    );
    let idle = procfs::rss_kib(pid)?;
    let code = client::create_room(server).await?;
    let copy = scratch.join("dd-copy.bin");
    let (mut best_dd, mut best_upload, mut sampled_peak) = (Duration::MAX, Duration::MAX, 0u64);
    for run in 1..=runs {
        // The disk has bursts and slow spells: take turns going first.
        let (dd, upload) = if run % 2 == 1 {
            let dd = raw_write(file, &copy)?;
            (
                dd,
                upload_once(server, pid, &code, file, &mut sampled_peak).await?,
            )
        } else {
            let upload = upload_once(server, pid, &code, file, &mut sampled_peak).await?;
            (raw_write(file, &copy)?, upload)
        };
        println!(
            "   run {run}       dd {} ({:.0} MB/s), upload {} ({:.0} MB/s)",
            ms(dd),
            mb / dd.as_secs_f64(),
            ms(upload),
            mb / upload.as_secs_f64()
        );
        best_dd = best_dd.min(dd);
        best_upload = best_upload.min(upload);
    }
    let peak = procfs::peak_rss_kib(pid)?.max(sampled_peak);
    let (dd_rate, upload_rate) = (mb / best_dd.as_secs_f64(), mb / best_upload.as_secs_f64());
    let ratio = upload_rate / dd_rate;
    println!("   best        dd {dd_rate:.0} MB/s, upload {upload_rate:.0} MB/s: {ratio:.2}× dd");
    println!(
        "   server RSS  {} before, peak {} (VmHWM since start)",
        procfs::mib(idle),
        procfs::mib(peak)
    );
    println!(
        "@row|Upload, {:.0} MiB|{ratio:.2}× dd|upload {upload_rate:.0} MB/s, dd {dd_rate:.0} MB/s (best of {runs})|≥ 0.8×",
        len as f64 / 1048576.0
    );
    println!(
        "@row|Upload, server peak RSS|{}|{} before the upload|≤ 64 MiB",
        procfs::mib(peak),
        procfs::mib(idle)
    );
    Ok(())
}

/// `dd` copies `file` to `copy` on the same disk and fsyncs it; the copy is deleted after.
fn raw_write(file: &Path, copy: &Path) -> anyhow::Result<Duration> {
    sync()?;
    let started = Instant::now();
    let status = Command::new("dd")
        .arg(format!("if={}", file.display()))
        .arg(format!("of={}", copy.display()))
        .args(["bs=1M", "conv=fsync", "status=none"])
        .status()
        .context("while running dd")?;
    let elapsed = started.elapsed();
    ensure!(status.success(), "dd failed: {status}");
    std::fs::remove_file(copy)?;
    Ok(elapsed)
}

/// Uploads `file` as the room's video (the server fsyncs it), sampling the server's RSS.
async fn upload_once(
    server: SocketAddr,
    pid: u32,
    code: &str,
    file: &Path,
    sampled_peak: &mut u64,
) -> anyhow::Result<Duration> {
    sync()?;
    let sampler = Sampler::start(pid);
    let started = Instant::now();
    let result = client::upload(server, code, file).await;
    let elapsed = started.elapsed();
    *sampled_peak = (*sampled_peak).max(sampler.stop().await);
    result?;
    Ok(elapsed)
}

/// Flushes other dirty pages first, so neither writer pays for the other's leftovers.
pub fn sync() -> anyhow::Result<()> {
    let status = Command::new("sync")
        .status()
        .context("while running sync")?;
    ensure!(status.success(), "sync failed");
    Ok(())
}

/// Samples a process's RSS in the background and keeps the largest reading.
pub struct Sampler {
    done: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    pub fn start(pid: u32) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let (done, peak) = (done.clone(), peak.clone());
            async move {
                while !done.load(Ordering::Acquire) {
                    if let Ok(rss) = procfs::rss_kib(pid) {
                        peak.fetch_max(rss, Ordering::AcqRel);
                    }
                    tokio::time::sleep(RSS_SAMPLE).await;
                }
            }
        });
        Self { done, peak, task }
    }

    pub async fn stop(self) -> u64 {
        self.done.store(true, Ordering::Release);
        let _ = self.task.await;
        self.peak.load(Ordering::Acquire)
    }
}
