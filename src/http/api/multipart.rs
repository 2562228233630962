//! A `multipart/form-data` upload (an HTML form, `curl -F file=@film.mp4`): the one file part is
//! streamed to disk like a raw body; other parts are skipped.

use std::time::Duration;

use poem::{Body, FromRequest, Request, RequestBody, web::Multipart};
use tokio_util::io::InspectReader;

use crate::{
    clock::now_ms,
    error::{ApiError, ApiResult},
    hub::UploadGuard,
    media::{MediaStore, ReceivedUpload, UploadError},
};

/// Room for the part headers and boundaries around the file when the body's size is announced.
pub(super) const FORM_OVERHEAD: u64 = 64 * 1024;

pub(super) fn is_multipart(request: &Request) -> bool {
    request.content_type().is_some_and(|value| {
        value
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// Receives the form's one file. Returns it with the file name its part gave; 400 for a form with
/// no file or more than one.
pub(super) async fn receive_file(
    media: &MediaStore,
    request: &Request,
    body: Body,
    activity: &UploadGuard,
    limit: u64,
    stall: Duration,
) -> ApiResult<(ReceivedUpload, String)> {
    let mut form = Multipart::from_request(request, &mut RequestBody::new(body))
        .await
        .map_err(|error| ApiError::bad_request("bad_form", error.to_string()))?;
    let mut received = None;
    while let Some(field) = next_field(&mut form, stall).await? {
        let Some(file_name) = field.file_name().map(str::to_string) else {
            continue;
        };
        if received.is_some() {
            return Err(ApiError::bad_request(
                "two_files",
                "the form holds more than one file; send one",
            ));
        }
        let part = InspectReader::new(field.into_async_read(), |_| activity.progress(now_ms()));
        received = Some((media.receive(part, limit, stall).await?, file_name));
    }
    received.ok_or_else(|| {
        ApiError::bad_request(
            "no_file",
            "the form holds no file part (e.g. `-F file=@film.mp4`)",
        )
    })
}

async fn next_field(form: &mut Multipart, stall: Duration) -> ApiResult<Option<poem::web::Field>> {
    tokio::time::timeout(stall, form.next_field())
        .await
        .map_err(|_| ApiError::from(UploadError::Stalled(stall)))?
        .map_err(|error| ApiError::bad_request("bad_form", error.to_string()))
}
