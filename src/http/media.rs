//! `GET /media/{file}`: registered videos only, with single byte ranges and conditional requests.
//! Reading starts at the requested offset, so seeking near the end of a 4 GB file reads no more
//! than asked.

use std::{
    io::SeekFrom,
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
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::{
    media::range::{self, RangeOutcome},
    state::AppState,
};

/// Large reads keep the number of trips to the blocking file-I/O pool low.
const READ_CHUNK: usize = 256 * 1024;

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
    let mut file = tokio::fs::File::open(path).await?;
    let metadata = file.metadata().await?;
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
            .body(file_body(file, len)),
        RangeOutcome::Partial(range) => {
            file.seek(SeekFrom::Start(range.start)).await?;
            let count = range.end - range.start;
            builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {}-{}/{len}", range.start, range.end - 1),
                )
                .header(header::CONTENT_LENGTH, count)
                .body(file_body(file, count))
        }
        RangeOutcome::Unsatisfiable => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty()),
    };
    Ok(response)
}

fn file_body(file: tokio::fs::File, count: u64) -> Body {
    Body::from_bytes_stream(ReaderStream::with_capacity(file.take(count), READ_CHUNK))
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
