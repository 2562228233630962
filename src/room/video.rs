//! What a room plays: an uploaded file, a direct media link, or a YouTube video; and the rules for
//! which links are accepted.

use url::Url;

const MAX_LINK_LEN: usize = 2048;
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
}

/// Reads a link a viewer pasted: a YouTube video or a direct http(s) media URL.
pub fn parse_link(raw: &str) -> Result<VideoSource, LinkError> {
    let raw = raw.trim();
    if raw.len() > MAX_LINK_LEN {
        return Err(LinkError::TooLong);
    }
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
    Ok(VideoSource::Url {
        url: url.to_string(),
    })
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
            assert_eq!(parse_link(link), youtube("dQw4w9WgXcQ"), "{link}");
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
                parse_link(link),
                Err(LinkError::YouTubeWithoutVideo),
                "{link}"
            );
        }
    }

    #[test]
    fn direct_links_are_http_or_https_only() {
        assert_eq!(
            parse_link("https://media.example.org/films/a%20b.mp4?token=1"),
            Ok(VideoSource::Url {
                url: "https://media.example.org/films/a%20b.mp4?token=1".into()
            })
        );
        assert!(matches!(
            parse_link("http://127.0.0.1:8080/v.webm"),
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
            assert_eq!(parse_link(link), Err(error), "{link}");
        }
        let long = format!("https://example.org/{}", "a".repeat(3000));
        assert_eq!(parse_link(&long), Err(LinkError::TooLong));
    }

    #[test]
    fn urls_per_kind() {
        let video = |source| Video {
            id: 1,
            source,
            original_name: String::new(),
            size: 0,
            mime: String::new(),
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
