//! What a file holds (ffprobe), and the decision that follows: play it as it is, copy its streams
//! into MP4 (a remux, seconds even for large files), or encode what browsers cannot decode. The
//! reading of ffprobe's answer and the decision are pure and unit-tested; [`probe`] runs ffprobe.

use std::{path::Path, process::Stdio, time::Duration};

use serde::Deserialize;

use super::Container;
use crate::room::VideoInfo;

/// ffprobe reads headers only; a file it cannot read in this long is not one we can convert.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of ffprobe's error output kept as a reason.
const MAX_REASON: usize = 300;

/// What ffprobe found in a file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probe {
    /// ffprobe's container names, e.g. `matroska,webm`.
    pub format: String,
    pub duration: Option<f64>,
    /// The first video stream (cover pictures left out).
    pub video: Option<VideoStream>,
    /// The first audio stream's codec.
    pub audio: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VideoStream {
    pub codec: String,
    pub pix_fmt: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// What to do with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Browsers play it: it goes live at once.
    AsIs,
    /// Written again as MP4 with the index at the front, each stream copied or encoded.
    Convert(Conversion),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conversion {
    pub video: Action,
    pub audio: Action,
}

impl Conversion {
    /// Nothing is encoded: a remux, about as fast as the disk.
    pub fn is_remux(self) -> bool {
        self.video != Action::Encode && self.audio != Action::Encode
    }
}

/// What happens to one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Copied as it is (`-c copy`).
    Copy,
    /// Encoded to H.264 (video) or AAC (audio).
    Encode,
    /// The file has no such stream.
    Absent,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("the file could not be read as a video: {0}")]
    Unreadable(String),
    #[error("the file has neither a video nor an audio stream")]
    NoStreams,
}

impl Probe {
    /// Reads ffprobe's `-print_format json -show_format -show_streams` answer.
    pub fn parse(json: &str) -> Result<Self, ProbeError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            streams: Vec<Stream>,
            format: Option<Format>,
        }
        #[derive(Deserialize)]
        struct Format {
            #[serde(default)]
            format_name: String,
            duration: Option<String>,
        }
        #[derive(Deserialize)]
        struct Stream {
            codec_type: Option<String>,
            codec_name: Option<String>,
            pix_fmt: Option<String>,
            width: Option<u32>,
            height: Option<u32>,
            duration: Option<String>,
            #[serde(default)]
            disposition: Disposition,
        }
        #[derive(Deserialize, Default)]
        struct Disposition {
            #[serde(default)]
            attached_pic: u8,
        }
        let answer: Answer = serde_json::from_str(json)
            .map_err(|error| ProbeError::Unreadable(format!("ffprobe's answer: {error}")))?;
        let format = answer
            .format
            .ok_or_else(|| ProbeError::Unreadable("no container found".into()))?;
        let seconds = |text: Option<&String>| {
            text.and_then(|text| text.parse::<f64>().ok())
                .filter(|secs| secs.is_finite() && *secs > 0.0)
        };
        let video = answer.streams.iter().find(|stream| {
            stream.codec_type.as_deref() == Some("video") && stream.disposition.attached_pic == 0
        });
        let audio = answer
            .streams
            .iter()
            .find(|stream| stream.codec_type.as_deref() == Some("audio"));
        let duration = seconds(format.duration.as_ref())
            .or_else(|| video.and_then(|stream| seconds(stream.duration.as_ref())))
            .or_else(|| audio.and_then(|stream| seconds(stream.duration.as_ref())));
        let probe = Self {
            format: format.format_name,
            duration,
            video: video.map(|stream| VideoStream {
                codec: stream.codec_name.clone().unwrap_or_default(),
                pix_fmt: stream.pix_fmt.clone(),
                width: stream.width,
                height: stream.height,
            }),
            audio: audio.map(|stream| stream.codec_name.clone().unwrap_or_default()),
        };
        if probe.video.is_none() && probe.audio.is_none() {
            return Err(ProbeError::NoStreams);
        }
        Ok(probe)
    }

    /// Duration, size and codecs as rooms show them (no poster yet).
    pub fn info(&self) -> VideoInfo {
        let codecs: Vec<&str> = self
            .video
            .as_ref()
            .map(|video| video.codec.as_str())
            .into_iter()
            .chain(self.audio.as_deref())
            .filter(|codec| !codec.is_empty())
            .collect();
        VideoInfo {
            duration: self.duration,
            width: self.video.as_ref().and_then(|video| video.width),
            height: self.video.as_ref().and_then(|video| video.height),
            codecs: (!codecs.is_empty()).then(|| codecs.join(",")),
            poster: None,
        }
    }
}

impl Probe {
    /// What the file will be after `conversion`: encoded streams become H.264 (even sizes) and
    /// AAC; copied ones stay as they are.
    pub fn converted_info(&self, conversion: Conversion) -> VideoInfo {
        let mut converted = self.clone();
        if let Some(video) = converted.video.as_mut()
            && conversion.video == Action::Encode
        {
            video.codec = "h264".into();
            video.width = video.width.map(|width| width / 2 * 2);
            video.height = video.height.map(|height| height / 2 * 2);
        }
        if let Some(audio) = converted.audio.as_mut()
            && conversion.audio == Action::Encode
        {
            *audio = "aac".into();
        }
        converted.info()
    }
}

/// The decision for a file in `container` holding what `probe` found. Browsers play MP4, WebM and
/// Ogg holding H.264 (8-bit 4:2:0), VP8, VP9 or AV1 video and AAC, MP3, Opus, Vorbis or FLAC
/// audio; other containers (Matroska, QuickTime, AVI, MPEG-TS...) holding streams MP4 can carry
/// are remuxed; anything else is encoded, stream by stream.
pub fn decide(container: Container, probe: &Probe) -> Plan {
    let video_plays = probe.video.as_ref().is_none_or(browser_decodes_video);
    let audio_plays = probe.audio.as_deref().is_none_or(browser_decodes_audio);
    let container_plays = matches!(container, Container::Mp4 | Container::WebM | Container::Ogg);
    if container_plays && video_plays && audio_plays {
        return Plan::AsIs;
    }
    let video = match &probe.video {
        None => Action::Absent,
        Some(video) if mp4_carries_playable_video(video) => Action::Copy,
        Some(_) => Action::Encode,
    };
    let audio = match probe.audio.as_deref() {
        None => Action::Absent,
        Some("aac" | "mp3" | "opus") => Action::Copy,
        Some(_) => Action::Encode,
    };
    Plan::Convert(Conversion { video, audio })
}

fn browser_decodes_video(video: &VideoStream) -> bool {
    match video.codec.as_str() {
        "h264" => is_8bit_420(video),
        "vp8" | "vp9" | "av1" => true,
        _ => false,
    }
}

fn browser_decodes_audio(codec: &str) -> bool {
    matches!(codec, "aac" | "mp3" | "opus" | "vorbis" | "flac")
}

/// Video MP4 can carry that browsers decode (VP8 in MP4 is not widely played).
fn mp4_carries_playable_video(video: &VideoStream) -> bool {
    match video.codec.as_str() {
        "h264" => is_8bit_420(video),
        "vp9" | "av1" => true,
        _ => false,
    }
}

/// 10-bit and 4:2:2/4:4:4 H.264 (High 10, High 4:2:2) is not decoded by most browsers.
fn is_8bit_420(video: &VideoStream) -> bool {
    matches!(
        video.pix_fmt.as_deref(),
        None | Some("yuv420p" | "yuvj420p")
    )
}

/// Runs ffprobe on `path`.
pub async fn probe(ffprobe: &Path, path: &Path) -> Result<Probe, ProbeError> {
    let mut command = tokio::process::Command::new(ffprobe);
    command
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(PROBE_TIMEOUT, command.output())
        .await
        .map_err(|_| ProbeError::Unreadable("ffprobe took too long".into()))?
        .map_err(|error| ProbeError::Unreadable(format!("could not run ffprobe: {error}")))?;
    if !output.status.success() {
        return Err(ProbeError::Unreadable(reason_from(&output.stderr, path)));
    }
    Probe::parse(&String::from_utf8_lossy(&output.stdout))
}

/// The last line of a tool's error output, without the server's file path, for people.
pub fn reason_from(stderr: &[u8], path: &Path) -> String {
    let text = String::from_utf8_lossy(stderr);
    let path = path.to_string_lossy();
    let line = text
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or("no details")
        .replace(path.as_ref(), "the file");
    line.chars().take(MAX_REASON).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_of(format: &str, video: Option<(&str, &str)>, audio: Option<&str>) -> Probe {
        let mut streams = Vec::new();
        if let Some((codec, pix_fmt)) = video {
            streams.push(format!(
                r#"{{"index":0,"codec_name":"{codec}","codec_type":"video","width":320,"height":240,"pix_fmt":"{pix_fmt}","disposition":{{"default":1,"attached_pic":0}}}}"#
            ));
        }
        if let Some(codec) = audio {
            streams.push(format!(
                r#"{{"index":1,"codec_name":"{codec}","codec_type":"audio","sample_rate":"48000"}}"#
            ));
        }
        let json = format!(
            r#"{{"streams":[{}],"format":{{"format_name":"{format}","duration":"2.040000","size":"1234"}}}}"#,
            streams.join(",")
        );
        Probe::parse(&json).unwrap()
    }

    fn convert(video: Action, audio: Action) -> Plan {
        Plan::Convert(Conversion { video, audio })
    }

    #[test]
    fn reads_ffprobe_answers() {
        let probe = probe_of("matroska,webm", Some(("hevc", "yuv420p")), Some("ac3"));
        assert_eq!(probe.duration, Some(2.04));
        assert_eq!(probe.video.as_ref().unwrap().codec, "hevc");
        assert_eq!(probe.audio.as_deref(), Some("ac3"));
        let info = probe.info();
        assert_eq!((info.width, info.height), (Some(320), Some(240)));
        assert_eq!(info.codecs.as_deref(), Some("hevc,ac3"));
        assert_eq!(info.poster, None);
    }

    #[test]
    fn cover_pictures_are_not_the_video_and_empty_files_are_refused() {
        let json = r#"{"streams":[
            {"codec_name":"mjpeg","codec_type":"video","disposition":{"attached_pic":1}},
            {"codec_name":"mp3","codec_type":"audio","duration":"3.5"}],
            "format":{"format_name":"mp3"}}"#;
        let probe = Probe::parse(json).unwrap();
        assert_eq!(probe.video, None);
        assert_eq!(
            probe.duration,
            Some(3.5),
            "from the stream when the format has none"
        );
        assert_eq!(
            Probe::parse(r#"{"streams":[],"format":{"format_name":"avi"}}"#),
            Err(ProbeError::NoStreams)
        );
        assert!(matches!(Probe::parse("{}"), Err(ProbeError::Unreadable(_))));
        assert!(matches!(
            Probe::parse("not json"),
            Err(ProbeError::Unreadable(_))
        ));
    }

    #[test]
    fn browser_playable_files_go_as_they_are() {
        let h264 = Some(("h264", "yuv420p"));
        assert_eq!(
            decide(Container::Mp4, &probe_of("mov,mp4", h264, Some("aac"))),
            Plan::AsIs
        );
        assert_eq!(
            decide(Container::Mp4, &probe_of("mov,mp4", h264, None)),
            Plan::AsIs
        );
        let vp9 = Some(("vp9", "yuv420p"));
        assert_eq!(
            decide(
                Container::WebM,
                &probe_of("matroska,webm", vp9, Some("opus"))
            ),
            Plan::AsIs
        );
        assert_eq!(
            decide(Container::Ogg, &probe_of("ogg", None, Some("vorbis"))),
            Plan::AsIs
        );
    }

    #[test]
    fn playable_codecs_in_other_containers_are_remuxed() {
        let h264 = Some(("h264", "yuv420p"));
        for container in [
            Container::Matroska,
            Container::QuickTime,
            Container::Avi,
            Container::MpegTs,
        ] {
            let plan = decide(container, &probe_of("x", h264, Some("aac")));
            assert_eq!(plan, convert(Action::Copy, Action::Copy), "{container:?}");
            let Plan::Convert(conversion) = plan else {
                unreachable!()
            };
            assert!(conversion.is_remux());
        }
        assert_eq!(
            decide(Container::Matroska, &probe_of("x", h264, Some("mp3"))),
            convert(Action::Copy, Action::Copy)
        );
    }

    #[test]
    fn what_browsers_cannot_decode_is_encoded_stream_by_stream() {
        let h264 = Some(("h264", "yuv420p"));
        let hevc = Some(("hevc", "yuv420p"));
        let ac3 = Some("ac3");
        assert_eq!(
            decide(Container::Matroska, &probe_of("x", hevc, ac3)),
            convert(Action::Encode, Action::Encode)
        );
        assert_eq!(
            decide(Container::Matroska, &probe_of("x", h264, Some("dts"))),
            convert(Action::Copy, Action::Encode)
        );
        assert_eq!(
            decide(Container::Mp4, &probe_of("x", hevc, Some("aac"))),
            convert(Action::Encode, Action::Copy)
        );
        assert_eq!(
            decide(
                Container::MpegPs,
                &probe_of("x", Some(("mpeg2video", "yuv420p")), Some("mp2"))
            ),
            convert(Action::Encode, Action::Encode)
        );
        assert_eq!(
            decide(
                Container::Mp4,
                &probe_of("x", Some(("h264", "yuv420p10le")), Some("aac"))
            ),
            convert(Action::Encode, Action::Copy),
            "10-bit H.264"
        );
        assert_eq!(
            decide(Container::Matroska, &probe_of("x", None, Some("flac"))),
            convert(Action::Absent, Action::Encode)
        );
        let plan = decide(Container::Matroska, &probe_of("x", hevc, ac3));
        let Plan::Convert(conversion) = plan else {
            unreachable!()
        };
        assert!(!conversion.is_remux());
    }

    #[test]
    fn converted_info_names_what_the_output_holds() {
        let mut probe = probe_of("x", Some(("hevc", "yuv420p")), Some("dts"));
        probe.video.as_mut().unwrap().width = Some(321);
        let info = probe.converted_info(Conversion {
            video: Action::Encode,
            audio: Action::Encode,
        });
        assert_eq!(info.codecs.as_deref(), Some("h264,aac"));
        assert_eq!((info.width, info.height), (Some(320), Some(240)));
        let copied = probe.converted_info(Conversion {
            video: Action::Copy,
            audio: Action::Encode,
        });
        assert_eq!(copied.codecs.as_deref(), Some("hevc,aac"));
        assert_eq!(copied.width, Some(321));
    }

    #[test]
    fn reasons_are_short_and_name_no_server_path() {
        let path = Path::new("/srv/media/.upload-abc.part");
        let stderr = b"[matroska @ 0x1] bad header\n/srv/media/.upload-abc.part: Invalid data found when processing input\n";
        assert_eq!(
            reason_from(stderr, path),
            "the file: Invalid data found when processing input"
        );
        assert_eq!(reason_from(b"", path), "no details");
    }
}
