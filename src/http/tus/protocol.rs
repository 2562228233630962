//! The tus 1.0.0 headers we read and write, apart from any I/O.

use base64::Engine;

pub const VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,termination,expiration";
pub const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";

/// What a creation request's `Upload-Metadata` says we use.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub filename: Option<String>,
    pub queue: bool,
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone means an empty
/// value). Unknown keys are ignored; a value that is not base64 or not UTF-8 is an error.
pub fn parse_metadata(header: &str) -> Result<Metadata, String> {
    let mut metadata = Metadata::default();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, encoded) = pair.split_once(' ').unwrap_or((pair, ""));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| format!("the value of `{key}` is not base64"))?;
        let value =
            String::from_utf8(bytes).map_err(|_| format!("the value of `{key}` is not UTF-8"))?;
        match key {
            "filename" | "name" => metadata.filename = Some(value),
            "queue" => metadata.queue = matches!(value.as_str(), "" | "true" | "1"),
            _ => {}
        }
    }
    Ok(metadata)
}

/// A byte count header (`Upload-Length`, `Upload-Offset`): digits only.
pub fn parse_count(value: &str) -> Option<u64> {
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
        .then(|| value.parse().ok())
        .flatten()
}

/// When an upload whose last bytes came at `now_ms` expires.
pub fn expires_at(now_ms: u64, expiry: std::time::Duration) -> u64 {
    now_ms.saturating_add(expiry.as_millis() as u64)
}

/// An `Upload-Expires` value (an HTTP date) for server time `at_ms`.
pub fn http_date(at_ms: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_gives_the_file_name_and_the_queue_flag() {
        // "film.mp4" and "true"
        let parsed =
            parse_metadata("filename ZmlsbS5tcDQ=,queue dHJ1ZQ==,filetype dmlkZW8vbXA0").unwrap();
        assert_eq!(
            parsed,
            Metadata {
                filename: Some("film.mp4".into()),
                queue: true
            }
        );
        assert_eq!(parse_metadata("").unwrap(), Metadata::default());
        assert!(parse_metadata("queue").unwrap().queue, "a key alone is set");
        assert!(!parse_metadata("queue ZmFsc2U=").unwrap().queue);
        assert!(parse_metadata("filename not*base64").is_err());
        assert!(parse_metadata("filename //79").is_err(), "not UTF-8");
    }

    #[test]
    fn counts_are_plain_digits() {
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count("1048576"), Some(1 << 20));
        for bad in ["", "-1", "+1", " 1", "1e3", "99999999999999999999999"] {
            assert_eq!(parse_count(bad), None, "{bad}");
        }
    }

    #[test]
    fn expiry_counts_from_the_last_bytes() {
        let day = std::time::Duration::from_secs(86_400);
        assert_eq!(expires_at(1_000, day), 86_401_000);
        assert_eq!(expires_at(u64::MAX, day), u64::MAX);
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
