//! Text subtitle streams inside an uploaded video (SubRip, ASS/SSA, mov_text, WebVTT), pulled out
//! as WebVTT with ffprobe and ffmpeg. Picture subtitles (DVD, Blu-ray) cannot become text and are
//! left alone. Without ffmpeg on the machine this finds nothing, and says so in the log once.

use std::{
    path::Path,
    process::Stdio,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use serde::Deserialize;
use tokio::{io::AsyncReadExt, process::Command};

use crate::media::Tools;

use super::{MAX_SUBTITLE_BYTES, MAX_TRACKS, NewTrack, clean_label, cue, valid_language, vtt};

/// How long one ffprobe or ffmpeg run may take before it is stopped.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// Codecs ffmpeg can write out as WebVTT text.
const TEXT_CODECS: [&str; 5] = ["subrip", "ass", "ssa", "mov_text", "webvtt"];

/// Set once the missing tools have been logged.
static MISSING_LOGGED: AtomicBool = AtomicBool::new(false);

/// A subtitle stream of the file, as ffprobe lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextStream {
    /// Its place among the file's subtitle streams (`-map 0:s:N`).
    pub nth: usize,
    pub label: String,
    pub language: Option<String>,
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    streams: Vec<ProbeStream>,
}

#[derive(Deserialize)]
struct ProbeStream {
    #[serde(default)]
    codec_name: String,
    #[serde(default)]
    tags: ProbeTags,
}

#[derive(Deserialize, Default)]
struct ProbeTags {
    language: Option<String>,
    title: Option<String>,
}

/// The text streams among the subtitle streams ffprobe listed (`-select_streams s`, JSON), at
/// most [`MAX_TRACKS`], labelled by their title, else their language, else their number.
pub fn text_streams(probe_json: &[u8]) -> Vec<TextStream> {
    let Ok(probe) = serde_json::from_slice::<Probe>(probe_json) else {
        return Vec::new();
    };
    probe
        .streams
        .into_iter()
        .enumerate()
        .filter(|(_, stream)| TEXT_CODECS.contains(&stream.codec_name.as_str()))
        .take(MAX_TRACKS)
        .map(|(nth, stream)| {
            let language = stream
                .tags
                .language
                .filter(|tag| tag != "und" && valid_language(tag));
            let label = stream
                .tags
                .title
                .as_deref()
                .and_then(clean_label)
                .or_else(|| language.clone())
                .unwrap_or_else(|| format!("Track {}", nth + 1));
            TextStream {
                nth,
                label,
                language,
            }
        })
        .collect()
}

/// Every text subtitle stream of `file` as a checked WebVTT track. Failures are logged and give
/// fewer tracks, never an error: the video plays all the same.
pub async fn extract(tools: &Tools, file: &Path) -> Vec<NewTrack> {
    let probe_args = [
        "-v",
        "error",
        "-select_streams",
        "s",
        "-show_entries",
        "stream=codec_name:stream_tags=language,title",
        "-of",
        "json",
    ];
    let Some(probe) = run(&tools.ffprobe, &probe_args, file, &[]).await else {
        return Vec::new();
    };
    let mut tracks = Vec::new();
    for stream in text_streams(&probe) {
        let map = format!("0:s:{}", stream.nth);
        let args = ["-map", &map, "-c:s", "webvtt", "-f", "webvtt", "-"];
        let Some(output) = run(
            &tools.ffmpeg,
            &["-v", "error", "-nostdin", "-i"],
            file,
            &args,
        )
        .await
        else {
            continue;
        };
        let text = String::from_utf8_lossy(&output);
        match vtt::clean(&cue::normalize_newlines(&text)) {
            Ok(vtt) => tracks.push(NewTrack {
                label: stream.label,
                language: stream.language,
                vtt,
            }),
            Err(error) => {
                tracing::info!(file = %file.display(), stream = stream.nth, %error, "subtitle stream skipped");
            }
        }
    }
    tracks
}

/// Runs `program before.. file after..` and returns what it wrote (at most
/// [`MAX_SUBTITLE_BYTES`]); None when it could not run, failed, wrote too much or took too long.
async fn run(program: &Path, before: &[&str], file: &Path, after: &[&str]) -> Option<Vec<u8>> {
    let mut child = Command::new(program)
        .args(before)
        .arg(file)
        .args(after)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .inspect_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                if !MISSING_LOGGED.swap(true, Ordering::Relaxed) {
                    tracing::info!(program = %program.display(), "not installed: subtitles inside uploaded videos are not extracted");
                }
            } else {
                tracing::warn!(program = %program.display(), %error, "could not run");
            }
        })
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let mut stderr = child.stderr.take()?;
    let finished = tokio::time::timeout(RUN_LIMIT, async {
        let mut output = Vec::new();
        let mut errors = Vec::new();
        let mut stdout = (&mut stdout).take(MAX_SUBTITLE_BYTES as u64 + 1);
        // The first lines say why it failed; the rest is read too, so a full pipe never
        // stalls it.
        let read_errors = async {
            let _ = (&mut stderr).take(4096).read_to_end(&mut errors).await;
            let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        };
        let (read, ()) = tokio::join!(stdout.read_to_end(&mut output), read_errors);
        // Over the limit: stop it rather than wait for the rest.
        if read.is_err() || output.len() > MAX_SUBTITLE_BYTES {
            let _ = child.kill().await;
            return None;
        }
        let status = child.wait().await.ok()?;
        if !status.success() {
            let errors = String::from_utf8_lossy(&errors);
            tracing::info!(program = %program.display(), file = %file.display(), %status, errors = %errors.trim(), "failed");
            return None;
        }
        Some(output)
    })
    .await;
    finished.unwrap_or_else(|_| {
        tracing::warn!(program = %program.display(), file = %file.display(), "took too long; stopped");
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_streams_are_picked_and_labelled() {
        let probe = br#"{"streams": [
            {"index": 2, "codec_name": "hdmv_pgs_subtitle", "tags": {"language": "eng"}},
            {"index": 3, "codec_name": "subrip", "tags": {"language": "fre", "title": "Fran\u00e7ais"}},
            {"index": 4, "codec_name": "ass", "tags": {"language": "ger"}},
            {"index": 5, "codec_name": "mov_text", "tags": {"language": "und"}},
            {"index": 6, "codec_name": "webvtt"}
        ]}"#;
        let streams = text_streams(probe);
        let seen: Vec<_> = streams
            .iter()
            .map(|s| (s.nth, s.label.as_str(), s.language.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "Français", Some("fre")),
                (2, "ger", Some("ger")),
                (3, "Track 4", None),
                (4, "Track 5", None),
            ]
        );
        assert!(text_streams(b"not json").is_empty());
        assert!(text_streams(b"{}").is_empty());
    }

    #[tokio::test]
    async fn missing_tools_find_nothing() {
        let tools = Tools {
            ffprobe: "/nonexistent/ffprobe".into(),
            ffmpeg: "/nonexistent/ffmpeg".into(),
        };
        assert!(
            extract(&tools, Path::new("/nonexistent/video.mkv"))
                .await
                .is_empty()
        );
    }
}
