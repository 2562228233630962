//! Recognises the video containers browsers play from a file's first bytes. The client's file name
//! and content type are never trusted for this.

/// Bytes needed to decide.
pub const SNIFF_LEN: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Mp4,
    QuickTime,
    WebM,
    Matroska,
    Ogg,
}

impl Container {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
            Self::WebM => "webm",
            Self::Matroska => "mkv",
            Self::Ogg => "ogv",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
            Self::WebM => "video/webm",
            Self::Matroska => "video/x-matroska",
            Self::Ogg => "video/ogg",
        }
    }

    /// Every extension a stored video can have.
    pub const EXTENSIONS: [&'static str; 5] = ["mp4", "mov", "webm", "mkv", "ogv"];
}

/// The container of a file starting with `head` (up to [`SNIFF_LEN`] bytes), if browsers play it.
pub fn sniff(head: &[u8]) -> Option<Container> {
    const EBML_MAGIC: &[u8] = &[0x1A, 0x45, 0xDF, 0xA3];
    if head.starts_with(b"OggS") {
        return Some(Container::Ogg);
    }
    if head.starts_with(EBML_MAGIC) {
        // The EBML header names the document type; WebM is the browser subset of Matroska.
        let is_webm = head.windows(4).any(|w| w == b"webm");
        return Some(if is_webm {
            Container::WebM
        } else {
            Container::Matroska
        });
    }
    let box_type = head.get(4..8)?;
    match box_type {
        b"ftyp" => match head.get(8..12) {
            Some(b"qt  ") => Some(Container::QuickTime),
            Some(_) => Some(Container::Mp4),
            None => None,
        },
        // Old QuickTime files may start with these atoms instead of `ftyp`.
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" => Some(Container::QuickTime),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_browser_containers() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41";
        assert_eq!(sniff(mp4), Some(Container::Mp4));
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"),
            Some(Container::QuickTime)
        );
        let webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm";
        assert_eq!(sniff(webm), Some(Container::WebM));
        let mkv = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska";
        assert_eq!(sniff(mkv), Some(Container::Matroska));
        assert_eq!(sniff(b"OggS\0\x02"), Some(Container::Ogg));
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"\0\0\0"), None);
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), None);
        assert_eq!(sniff(b"\0\0\0\x20ftyp"), None, "truncated before the brand");
    }
}
