//! Resumable uploads, tus 1.0.0 (core, creation, termination, expiration) at
//! `/api/rooms/{code}/uploads`. Plain routes outside the OpenAPI document: the protocol lives in
//! headers the document cannot describe. The same checks as a one-request upload apply (size
//! limit, container sniffed from the first bytes, an upload slot per address and the stall
//! timeout while bytes arrive, the room kept alive meanwhile), and a complete upload becomes the
//! room's video through [`accept_upload`], like the others.
//!
//! An upload is a database row (who made it, for which room, how many bytes count) and a hidden
//! file in the media folder, so both survive a restart. Only the client that created an upload
//! may see or use it; for anyone else it does not exist.

mod protocol;
pub mod sweep;

use poem::{
    Body, Endpoint, EndpointExt, IntoResponse, Request, Response, RouteMethod, handler,
    http::{HeaderValue, StatusCode, header},
    web::{Data, Path},
};
use tokio_util::io::InspectReader;

use crate::{
    client::ClientId,
    clock::now_ms,
    db::{self, uploads::StoredUpload},
    error::ApiError,
    http::{
        api::{Arrival, accept_upload, found},
        peer::Caller,
    },
    hub::UploadGuard,
    media::{
        self,
        partial::{AppendEnd, is_upload_id},
        sniff::SNIFF_LEN,
    },
    state::AppState,
};

/// Unfinished uploads one client may hold at once (each is a row and a file until it expires).
const MAX_UNFINISHED_PER_CLIENT: i64 = 8;
/// What an address running its maximum of uploads is told to wait, in seconds.
const UPLOAD_SLOT_RETRY: u64 = 10;

/// `/api/rooms/{code}/uploads`: creation, and what the server supports.
pub fn collection() -> impl Endpoint {
    RouteMethod::new()
        .post(create)
        .options(options)
        .map_to_response()
}

/// `/api/rooms/{code}/uploads/{id}`: one upload.
pub fn item() -> impl Endpoint {
    RouteMethod::new()
        .head(current_offset)
        .patch(append)
        .delete(terminate)
        .options(options)
        .map_to_response()
}

/// A refusal: a JSON `{code, message}` body with the tus headers added on the way out.
struct Refusal(Box<Response>);

type TusResult = Result<Response, Refusal>;

impl<E: Into<ApiError>> From<E> for Refusal {
    fn from(error: E) -> Self {
        Self(Box::new(error.into().into_response()))
    }
}

fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
    let body = serde_json::json!({ "code": code, "message": message.into() });
    Refusal(Box::new((status, poem::web::Json(body)).into_response()))
}

fn finish(result: TusResult) -> Response {
    let mut response = result.unwrap_or_else(|Refusal(response)| *response);
    let headers = response.headers_mut();
    headers.insert("Tus-Resumable", HeaderValue::from_static(protocol::VERSION));
    // Offsets change with every request: a cached answer would resume at the wrong byte.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Every request but OPTIONS names the protocol version; 412 for any other.
fn check_version(req: &Request) -> Result<(), Refusal> {
    if req.header("Tus-Resumable") == Some(protocol::VERSION) {
        return Ok(());
    }
    let mut refused = refusal(
        StatusCode::PRECONDITION_FAILED,
        "tus_version",
        format!(
            "this server speaks tus {} (Tus-Resumable)",
            protocol::VERSION
        ),
    );
    refused
        .0
        .headers_mut()
        .insert("Tus-Version", HeaderValue::from_static(protocol::VERSION));
    Err(refused)
}

fn header_count(req: &Request, name: &str) -> Result<Option<u64>, Refusal> {
    match req.header(name) {
        None => Ok(None),
        Some(value) => protocol::parse_count(value).map(Some).ok_or_else(|| {
            refusal(
                StatusCode::BAD_REQUEST,
                "bad_header",
                format!("{name} must be a number of bytes"),
            )
        }),
    }
}

fn upload_not_found() -> Refusal {
    ApiError::not_found("no_such_upload", "there is no such upload").into()
}

/// An upload file that could not be read or written: gone with its upload (terminated, expired,
/// or its room deleted meanwhile) is a 404 like any missing upload; otherwise the server failed.
async fn file_failed(state: &AppState, id: &str, doing: &str, error: std::io::Error) -> Refusal {
    match db::uploads::get(&state.db, id).await {
        Ok(None) => upload_not_found(),
        _ => ApiError::internal(&format!("could not {doing} an upload file"), error).into(),
    }
}

#[handler]
async fn options(Data(state): Data<&AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("Tus-Version", HeaderValue::from_static(protocol::VERSION));
    headers.insert(
        "Tus-Extension",
        HeaderValue::from_static(protocol::EXTENSIONS),
    );
    headers.insert("Tus-Max-Size", state.config.max_upload_bytes.into());
    finish(Ok(response))
}

#[handler]
async fn create(
    req: &Request,
    Data(state): Data<&AppState>,
    Path(code): Path<String>,
    client: ClientId,
) -> Response {
    finish(create_upload(req, state, &code, client).await)
}

async fn create_upload(req: &Request, state: &AppState, code: &str, client: ClientId) -> TusResult {
    check_version(req)?;
    let limit = state.config.max_upload_bytes;
    let length = header_count(req, "Upload-Length")?.ok_or_else(|| {
        refusal(
            StatusCode::BAD_REQUEST,
            "missing_length",
            "Upload-Length is required (deferred lengths are not supported)",
        )
    })?;
    if length > limit {
        return Err(media::UploadError::TooLarge { limit }.into());
    }
    if length == 0 {
        return Err(media::UploadError::NotAVideo.into());
    }
    let metadata = protocol::parse_metadata(req.header("Upload-Metadata").unwrap_or_default())
        .map_err(|message| refusal(StatusCode::BAD_REQUEST, "bad_metadata", message))?;
    // The room must exist and let this client change its video; nothing is kept otherwise.
    drop(found(state.hub.begin_upload(code, client).await?)??);
    if db::uploads::count_for_client(&state.db, &client.to_string()).await?
        >= MAX_UNFINISHED_PER_CLIENT
    {
        return Err(ApiError::too_many(
            "too_many_unfinished_uploads",
            format!(
                "you have {MAX_UNFINISHED_PER_CLIENT} unfinished uploads; finish or cancel one"
            ),
            UPLOAD_SLOT_RETRY,
        )
        .into());
    }
    let now = now_ms();
    let upload = StoredUpload {
        id: uuid::Uuid::new_v4().simple().to_string(),
        room_code: code.to_string(),
        client_id: client.to_string(),
        length: length as i64,
        received: 0,
        original_name: media::display_name(metadata.filename.as_deref().unwrap_or_default()),
        queue: metadata.queue,
        expires_at: protocol::expires_at(now, state.config.upload_expiry()) as i64,
    };
    // The row first: the sweep deletes upload files that have none.
    db::uploads::insert(&state.db, &upload).await?;
    if let Err(error) = state.media.create_partial(&upload.id).await {
        db::uploads::delete(&state.db, &upload.id).await?;
        return Err(ApiError::internal("could not create an upload file", error).into());
    }
    tracing::info!(room = %code, upload = %upload.id, length, "resumable upload created");
    let mut response = StatusCode::CREATED.into_response();
    let headers = response.headers_mut();
    let location = format!("/api/rooms/{code}/uploads/{}", upload.id);
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("codes and ids are plain ASCII"),
    );
    insert_expiry(&mut response, upload.expires_at as u64);
    Ok(response)
}

fn insert_expiry(response: &mut Response, at_ms: u64) {
    if let Ok(value) = HeaderValue::from_str(&protocol::http_date(at_ms)) {
        response.headers_mut().insert("Upload-Expires", value);
    }
}

/// The caller's upload `id` in room `code`; 404 when there is none (never was, another client's,
/// expired, terminated, or its room was deleted: then its file goes too).
async fn find(
    state: &AppState,
    code: &str,
    id: &str,
    client: ClientId,
) -> Result<StoredUpload, Refusal> {
    if !is_upload_id(id) {
        return Err(upload_not_found());
    }
    let Some(upload) = db::uploads::get(&state.db, id).await? else {
        // Its row went with its room, or it expired: make sure the bytes go too.
        if !state.media.partial_busy(id) {
            state.media.remove_partial(id);
        }
        return Err(upload_not_found());
    };
    if upload.room_code != code || upload.client_id != client.to_string() {
        return Err(upload_not_found());
    }
    if upload.expires_at < now_ms() as i64 && !state.media.partial_busy(id) {
        discard(state, id).await?;
        return Err(upload_not_found());
    }
    Ok(upload)
}

/// Deletes an upload: its row, then its file.
async fn discard(state: &AppState, id: &str) -> Result<(), sqlx::Error> {
    db::uploads::delete(&state.db, id).await?;
    state.media.remove_partial(id);
    state.media.forget_lease(id);
    Ok(())
}

#[handler]
async fn current_offset(
    req: &Request,
    Data(state): Data<&AppState>,
    Path((code, id)): Path<(String, String)>,
    client: ClientId,
) -> Response {
    finish(upload_offset(req, state, &code, &id, client).await)
}

async fn upload_offset(
    req: &Request,
    state: &AppState,
    code: &str,
    id: &str,
    client: ClientId,
) -> TusResult {
    check_version(req)?;
    let upload = find(state, code, id, client).await?;
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert("Upload-Offset", (upload.received as u64).into());
    headers.insert("Upload-Length", (upload.length as u64).into());
    insert_expiry(&mut response, upload.expires_at as u64);
    Ok(response)
}

#[handler]
async fn terminate(
    req: &Request,
    Data(state): Data<&AppState>,
    Path((code, id)): Path<(String, String)>,
    client: ClientId,
) -> Response {
    finish(terminate_upload(req, state, &code, &id, client).await)
}

async fn terminate_upload(
    req: &Request,
    state: &AppState,
    code: &str,
    id: &str,
    client: ClientId,
) -> TusResult {
    check_version(req)?;
    find(state, code, id, client).await?;
    // Stops a running append first, so no write follows the deletion.
    let lease = state.media.lease_partial(id, &state.shutdown).await;
    discard(state, id).await?;
    drop(lease);
    tracing::info!(room = %code, upload = %id, "resumable upload terminated");
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[handler]
async fn append(
    req: &Request,
    Data(state): Data<&AppState>,
    Path((code, id)): Path<(String, String)>,
    caller: Caller,
    body: Body,
) -> Response {
    finish(append_to_upload(req, state, code, id, caller, body).await)
}

async fn append_to_upload(
    req: &Request,
    state: &AppState,
    code: String,
    id: String,
    caller: Caller,
    body: Body,
) -> TusResult {
    check_version(req)?;
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default();
    if !content_type.eq_ignore_ascii_case(protocol::OFFSET_CONTENT_TYPE) {
        return Err(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_content_type",
            format!("PATCH bodies are {}", protocol::OFFSET_CONTENT_TYPE),
        ));
    }
    let offset = header_count(req, "Upload-Offset")?.ok_or_else(|| {
        refusal(
            StatusCode::BAD_REQUEST,
            "bad_header",
            "Upload-Offset is required",
        )
    })?;
    let upload = find(state, &code, &id, caller.client).await?;
    check_offset(&upload, offset)?;
    let room = upload.length as u64 - offset;
    let announced = header_count(req, header::CONTENT_LENGTH.as_str())?;
    if announced.is_some_and(|length| length > room) {
        return Err(too_long(&upload));
    }
    // The work runs in its own task: when the client drops the connection, hyper drops this
    // handler, and the bytes that did arrive must still be counted.
    let task = tokio::spawn(receive(state.clone(), code, caller, upload, offset, body));
    match task.await {
        Ok(result) => result,
        Err(error) => Err(ApiError::internal("an upload's task failed", error).into()),
    }
}

fn check_offset(upload: &StoredUpload, offset: u64) -> Result<(), Refusal> {
    if offset == upload.received as u64 {
        return Ok(());
    }
    Err(refusal(
        StatusCode::CONFLICT,
        "offset_mismatch",
        format!(
            "the upload has {} bytes; Upload-Offset must say so",
            upload.received
        ),
    ))
}

fn too_long(upload: &StoredUpload) -> Refusal {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_long",
        format!(
            "the body goes past the upload's length of {} bytes",
            upload.length
        ),
    )
}

/// Appends the body to the upload; completes it when the last byte is in.
async fn receive(
    state: AppState,
    code: String,
    caller: Caller,
    upload: StoredUpload,
    offset: u64,
    body: Body,
) -> TusResult {
    let id = upload.id.as_str();
    let activity = match state.hub.begin_upload(&code, caller.client).await? {
        Some(began) => began?,
        None => {
            discard(&state, id).await?;
            return Err(ApiError::room_not_found().into());
        }
    };
    let _slot = state
        .limits
        .uploads
        .take(caller.peer.address)
        .ok_or_else(|| {
            ApiError::too_many(
                "too_many_uploads",
                format!(
                    "this address already runs {} uploads; wait for one to finish",
                    state.config.uploads_per_address
                ),
                UPLOAD_SLOT_RETRY,
            )
        })?;
    let lease = state.media.lease_partial(id, &state.shutdown).await;
    // An append that ran until this one took over may have moved the offset: the client's body
    // starts where it believed the upload ended, so it must still end there.
    let Some(upload) = db::uploads::get(&state.db, id).await? else {
        return Err(upload_not_found());
    };
    check_offset(&upload, offset)?;
    // The container is checked once its first bytes are in; these are the ones in so far.
    let head = match offset < SNIFF_LEN as u64 {
        true => match state.media.partial_head(id, offset as usize).await {
            Ok(head) => Some(head),
            Err(error) => return Err(file_failed(&state, id, "read", error).await),
        },
        false => None,
    };
    let body = InspectReader::new(body.into_async_read(), |_| activity.progress(now_ms()));
    let stall = std::time::Duration::from_secs(state.config.upload_stall_secs);
    let appended = state
        .media
        .append_partial(
            &lease,
            offset,
            upload.length as u64 - offset,
            head,
            body,
            stall,
        )
        .await;
    let appended = match appended {
        Ok(appended) => appended,
        Err(error) => return Err(file_failed(&state, id, "write", error).await),
    };
    let received = offset + appended.written;
    let failure: Option<Refusal> = match appended.end {
        AppendEnd::Finished => None,
        AppendEnd::TooLong => return Err(too_long(&upload)),
        AppendEnd::Refused(refused) => {
            discard(&state, id).await?;
            tracing::info!(room = %code, upload = %id, %refused, "resumable upload refused");
            return Err(refused.into());
        }
        AppendEnd::Interrupted(error) => Some(media::UploadError::Interrupted(error).into()),
        AppendEnd::Stalled(after) => Some(media::UploadError::Stalled(after).into()),
        // Counted below, then the client is told to come back (a 503 is retried).
        AppendEnd::Superseded if state.shutdown.is_cancelled() => {
            Some(ApiError::from(crate::hub::HubError::Unavailable).into())
        }
        AppendEnd::Superseded => Some(refusal(
            StatusCode::CONFLICT,
            "superseded",
            "another request for this upload took over",
        )),
    };
    let expires_at = protocol::expires_at(now_ms(), state.config.upload_expiry());
    if !db::uploads::set_received(&state.db, id, received, expires_at).await? {
        // Terminated or its room deleted meanwhile.
        state.media.remove_partial(id);
        return Err(upload_not_found());
    }
    tracing::info!(room = %code, upload = %id, received, written = appended.written, "upload appended");
    if let Some(failure) = failure {
        return Err(failure);
    }
    if received == upload.length as u64 {
        complete(&state, &code, caller.client, &upload, activity).await?;
        drop(lease);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("Upload-Offset", received.into());
    if received < upload.length as u64 {
        insert_expiry(&mut response, expires_at);
    }
    Ok(response)
}

/// The last byte is in: the file becomes the room's video (or joins its queue), and the upload
/// row goes either way.
async fn complete(
    state: &AppState,
    code: &str,
    client: ClientId,
    upload: &StoredUpload,
    activity: UploadGuard,
) -> Result<(), Refusal> {
    let received = state
        .media
        .finish_partial(&upload.id, upload.length as u64)
        .await
        .map_err(|error| ApiError::internal("could not read an upload file", error));
    db::uploads::delete(&state.db, &upload.id).await?;
    state.media.forget_lease(&upload.id);
    let received = match received? {
        Ok(received) => received,
        Err(refused) => {
            state.media.remove_partial(&upload.id);
            return Err(refused.into());
        }
    };
    let arrival = Arrival {
        code,
        client,
        upload: received,
        original_name: upload.original_name.clone(),
        queue: upload.queue,
        activity,
    };
    accept_upload(state, arrival).await?;
    Ok(())
}
