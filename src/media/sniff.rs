//! Recognises video containers from a file's first bytes: those browsers play, and common ones they
//! do not (AVI, MPEG transport and program streams, FLV, ASF/WMV), which are taken only when ffmpeg
//! can convert them. The client's file name and content type are never trusted for this.

/// Bytes needed to decide (an MPEG transport stream shows its sync byte every 188 or 192 bytes).
pub const SNIFF_LEN: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    Mp4,
    QuickTime,
    WebM,
    Matroska,
    Ogg,
    Avi,
    /// MPEG transport stream (`.ts`, and `.m2ts` with its 4-byte time stamps).
    MpegTs,
    /// MPEG program stream (`.mpg`, DVD `.vob`).
    MpegPs,
    Flv,
    /// ASF: WMV and WMA.
    Asf,
}

impl Container {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
            Self::WebM => "webm",
            Self::Matroska => "mkv",
            Self::Ogg => "ogv",
            Self::Avi => "avi",
            Self::MpegTs => "ts",
            Self::MpegPs => "mpg",
            Self::Flv => "flv",
            Self::Asf => "wmv",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
            Self::WebM => "video/webm",
            Self::Matroska => "video/x-matroska",
            Self::Ogg => "video/ogg",
            Self::Avi => "video/x-msvideo",
            Self::MpegTs => "video/mp2t",
            Self::MpegPs => "video/mpeg",
            Self::Flv => "video/x-flv",
            Self::Asf => "video/x-ms-wmv",
        }
    }

    /// Whether it is taken without ffmpeg, as it is: browsers play these containers (Matroska
    /// when it holds what WebM may).
    pub fn browser_plays(self) -> bool {
        matches!(
            self,
            Self::Mp4 | Self::QuickTime | Self::WebM | Self::Matroska | Self::Ogg
        )
    }

    /// Every extension a stored video can have (the others are converted to MP4 first).
    pub const EXTENSIONS: [&'static str; 5] = ["mp4", "mov", "webm", "mkv", "ogv"];
}

/// The container of a file starting with `head` (up to [`SNIFF_LEN`] bytes), if it is a video.
pub fn sniff(head: &[u8]) -> Option<Container> {
    const EBML_MAGIC: &[u8] = &[0x1A, 0x45, 0xDF, 0xA3];
    const ASF_MAGIC: &[u8] = &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11];
    const MPEG_PACK: &[u8] = &[0x00, 0x00, 0x01, 0xBA];
    if head.starts_with(b"OggS") {
        return Some(Container::Ogg);
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        return Some(Container::Avi);
    }
    if head.starts_with(b"FLV\x01") {
        return Some(Container::Flv);
    }
    if head.starts_with(ASF_MAGIC) {
        return Some(Container::Asf);
    }
    if head.starts_with(MPEG_PACK) {
        return Some(Container::MpegPs);
    }
    if is_transport_stream(head) {
        return Some(Container::MpegTs);
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

/// Three sync bytes a packet apart: 188-byte packets, or 192 with a 4-byte time stamp first.
fn is_transport_stream(head: &[u8]) -> bool {
    const SYNC: u8 = 0x47;
    [(0, 188), (4, 192)]
        .iter()
        .any(|&(first, packet)| (0..3).all(|i| head.get(first + i * packet) == Some(&SYNC)))
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
    fn recognises_containers_that_need_converting() {
        let mut ts = vec![0u8; SNIFF_LEN];
        for at in [0, 188, 376] {
            ts[at] = 0x47;
        }
        let mut m2ts = vec![0u8; SNIFF_LEN];
        for at in [4, 196, 388] {
            m2ts[at] = 0x47;
        }
        for (head, container) in [
            (&b"RIFF\x24\0\0\0AVI LIST"[..], Container::Avi),
            (&ts[..], Container::MpegTs),
            (&m2ts[..], Container::MpegTs),
            (&b"\0\0\x01\xba\x44\0\x04"[..], Container::MpegPs),
            (&b"FLV\x01\x05\0\0\0\x09"[..], Container::Flv),
            (
                &b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9"[..],
                Container::Asf,
            ),
        ] {
            assert_eq!(sniff(head), Some(container));
            assert!(!container.browser_plays(), "{container:?}");
        }
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None, "audio, not a video");
        let mut one_sync = vec![0u8; SNIFF_LEN];
        one_sync[0] = 0x47;
        assert_eq!(sniff(&one_sync), None);
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
