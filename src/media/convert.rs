//! Running ffmpeg: a conversion to MP4 with the index at the front (streams copied or encoded to
//! H.264/AAC), reporting progress and stopping when cancelled; and a poster frame. Building the
//! arguments and reading ffmpeg's progress lines are pure and unit-tested.

use std::{
    ffi::OsString,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    sync::watch,
};
use tokio_util::sync::CancellationToken;

use super::probe::{Action, Conversion, reason_from};

/// The most of ffmpeg's error output kept (the reason is its last line).
const STDERR_TAIL: usize = 4096;
/// Posters are at most this wide (the page shows them at player size).
const POSTER_WIDTH: u32 = 640;
/// A poster frame is taken this far into the video (or a tenth of it, when shorter).
const POSTER_AT_SECS: f64 = 10.0;
const POSTER_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
}

/// ffmpeg's arguments for writing `input` to `output` as MP4 as `conversion` says: the first
/// video and the first audio stream (subtitles and extra tracks left out), encoded with x264's
/// `preset` where needed, the index at the front so playback starts before the whole file is
/// fetched, and progress as `key=value` lines on standard output.
pub fn conversion_args(
    input: &Path,
    output: &Path,
    conversion: Conversion,
    preset: &str,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"]
        .map(OsString::from)
        .to_vec();
    args.push(input.into());
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    if conversion.video != Action::Absent {
        push(&["-map", "0:v:0"]);
    }
    if conversion.audio != Action::Absent {
        push(&["-map", "0:a:0"]);
    }
    match conversion.video {
        Action::Copy => push(&["-c:v", "copy"]),
        Action::Encode => push(&[
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            "22",
            "-pix_fmt",
            "yuv420p",
            // 4:2:0 needs even sizes.
            "-vf",
            "scale=trunc(iw/2)*2:trunc(ih/2)*2",
        ]),
        Action::Absent => {}
    }
    match conversion.audio {
        Action::Copy => push(&["-c:a", "copy"]),
        Action::Encode => push(&["-c:a", "aac", "-b:a", "192k", "-ac", "2"]),
        Action::Absent => {}
    }
    push(&[
        "-sn",
        "-dn",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-progress",
        "pipe:1",
        "-nostats",
    ]);
    args.push(output.into());
    args
}

/// The output time, in seconds, that one of ffmpeg's `-progress` lines reports; None for the
/// other keys and for `N/A`.
pub fn progress_seconds(line: &str) -> Option<f64> {
    let value = line.trim().strip_prefix("out_time_us=")?;
    let micros: i64 = value.parse().ok()?;
    (micros >= 0).then(|| micros as f64 / 1_000_000.0)
}

/// How far, 0 to 100, `done` seconds are into a video of `duration` seconds (0 when unknown).
pub fn percent(done: f64, duration: Option<f64>) -> f64 {
    match duration {
        Some(total) if total > 0.0 => (done / total * 100.0).clamp(0.0, 100.0),
        _ => 0.0,
    }
}

/// Lets a progress report through at most once per `every` (the first at once).
pub struct Throttle {
    every: Duration,
    last: Option<Instant>,
}

impl Throttle {
    pub fn new(every: Duration) -> Self {
        Self { every, last: None }
    }

    /// Whether a report at `now` goes out (and if so, it counts as the last).
    pub fn due(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < self.every)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

/// Runs ffmpeg with `args`, sending the output time in seconds to `progress` as it goes. Kills
/// ffmpeg when `cancel` fires. `input` is only named to take it out of error messages.
pub async fn run(
    ffmpeg: &Path,
    args: Vec<OsString>,
    input: &Path,
    progress: &watch::Sender<f64>,
    cancel: &CancellationToken,
) -> Result<(), ConvertError> {
    let mut child = tokio::process::Command::new(ffmpeg)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| ConvertError::Failed(format!("could not run ffmpeg: {error}")))?;
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let errors = tokio::spawn(async move {
        let mut tail = Vec::new();
        let mut buffer = [0u8; 1024];
        while let Ok(read) = stderr.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            tail.extend_from_slice(&buffer[..read]);
            if tail.len() > STDERR_TAIL {
                tail.drain(..tail.len() - STDERR_TAIL);
            }
        }
        tail
    });
    let watch_progress = async {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(seconds) = progress_seconds(&line) {
                progress.send_replace(seconds);
            }
        }
    };
    let finished = async {
        watch_progress.await;
        child.wait().await
    };
    let outcome = tokio::select! {
        status = finished => Some(status),
        () = cancel.cancelled() => None,
    };
    let Some(status) = outcome else {
        let _ = child.kill().await;
        errors.abort();
        return Err(ConvertError::Cancelled);
    };
    let tail = errors.await.unwrap_or_default();
    match status {
        // A damaged or cut-short file can give ffmpeg nothing to write, and it still succeeds.
        Ok(status) if status.success() && *progress.borrow() <= 0.0 => {
            let reason = reason_from(&tail, input);
            Err(ConvertError::Failed(format!(
                "nothing in the file could be converted (it may be damaged or cut short): {reason}"
            )))
        }
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            let reason = reason_from(&tail, input);
            Err(ConvertError::Failed(format!(
                "ffmpeg failed ({status}): {reason}"
            )))
        }
        Err(error) => Err(ConvertError::Failed(format!(
            "ffmpeg did not finish: {error}"
        ))),
    }
}

/// Writes a JPEG frame of `video` (a tenth of the way in, at most [`POSTER_AT_SECS`]) to `output`.
pub async fn poster(
    ffmpeg: &Path,
    video: &Path,
    output: &Path,
    duration: Option<f64>,
) -> Result<(), String> {
    let at = duration.map_or(0.0, |total| (total / 10.0).min(POSTER_AT_SECS));
    let scale = format!("scale='min({POSTER_WIDTH},iw)':-2");
    let mut command = tokio::process::Command::new(ffmpeg);
    command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(["-ss", &format!("{at:.3}"), "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-vf", &scale, "-q:v", "5", "-f", "mjpeg"])
        .arg(output)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(POSTER_TIMEOUT, command.output())
        .await
        .map_err(|_| "ffmpeg took too long".to_string())?
        .map_err(|error| error.to_string())?;
    match output.status.success() {
        true => Ok(()),
        false => Err(reason_from(&output.stderr, video)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_progress_lines() {
        let report = "frame=48\nfps=0.00\nout_time_us=1520000\nout_time_ms=1520000\nout_time=00:00:01.520000\nprogress=continue\n";
        let seen: Vec<f64> = report.lines().filter_map(progress_seconds).collect();
        assert_eq!(seen, vec![1.52]);
        assert_eq!(progress_seconds("out_time_us=N/A"), None);
        assert_eq!(progress_seconds("out_time_us=-9223372036854775807"), None);
        assert_eq!(progress_seconds("progress=end"), None);
        assert_eq!(progress_seconds("  out_time_us=0  "), Some(0.0));
    }

    #[test]
    fn percent_is_bounded_and_zero_without_a_duration() {
        assert_eq!(percent(1.0, Some(4.0)), 25.0);
        assert_eq!(percent(5.0, Some(4.0)), 100.0);
        assert_eq!(percent(1.0, None), 0.0);
        assert_eq!(percent(1.0, Some(0.0)), 0.0);
    }

    #[test]
    fn throttle_lets_through_at_most_one_report_per_period() {
        let start = Instant::now();
        let mut throttle = Throttle::new(Duration::from_millis(500));
        let at = |ms| start + Duration::from_millis(ms);
        assert!(throttle.due(at(0)));
        assert!(!throttle.due(at(100)));
        assert!(!throttle.due(at(499)));
        assert!(throttle.due(at(500)));
        assert!(!throttle.due(at(900)));
        assert!(throttle.due(at(1200)));
    }

    #[test]
    fn remux_copies_and_transcode_encodes_into_faststart_mp4() {
        let (input, output) = (Path::new("/m/in.part"), Path::new("/m/out.part"));
        let text = |conversion| {
            conversion_args(input, output, conversion, "veryfast")
                .iter()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let remux = text(Conversion {
            video: Action::Copy,
            audio: Action::Copy,
        });
        assert!(
            remux.contains("-i /m/in.part -map 0:v:0 -map 0:a:0 -c:v copy -c:a copy"),
            "{remux}"
        );
        assert!(remux.contains("-movflags +faststart -f mp4"), "{remux}");
        assert!(
            remux.ends_with("-progress pipe:1 -nostats /m/out.part"),
            "{remux}"
        );
        assert!(!remux.contains("libx264"));
        let transcode = text(Conversion {
            video: Action::Encode,
            audio: Action::Encode,
        });
        assert!(
            transcode.contains("-c:v libx264 -preset veryfast"),
            "{transcode}"
        );
        assert!(transcode.contains("-c:a aac"), "{transcode}");
        let silent = text(Conversion {
            video: Action::Copy,
            audio: Action::Absent,
        });
        assert!(
            !silent.contains("0:a:0") && !silent.contains("-c:a"),
            "{silent}"
        );
    }
}
