//! Subtitles: turning an uploaded `.srt` or `.vtt` file into clean WebVTT (pure: no I/O), and
//! pulling text subtitle streams out of an uploaded video with ffmpeg ([`extract`], the one part
//! that runs programs).
//!
//! - [`decode`]: bytes to text (UTF-8, UTF-16 with a BOM, else Windows-1252).
//! - [`cue`]: timestamps and cue text, sanitised so that no markup but styling gets through.
//! - [`srt`], [`vtt`]: the two formats, both rewritten as WebVTT from their parsed cues.

pub mod cue;
pub mod decode;
pub mod extract;
pub mod srt;
pub mod vtt;

use crate::client::ClientId;

/// Largest subtitle file accepted, in bytes.
pub const MAX_SUBTITLE_BYTES: usize = 2 * 1024 * 1024;
/// Tracks one video may have.
pub const MAX_TRACKS: usize = 20;
/// Longest label, in characters.
const MAX_LABEL_CHARS: usize = 80;
/// Longest language tag, in characters.
const MAX_LANGUAGE_CHARS: usize = 35;

/// A video's subtitle track as its room keeps it (the WebVTT text stays in the database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    pub id: i64,
    pub label: String,
    pub language: Option<String>,
    /// Who uploaded it; None when it was found inside the video file.
    pub added_by: Option<ClientId>,
}

/// A track to add: checked and converted already.
#[derive(Clone, Debug)]
pub struct NewTrack {
    pub label: String,
    pub language: Option<String>,
    pub vtt: String,
}

/// Why a room would not add or remove a track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrackError {
    #[error("the room has no video to add subtitles to")]
    NoVideo,
    #[error("the video has the most subtitle tracks it may have")]
    TooMany,
    #[error("no such subtitle track")]
    NoSuchTrack,
    #[error("YouTube's player shows only YouTube's own captions")]
    YouTube,
}

/// Why a file is not usable subtitles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubtitleError {
    #[error("the file is not text (it holds NUL bytes)")]
    Binary,
    #[error("a WebVTT file must start with the line WEBVTT")]
    MissingHeader,
    #[error("the file holds no valid subtitle cue (an SRT or WebVTT file was expected)")]
    NoCues,
}

/// Turns the bytes of an uploaded subtitle file into WebVTT. `name` (the file's name, perhaps
/// empty) decides only that a `.vtt` file must carry the WebVTT header; the content decides the
/// format otherwise.
pub fn to_webvtt(bytes: &[u8], name: &str) -> Result<String, SubtitleError> {
    let text = decode::decode(bytes);
    if text.contains('\0') {
        return Err(SubtitleError::Binary);
    }
    let text = cue::normalize_newlines(&text);
    if vtt::has_header(&text) {
        return vtt::clean(&text);
    }
    if name.to_ascii_lowercase().ends_with(".vtt") {
        return Err(SubtitleError::MissingHeader);
    }
    srt::to_webvtt(&text)
}

/// A track's label from the name it was uploaded under: the file name without its folder and
/// extension, control characters dropped, at most [`MAX_LABEL_CHARS`]; None when nothing is left.
pub fn label_from_name(name: &str) -> Option<String> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = match file.rsplit_once('.') {
        Some((stem, extension))
            if !stem.is_empty()
                && ["srt", "vtt"].contains(&extension.to_ascii_lowercase().as_str()) =>
        {
            stem
        }
        _ => file,
    };
    clean_label(stem)
}

/// Control characters dropped, spaces trimmed, at most [`MAX_LABEL_CHARS`]; None when empty.
pub fn clean_label(text: &str) -> Option<String> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_string())
}

/// Whether `tag` looks like a BCP 47 language tag: a primary subtag of 2 to 3 letters (or 4 to 8,
/// registered ones), then subtags of 1 to 8 letters or digits, separated by hyphens.
pub fn valid_language(tag: &str) -> bool {
    if tag.is_empty() || tag.len() > MAX_LANGUAGE_CHARS {
        return false;
    }
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=8).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|part| {
            (1..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_file_names() {
        assert_eq!(label_from_name("Movie.en.srt").as_deref(), Some("Movie.en"));
        assert_eq!(
            label_from_name("C:\\subs\\French.VTT").as_deref(),
            Some("French")
        );
        assert_eq!(label_from_name("notes.txt").as_deref(), Some("notes.txt"));
        assert_eq!(label_from_name(".srt").as_deref(), Some(".srt"));
        assert_eq!(label_from_name("a\u{7}b.srt").as_deref(), Some("ab"));
        assert_eq!(label_from_name("  "), None);
        assert_eq!(
            label_from_name(&"x".repeat(300)).unwrap().len(),
            MAX_LABEL_CHARS
        );
    }

    #[test]
    fn language_tags_are_checked() {
        for good in ["en", "eng", "pt-BR", "zh-Hant-TW", "sr-Latn", "de-CH-1996"] {
            assert!(valid_language(good), "{good}");
        }
        for bad in [
            "",
            "e",
            "en_US",
            "en-",
            "-en",
            "fr\"",
            "a b",
            "toolongprimary",
            "12",
        ] {
            assert!(!valid_language(bad), "{bad}");
        }
    }

    #[test]
    fn format_follows_the_content_and_vtt_names_need_the_header() {
        let srt = b"1\n00:00:01,000 --> 00:00:02,000\nHi\n";
        assert!(to_webvtt(srt, "a.srt").unwrap().starts_with("WEBVTT\n"));
        assert!(to_webvtt(srt, "").is_ok());
        assert_eq!(to_webvtt(srt, "a.vtt"), Err(SubtitleError::MissingHeader));
        let vtt = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n";
        assert!(to_webvtt(vtt, "a.srt").is_ok());
        assert_eq!(
            to_webvtt(b"\0\0\0garbage", "x.srt"),
            Err(SubtitleError::Binary)
        );
        assert_eq!(
            to_webvtt(b"just some words\nand more", "x.srt"),
            Err(SubtitleError::NoCues)
        );
    }
}
