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
    http::{StatusCode, header},
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
    let Some(path) = state.media.registered_path(&file_name) else {
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

async fn respond(path: &std::path::Path, req: &Request) -> std::io::Result<Response> {
    // Opening and stat-ing in one trip to the blocking pool (tokio's `File` makes one per call):
    // a player seeking through a video sends a request per range.
    let owned = path.to_path_buf();
    let (file, metadata) = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(owned)?;
        let metadata = file.metadata()?;
        Ok::<_, std::io::Error>((file, metadata))
    })
    .await
    .map_err(std::io::Error::other)??;
    let len = metadata.len();
    let modified = metadata.modified().unwrap_or(UNIX_EPOCH);
    // Inode, modification time and size: any of them changes when the file is replaced by hand.
    let etag_text = format!(
        "\"{:x}-{:x}-{:x}\"",
        metadata.ino(),
        modified
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
        len
    );
    let etag: ETag = etag_text
        .parse()
        .expect("a quoted hex string is a valid ETag");
    let headers = req.headers();

    if let Some(status) = failed_precondition(req, &etag, modified) {
        return Ok(status.into_response());
    }
    if not_modified(req, &etag, modified) {
        return Ok(Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .typed_header(etag)
            .typed_header(LastModified::from(modified))
            .finish());
    }

    // A range applies only while the client's copy is still current (If-Range).
    let range_still_valid = headers.typed_get::<IfRange>().is_none_or(|if_range| {
        !if_range.is_modified(Some(&etag), Some(&LastModified::from(modified)))
    });
    let outcome = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) if range_still_valid => range::resolve(value, len),
        _ => RangeOutcome::Full,
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
            .body(file_body(file, 0, len)),
        RangeOutcome::Partial(range) => {
            let count = range.end - range.start;
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{len}", range.start, range.end - 1),
                )
                .header(header::CONTENT_LENGTH, count)
                .body(file_body(file, range.start, count))
        }
        RangeOutcome::Unsatisfiable => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty()),
    };
    Ok(response)
}

/// The part of a file still to be sent, moved to the blocking pool for each read.
struct Remaining {
    file: std::fs::File,
    /// Where the next read starts; None once the file's position is there already.
    seek_to: Option<u64>,
    left: u64,
}

/// Streams `count` bytes of `file` from `start`. Each chunk is read on the blocking pool straight
/// into the buffer handed to the socket (tokio's `File` reads into its own buffer and copies from
/// there), and the next read starts as soon as a chunk is handed over, so reading the file and
/// writing the socket overlap instead of taking turns.
fn file_body(file: std::fs::File, start: u64, count: u64) -> Body {
    let first = (count > 0).then(|| {
        read_chunk(Remaining {
            file,
            seek_to: Some(start),
            left: count,
        })
    });
    let chunks = futures_util::stream::try_unfold(first, |pending| async move {
        let Some(pending) = pending else {
            return Ok(None);
        };
        let (rest, chunk) = pending.await.map_err(std::io::Error::other)??;
        let next = (rest.left > 0).then(|| read_chunk(rest));
        Ok::<_, std::io::Error>(Some((chunk, next)))
    });
    Body::from_bytes_stream(chunks)
}

fn read_chunk(mut rest: Remaining) -> JoinHandle<std::io::Result<(Remaining, Vec<u8>)>> {
    tokio::task::spawn_blocking(move || {
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
    })
}

/// 412 when If-Match or If-Unmodified-Since fails.
fn failed_precondition(req: &Request, etag: &ETag, modified: SystemTime) -> Option<StatusCode> {
    let headers = req.headers();
    let failed = match headers.typed_get::<IfMatch>() {
        Some(if_match) => !if_match.precondition_passes(etag),
        None => headers
            .typed_get::<IfUnmodifiedSince>()
            .is_some_and(|since| !since.precondition_passes(modified)),
    };
    failed.then_some(StatusCode::PRECONDITION_FAILED)
}

/// If-None-Match wins over If-Modified-Since, as RFC 9110 asks.
fn not_modified(req: &Request, etag: &ETag, modified: SystemTime) -> bool {
    let headers = req.headers();
    match headers.typed_get::<IfNoneMatch>() {
        Some(if_none_match) => !if_none_match.precondition_passes(etag),
        None => headers
            .typed_get::<IfModifiedSince>()
            .is_some_and(|since| !since.is_modified(modified)),
    }
}
