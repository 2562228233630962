//! Resumable (tus) uploads: the same file uploaded with tus in chunks and as one raw POST, in
//! turns, so the ratio says what the protocol costs (each PATCH is fsynced before it is
//! answered); the server's peak memory; and an upload cut half-way and resumed, counting the bytes
//! sent twice.

use std::{
    net::SocketAddr,
    path::Path,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::{
    client::{self, http_client, url},
    procfs,
    stats::ms,
    upload::{Sampler, sync},
};

const READ_BUFFER: usize = 256 * 1024;
/// How long the server may take to count the bytes of a cut request.
const SETTLE: Duration = Duration::from_secs(5);

pub async fn run(
    server: SocketAddr,
    pid: u32,
    file: &Path,
    chunk: u64,
    runs: usize,
) -> anyhow::Result<()> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("while reading {}", file.display()))?
        .len();
    let mb = len as f64 / 1e6;
    let mib = len as f64 / 1048576.0;
    println!(
        "== tus: a {mib:.0} MiB file, tus in {} MiB chunks against one raw POST, {runs} runs each",
        chunk / 1048576
    );
    let idle = procfs::rss_kib(pid)?;
    let code = client::create_room(server).await?;
    let cookie = client::fetch_cookies(server, 1).await?.remove(0);
    let (mut best_raw, mut best_tus, mut sampled_peak) = (Duration::MAX, Duration::MAX, 0u64);
    for run in 1..=runs {
        // Take turns going first: the disk has bursts and slow spells.
        let mut timings = [Duration::ZERO; 2];
        for turn in 0..2 {
            let tus_now = (run + turn) % 2 == 0;
            sync()?;
            let sampler = Sampler::start(pid);
            let started = Instant::now();
            let result = if tus_now {
                tus_upload(server, &code, &cookie, file, len, chunk).await
            } else {
                client::upload(server, &code, file).await.map(drop)
            };
            let elapsed = started.elapsed();
            sampled_peak = sampled_peak.max(sampler.stop().await);
            result?;
            timings[usize::from(tus_now)] = elapsed;
        }
        let [raw, tus] = timings;
        println!(
            "   run {run}       raw POST {} ({:.0} MB/s), tus {} ({:.0} MB/s)",
            ms(raw),
            mb / raw.as_secs_f64(),
            ms(tus),
            mb / tus.as_secs_f64()
        );
        best_raw = best_raw.min(raw);
        best_tus = best_tus.min(tus);
    }
    let (raw_rate, tus_rate) = (mb / best_raw.as_secs_f64(), mb / best_tus.as_secs_f64());
    let ratio = tus_rate / raw_rate;
    println!("   best        raw POST {raw_rate:.0} MB/s, tus {tus_rate:.0} MB/s: {ratio:.2}× raw");

    let cut = cut_and_resume(server, &code, &cookie, file, len, chunk).await?;
    let peak = procfs::peak_rss_kib(pid)?.max(sampled_peak);
    println!(
        "   cut         at {} MiB sent, the server had {} MiB; resumed there: {} bytes sent twice (a chunk is {} MiB)",
        cut.sent_before / 1048576,
        cut.kept / 1048576,
        cut.sent_twice,
        chunk / 1048576
    );
    println!(
        "   server RSS  {} before, peak {} (VmHWM since start)",
        procfs::mib(idle),
        procfs::mib(peak)
    );
    println!(
        "@row|tus upload, {mib:.0} MiB|{ratio:.2}× raw POST|tus {tus_rate:.0} MB/s in {} MiB chunks, raw {raw_rate:.0} MB/s (best of {runs})|≥ 0.8×",
        chunk / 1048576
    );
    println!(
        "@row|tus upload cut half-way, resumed|{} bytes sent twice|cut at {} MiB sent, the server had {} MiB|≤ one chunk ({} MiB)",
        cut.sent_twice,
        cut.sent_before / 1048576,
        cut.kept / 1048576,
        chunk / 1048576
    );
    println!(
        "@row|Uploads (raw and tus), server peak RSS|{}|{} before|≤ 64 MiB",
        procfs::mib(peak),
        procfs::mib(idle)
    );
    Ok(())
}

/// Creates an upload of `len` bytes; returns its path.
async fn create(server: SocketAddr, code: &str, cookie: &str, len: u64) -> anyhow::Result<String> {
    let response = http_client()
        .post(url(server, &format!("/api/rooms/{code}/uploads")))
        .header("Cookie", cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", len)
        // "bench.webm"
        .header("Upload-Metadata", "filename YmVuY2gud2VibQ==")
        .send()
        .await?;
    ensure!(
        response.status() == 201,
        "creation answered {}",
        response.status()
    );
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .context("creation gave no Location")
}

/// Sends `file[from..from + count]` as one PATCH; returns the server's new offset.
async fn patch(
    server: SocketAddr,
    path: &str,
    cookie: &str,
    file: &Path,
    from: u64,
    count: u64,
) -> anyhow::Result<u64> {
    let mut opened = tokio::fs::File::open(file).await?;
    opened.seek(std::io::SeekFrom::Start(from)).await?;
    let body = ReaderStream::with_capacity(opened.take(count), READ_BUFFER);
    let response = http_client()
        .patch(url(server, path))
        .header("Cookie", cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", from)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", count)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await?;
    if response.status() != 204 {
        bail!(
            "PATCH answered {}: {}",
            response.status(),
            response.text().await?
        );
    }
    offset_header(&response)
}

fn offset_header(response: &reqwest::Response) -> anyhow::Result<u64> {
    response
        .headers()
        .get("upload-offset")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .context("no Upload-Offset in the answer")
}

async fn tus_upload(
    server: SocketAddr,
    code: &str,
    cookie: &str,
    file: &Path,
    len: u64,
    chunk: u64,
) -> anyhow::Result<()> {
    let path = create(server, code, cookie, len).await?;
    send_from(server, &path, cookie, file, len, chunk, 0).await
}

/// PATCHes chunk after chunk from `offset` to the end.
async fn send_from(
    server: SocketAddr,
    path: &str,
    cookie: &str,
    file: &Path,
    len: u64,
    chunk: u64,
    mut offset: u64,
) -> anyhow::Result<()> {
    while offset < len {
        let count = chunk.min(len - offset);
        let next = patch(server, path, cookie, file, offset, count).await?;
        ensure!(
            next == offset + count,
            "the server says {next}, expected {}",
            offset + count
        );
        offset = next;
    }
    Ok(())
}

struct Cut {
    sent_before: u64,
    kept: u64,
    sent_twice: u64,
}

/// Uploads in chunks, drops the connection in the middle of the chunk that crosses half-way, asks
/// the server where it stands and sends the rest from there.
async fn cut_and_resume(
    server: SocketAddr,
    code: &str,
    cookie: &str,
    file: &Path,
    len: u64,
    chunk: u64,
) -> anyhow::Result<Cut> {
    let path = create(server, code, cookie, len).await?;
    let half = len / 2;
    let whole_chunks = half / chunk * chunk;
    send_from(server, &path, cookie, file, whole_chunks, chunk, 0).await?;
    // The chunk that crosses half-way: its body fails at half.
    let count = chunk.min(len - whole_chunks);
    let mut opened = tokio::fs::File::open(file).await?;
    opened.seek(std::io::SeekFrom::Start(whole_chunks)).await?;
    let upto = half - whole_chunks;
    let body = ReaderStream::with_capacity(opened.take(upto), READ_BUFFER).chain(
        futures_util::stream::once(async { Err(std::io::Error::other("cut")) }),
    );
    let cut = http_client()
        .patch(url(server, &path))
        .header("Cookie", cookie)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", whole_chunks)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", count)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    ensure!(cut.is_err(), "the cut request was answered");
    // Every byte up to half-way was handed to the connection before it dropped.
    let sent_before = half;
    let kept = settled_offset(server, &path, cookie).await?;
    send_from(server, &path, cookie, file, len, chunk, kept).await?;
    Ok(Cut {
        sent_before,
        kept,
        sent_twice: sent_before.saturating_sub(kept),
    })
}

/// The server's offset once it has counted the cut request's bytes (it stops changing).
async fn settled_offset(server: SocketAddr, path: &str, cookie: &str) -> anyhow::Result<u64> {
    let deadline = Instant::now() + SETTLE;
    let mut last = None;
    loop {
        let response = http_client()
            .head(url(server, path))
            .header("Cookie", cookie)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await?;
        let offset = offset_header(&response)?;
        if last == Some(offset) || Instant::now() > deadline {
            return Ok(offset);
        }
        last = Some(offset);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
