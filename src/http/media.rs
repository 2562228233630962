//! `GET /media/{file}`: registered videos only, with single byte ranges and conditional requests.
//! Reading starts at the requested offset, so seeking near the end of a 4 GB file reads no more
//! than asked.

use std::{
    io::{Read, Seek, SeekFrom},
    os::unix::fs::MetadataExt,
    time::{SystemTime, UNIX_EPOCH},
};

use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{HeaderMap, StatusCode, header},
    web::{
        Data, Path,
        headers::{
            ETag, HeaderMapExt, IfMatch, IfModifiedSince, IfNoneMatch, IfRange, IfUnmodifiedSince,
            LastModified,
        },
    },
};
use tokio::task::JoinHandle;

use crate::{
    media::range::{self, RangeOutcome},
    state::AppState,
};

/// Large reads keep the number of trips to the blocking file-I/O pool low: each is two thread
/// wake-ups. 512 KiB used a fifth less CPU per GB than 256 KiB (1 MiB a little less again), at
/// about 1.2 MB of memory per stream (a chunk being sent, the next being read).
const READ_CHUNK: usize = 512 * 1024;

#[handler]
pub async fn serve(
    Path(file_name): Path<String>,
    req: &Request,
    Data(state): Data<&AppState>,
) -> Response {
    let Some(path) = registered_path(state, &file_name).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match respond(&path, req).await {
        Ok(response) => response,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(error) => {
            tracing::error!(file = %file_name, %error, "could not read a video");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A registered file's path. In cluster mode a file another node registered is looked up in the
/// database (the media folder is shared) and registered here too.
async fn registered_path(state: &AppState, file_name: &str) -> Option<std::path::PathBuf> {
    if let Some(path) = state.media.registered_path(file_name) {
        return Some(path);
    }
    if state.hub.redis_health() == crate::health::ClusterHealth::Disabled
        || file_name.starts_with('.')
    {
        return None;
    }
    let room = crate::db::videos::room_of_file(&state.db, file_name).await;
    let Ok(Some(room)) = room else {
        return None;
    };
    state.media.register(file_name, &room);
    state.media.registered_path(file_name)
}

async fn respond(path: &std::path::Path, req: &Request) -> std::io::Result<Response> {
    // One trip to the blocking pool opens the file, decides the answer and reads the first chunk
    // (tokio's `File` makes a trip per call, and each is two thread wake-ups): a player seeking
    // through a video sends a request per range.
    let owned = path.to_path_buf();
    let headers = req.headers().clone();
    let (answer, first) = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(owned)?;
        let answer = Answer::decide(&headers, &file.metadata()?);
        let first = match answer.bytes() {
            Some(range) if !range.is_empty() => Some(read_next(Remaining {
                file,
                seek_to: Some(range.start),
                left: range.end - range.start,
            })?),
            _ => None,
        };
        Ok::<_, std::io::Error>((answer, first))
    })
    .await
    .map_err(std::io::Error::other)??;

    let Answer {
        etag,
        modified,
        len,
        verdict,
    } = answer;
    let outcome = match verdict {
        Verdict::PreconditionFailed => return Ok(StatusCode::PRECONDITION_FAILED.into_response()),
        Verdict::NotModified => {
            return Ok(Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .typed_header(etag)
                .typed_header(LastModified::from(modified))
                .finish());
        }
        Verdict::Send(outcome) => outcome,
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let builder = Response::builder()
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, mime.as_ref())
        .header(header::CACHE_CONTROL, "no-cache")
        .typed_header(etag)
        .typed_header(LastModified::from(modified));
    let response = match outcome {
        RangeOutcome::Full => builder
            .header(header::CONTENT_LENGTH, len)
            .body(file_body(first)),
        RangeOutcome::Partial(range) => builder
            .status(StatusCode::PARTIAL_CONTENT)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{len}", range.start, range.end - 1),
            )
            .header(header::CONTENT_LENGTH, range.end - range.start)
            .body(file_body(first)),
        RangeOutcome::Unsatisfiable => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty()),
    };
    Ok(response)
}

/// What to answer a request for a file, decided from its headers and the file's metadata.
struct Answer {
    etag: ETag,
    modified: SystemTime,
    len: u64,
    verdict: Verdict,
}

enum Verdict {
    PreconditionFailed,
    NotModified,
    Send(RangeOutcome),
}

impl Answer {
    fn decide(headers: &HeaderMap, metadata: &std::fs::Metadata) -> Self {
        let len = metadata.len();
        let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
        // Inode, modification time and size: any of them changes when the file is replaced by hand.
        let etag: ETag = format!(
            "\"{:x}-{:x}-{:x}\"",
            metadata.ino(),
            modified
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            len
        )
        .parse()
        .expect("a quoted hex string is a valid ETag");
        let verdict = if failed_precondition(headers, &etag, modified) {
            Verdict::PreconditionFailed
        } else if not_modified(headers, &etag, modified) {
            Verdict::NotModified
        } else {
            // A range applies only while the client's copy is still current (If-Range).
            let range_still_valid = headers.typed_get::<IfRange>().is_none_or(|if_range| {
                !if_range.is_modified(Some(&etag), Some(&LastModified::from(modified)))
            });
            Verdict::Send(
                match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
                    Some(value) if range_still_valid => range::resolve(value, len),
                    _ => RangeOutcome::Full,
                },
            )
        };
        Self {
            etag,
            modified,
            len,
            verdict,
        }
    }

    /// The bytes the answer sends, if it sends any.
    fn bytes(&self) -> Option<std::ops::Range<u64>> {
        match &self.verdict {
            Verdict::Send(RangeOutcome::Full) => Some(0..self.len),
            Verdict::Send(RangeOutcome::Partial(range)) => Some(range.clone()),
            _ => None,
        }
    }
}

/// The part of a file still to be sent, moved to the blocking pool for each read.
struct Remaining {
    file: std::fs::File,
    /// Where the next read starts; None once the file's position is there already.
    seek_to: Option<u64>,
    left: u64,
}

/// Streams a file from its first chunk, read already, and what is left after it. Each chunk is
/// read on the blocking pool straight into the buffer handed to the socket (tokio's `File` reads
/// into its own buffer and copies from there), and the next read starts as soon as a chunk is
/// handed over, so reading the file and writing the socket overlap instead of taking turns.
fn file_body(first: Option<(Remaining, Vec<u8>)>) -> Body {
    enum Next {
        Read(Remaining, Vec<u8>),
        Reading(JoinHandle<std::io::Result<(Remaining, Vec<u8>)>>),
        Done,
    }
    let start = match first {
        Some((rest, chunk)) => Next::Read(rest, chunk),
        None => Next::Done,
    };
    let chunks = futures_util::stream::try_unfold(start, |next| async move {
        let (rest, chunk) = match next {
            Next::Done => return Ok(None),
            Next::Read(rest, chunk) => (rest, chunk),
            Next::Reading(pending) => pending.await.map_err(std::io::Error::other)??,
        };
        let next = if rest.left > 0 {
            Next::Reading(tokio::task::spawn_blocking(move || read_next(rest)))
        } else {
            Next::Done
        };
        Ok::<_, std::io::Error>(Some((chunk, next)))
    });
    Body::from_bytes_stream(chunks)
}

/// Reads the next chunk of `rest`; blocking.
fn read_next(mut rest: Remaining) -> std::io::Result<(Remaining, Vec<u8>)> {
    if let Some(offset) = rest.seek_to.take() {
        rest.file.seek(SeekFrom::Start(offset))?;
    }
    let len = rest.left.min(READ_CHUNK as u64);
    let mut chunk = Vec::with_capacity(len as usize);
    (&mut rest.file).take(len).read_to_end(&mut chunk)?;
    if chunk.len() as u64 != len {
        // The file shrank under us: end the body short rather than send wrong bytes.
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    rest.left -= len;
    Ok((rest, chunk))
}

/// If-Match or If-Unmodified-Since fails: 412.
fn failed_precondition(headers: &HeaderMap, etag: &ETag, modified: SystemTime) -> bool {
    match headers.typed_get::<IfMatch>() {
        Some(if_match) => !if_match.precondition_passes(etag),
        None => headers
            .typed_get::<IfUnmodifiedSince>()
            .is_some_and(|since| !since.precondition_passes(modified)),
    }
}

/// If-None-Match wins over If-Modified-Since, as RFC 9110 asks.
fn not_modified(headers: &HeaderMap, etag: &ETag, modified: SystemTime) -> bool {
    match headers.typed_get::<IfNoneMatch>() {
        Some(if_none_match) => !if_none_match.precondition_passes(etag),
        None => headers
            .typed_get::<IfModifiedSince>()
            .is_some_and(|since| !since.is_modified(modified)),
    }
}
