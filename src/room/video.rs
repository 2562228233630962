//! What a room plays: an uploaded file, a direct media link, or a YouTube video; and the rules for
//! which links are accepted.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// In characters, spaces around the link included (as the API document declares it).
pub const MAX_LINK_LEN: usize = 2048;
const YOUTUBE_ID_LEN: usize = 11;

#[derive(Clone, Debug, PartialEq)]
pub enum VideoSource {
    /// Uploaded to the media folder as `file_name`.
    File { file_name: String },
    /// A direct http(s) media URL, played by the browser.
    Url { url: String },
    /// A YouTube video, played through YouTube's IFrame Player.
    YouTube { id: String },
}

/// A room's current video.
#[derive(Clone, Debug, PartialEq)]
pub struct Video {
    pub id: i64,
    pub source: VideoSource,
    /// The name shown to viewers: the uploaded file's name, or the link.
    pub original_name: String,
    pub size: u64,
    /// Empty when unknown (links): the player then works it out itself.
    pub mime: String,
    /// What probing the file found (uploads, when ffmpeg is installed).
    pub info: VideoInfo,
}

/// What is known of a video's content; each part None when unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VideoInfo {
    /// In seconds.
    pub duration: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// ffprobe's codec names, video first, comma-separated (`h264,aac`).
    pub codecs: Option<String>,
    /// The poster frame's file name in the media folder.
    pub poster: Option<String>,
}

impl Video {
    /// Where a browser fetches it.
    pub fn url(&self) -> String {
        match &self.source {
            VideoSource::File { file_name } => format!("/media/{file_name}"),
            VideoSource::Url { url } => url.clone(),
            VideoSource::YouTube { id } => format!("https://www.youtube.com/watch?v={id}"),
        }
    }

    pub fn file_name(&self) -> Option<&str> {
        match &self.source {
            VideoSource::File { file_name } => Some(file_name),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self.source {
            VideoSource::File { .. } => "file",
            VideoSource::Url { .. } => "url",
            VideoSource::YouTube { .. } => "youtube",
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("that is not a valid link")]
    Invalid,
    #[error("only http and https links can be played")]
    Scheme,
    #[error("that YouTube link does not name a video")]
    YouTubeWithoutVideo,
    #[error("the link is longer than {MAX_LINK_LEN} characters")]
    TooLong,
    #[error(
        "links to this machine or the local network cannot be played (every viewer's browser would fetch them)"
    )]
    PrivateAddress,
}

/// Reads a link a viewer pasted: a YouTube video or a direct http(s) media URL. Unless
/// `allow_private` is set, a direct link to a loopback, private, link-local, unique-local or
/// unspecified address (in any spelling a browser accepts) is refused: every viewer's browser would
/// request it, probing the viewers' own networks. Names that merely resolve to such addresses are
/// not caught (that would need DNS, and the answer can change).
pub fn parse_link(raw: &str, allow_private: bool) -> Result<VideoSource, LinkError> {
    if raw.chars().count() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|_| LinkError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LinkError::Scheme);
    }
    let host = url
        .host_str()
        .ok_or(LinkError::Invalid)?
        .to_ascii_lowercase();
    if let Some(youtube) = youtube_id(&url, &host) {
        return youtube.map(|id| VideoSource::YouTube { id });
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a link would be shown to every viewer.
        return Err(LinkError::Invalid);
    }
    if !allow_private && url.host().is_some_and(|host| is_private_host(&host)) {
        return Err(LinkError::PrivateAddress);
    }
    Ok(VideoSource::Url {
        url: url.to_string(),
    })
}

/// Whether a link's host names this machine or a local network. The `url` crate has already read
/// every IPv4 spelling browsers accept (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) into an
/// address, and lower-cased names.
fn is_private_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(address) => is_private_v4(*address),
        Host::Ipv6(address) => is_private_v6(*address),
    }
}

fn is_private_v4(address: Ipv4Addr) -> bool {
    let [first, second, ..] = address.octets();
    address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        // 0.0.0.0/8 reaches this machine in some browsers; 100.64.0.0/10 is carrier-grade NAT
        // (and tailnets): local networks too.
        || first == 0
        || (first == 100 && (second & 0b1100_0000) == 64)
}

fn is_private_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    if address.is_loopback() || address.is_unspecified() {
        return true;
    }
    // Unique local fc00::/7, link-local fe80::/10, and the old site-local fec0::/10.
    if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first & 0xffc0) == 0xfec0 {
        return true;
    }
    // An IPv4 address inside IPv6 (`::ffff:127.0.0.1`, or the old `::127.0.0.1`).
    address.to_ipv4().is_some_and(is_private_v4)
}

/// None when the host is not YouTube's; otherwise the video ID, or an error when there is none.
fn youtube_id(url: &Url, host: &str) -> Option<Result<String, LinkError>> {
    let host = host.strip_prefix("www.").unwrap_or(host);
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let candidate: Option<String> = match host {
        "youtu.be" => segments.first().map(|id| id.to_string()),
        "youtube.com" | "m.youtube.com" | "music.youtube.com" | "youtube-nocookie.com" => {
            match segments.as_slice() {
                ["watch", ..] => url
                    .query_pairs()
                    .find(|(key, _)| key == "v")
                    .map(|(_, id)| id.into_owned()),
                ["shorts" | "embed" | "live" | "v", id, ..] => Some(id.to_string()),
                _ => None,
            }
        }
        _ => return None,
    };
    Some(
        candidate
            .filter(|id| is_youtube_id(id))
            .ok_or(LinkError::YouTubeWithoutVideo),
    )
}

fn is_youtube_id(id: &str) -> bool {
    id.len() == YOUTUBE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn youtube(id: &str) -> Result<VideoSource, LinkError> {
        Ok(VideoSource::YouTube { id: id.into() })
    }

    #[test]
    fn youtube_links_in_every_common_form() {
        for link in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "http://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "  https://YOUTU.BE/dQw4w9WgXcQ  ",
        ] {
            assert_eq!(parse_link(link, false), youtube("dQw4w9WgXcQ"), "{link}");
        }
    }

    #[test]
    fn youtube_links_without_a_video_are_refused() {
        for link in [
            "https://www.youtube.com/",
            "https://www.youtube.com/watch",
            "https://www.youtube.com/watch?v=short",
            "https://youtu.be/",
            "https://www.youtube.com/channel/UCabcdefghijk",
            "https://www.youtube.com/watch?v=<script>xx",
        ] {
            assert_eq!(
                parse_link(link, false),
                Err(LinkError::YouTubeWithoutVideo),
                "{link}"
            );
        }
    }

    #[test]
    fn direct_links_are_http_or_https_only() {
        assert_eq!(
            parse_link("https://media.example.org/films/a%20b.mp4?token=1", false),
            Ok(VideoSource::Url {
                url: "https://media.example.org/films/a%20b.mp4?token=1".into()
            })
        );
        assert!(matches!(
            parse_link("http://203.0.113.7:8080/v.webm", false),
            Ok(VideoSource::Url { .. })
        ));
        for (link, error) in [
            ("javascript:alert(1)", LinkError::Scheme),
            ("data:video/mp4;base64,AAAA", LinkError::Scheme),
            ("file:///etc/passwd", LinkError::Scheme),
            ("ftp://example.org/v.mp4", LinkError::Scheme),
            ("not a link", LinkError::Invalid),
            ("/media/1.mp4", LinkError::Invalid),
            ("https://user:secret@example.org/v.mp4", LinkError::Invalid),
        ] {
            assert_eq!(parse_link(link, false), Err(error), "{link}");
        }
        let long = format!("https://example.org/{}", "a".repeat(3000));
        assert_eq!(parse_link(&long, false), Err(LinkError::TooLong));
    }

    #[test]
    fn private_addresses_are_refused_in_every_spelling() {
        for link in [
            "http://127.0.0.1/v.mp4",
            "http://127.0.0.1./v.mp4",
            "http://127.1/v.mp4",
            "http://2130706433/v.mp4",
            "http://0x7f000001/v.mp4",
            "http://0x7f.1/v.mp4",
            "http://0177.0.0.1/v.mp4",
            "http://127.000.000.001/v.mp4",
            "https://10.0.0.5/v.mp4",
            "http://172.16.0.1/v.mp4",
            "http://172.31.255.255/v.mp4",
            "http://192.168.1.1/v.mp4",
            "http://3232235777/v.mp4",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:8080/v.mp4",
            "http://0/v.mp4",
            "http://100.64.0.1/v.mp4",
            "http://[::1]/v.mp4",
            "http://[0:0:0:0:0:0:0:1]:8080/v.mp4",
            "http://[::]/v.mp4",
            "http://[::ffff:127.0.0.1]/v.mp4",
            "http://[::ffff:7f00:1]/v.mp4",
            "http://[::ffff:192.168.0.1]/v.mp4",
            "http://[fe80::1]/v.mp4",
            "http://[fd12:3456::1]/v.mp4",
            "http://[fc00::1]/v.mp4",
            "http://localhost/v.mp4",
            "http://LOCALHOST:5000/v.mp4",
            "http://localhost./v.mp4",
            "http://media.localhost/v.mp4",
        ] {
            assert_eq!(
                parse_link(link, false),
                Err(LinkError::PrivateAddress),
                "{link}"
            );
            assert!(
                matches!(parse_link(link, true), Ok(VideoSource::Url { .. })),
                "{link} with private links allowed"
            );
        }
    }

    #[test]
    fn public_addresses_and_names_are_links_like_any_other() {
        for link in [
            "http://8.8.8.8/v.mp4",
            "http://172.32.0.1/v.mp4",
            "http://100.128.0.1/v.mp4",
            "http://[2001:db8::1]/v.mp4",
            "http://[::ffff:8.8.8.8]/v.mp4",
            "https://localhost.example.org/v.mp4",
            "https://notlocalhost/v.mp4",
            "https://cdn.example.org/v.mp4",
        ] {
            assert!(
                matches!(parse_link(link, false), Ok(VideoSource::Url { .. })),
                "{link}"
            );
        }
    }

    #[test]
    fn urls_per_kind() {
        let video = |source| Video {
            id: 1,
            source,
            original_name: String::new(),
            size: 0,
            mime: String::new(),
            info: VideoInfo::default(),
        };
        let file = video(VideoSource::File {
            file_name: "1.mp4".into(),
        });
        assert_eq!(file.url(), "/media/1.mp4");
        assert_eq!(file.file_name(), Some("1.mp4"));
        let tube = video(VideoSource::YouTube {
            id: "dQw4w9WgXcQ".into(),
        });
        assert_eq!(tube.url(), "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
        assert_eq!(tube.kind(), "youtube");
        assert_eq!(tube.file_name(), None);
    }
}
