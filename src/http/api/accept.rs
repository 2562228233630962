//! Where a received upload becomes a video: raw, multipart and tus uploads all end here, so what
//! happens to a finished file (probing, converting, numbering, registering, playing or queueing
//! it) is decided once.

use crate::{
    client::ClientId,
    error::{ApiError, ApiResult},
    hub::UploadGuard,
    media::ReceivedUpload,
    metrics::UploadOutcome,
    processing::{self, Order, Triage},
    room::{Video, VideoSource},
    state::AppState,
    view::{ProcessingView, VideoView},
};

use super::found;

/// What became of a complete upload.
pub(crate) enum Accepted {
    /// It plays as it is: the room's video now (or in its queue).
    Video(VideoView),
    /// It is being made playable in the background (the job holds `activity` until it ends).
    Processing(ProcessingView),
}

/// A complete upload and what its sender asked for it.
pub(crate) struct Arrival<'a> {
    pub code: &'a str,
    pub client: ClientId,
    pub upload: ReceivedUpload,
    pub original_name: String,
    /// To the end of the room's queue rather than playing now.
    pub queue: bool,
    /// Keeps the room alive until the upload is settled.
    pub activity: UploadGuard,
}

/// Probes a complete upload. One browsers play as it is gets a number and becomes the room's
/// current video (or, with `queue`, goes to the end of the room's queue); any other starts a
/// conversion job that does the same when it is done. On any failure, the room gone included, the
/// file is deleted and the room is left as it was. `activity` keeps the room alive meanwhile.
/// Every upload that arrived whole passes here once, so this is where they are counted.
pub(crate) async fn accept_upload(state: &AppState, arrival: Arrival<'_>) -> ApiResult<Accepted> {
    let size = arrival.upload.size;
    let accepted = accept(state, arrival).await;
    let outcome = match &accepted {
        Ok(Accepted::Video(_)) => UploadOutcome::Stored,
        Ok(Accepted::Processing(_)) => UploadOutcome::Processing,
        Err(_) => UploadOutcome::Failed,
    };
    state.metrics.upload_finished(size, outcome);
    accepted
}

async fn accept(state: &AppState, arrival: Arrival<'_>) -> ApiResult<Accepted> {
    let Arrival {
        code,
        client,
        upload,
        original_name,
        queue,
        activity,
    } = arrival;
    let (upload, info) = match state.processing.triage(upload).await? {
        Triage::Ready { upload, info } => (upload, info),
        Triage::Convert(pending) => {
            let order = Order {
                room: code.to_string(),
                by: client,
                name: original_name,
                queue,
                activity,
            };
            return Ok(Accepted::Processing(state.processing.start(pending, order)));
        }
    };
    let (mime, size) = (upload.container.mime().to_string(), upload.size);
    let (id, file_name) = processing::store_numbered(&state.db, &state.media, upload)
        .await
        .map_err(|error| ApiError::internal("could not store an upload", error))?;
    let info = state.processing.with_poster(&file_name, info).await;
    let video = Video {
        id,
        source: VideoSource::File { file_name },
        original_name,
        size,
        mime,
        info,
    };
    tracing::info!(room = %code, file = ?video.file_name(), size, "video uploaded");
    let (video_id, file_name) = (video.id, video.file_name().map(str::to_string));
    let answer = match queue {
        true => add_to_queue(state, code, client, video).await,
        false => make_current(state, code, client, video).await.inspect(|_| {
            // Text subtitles inside the file join the room's tracks when found (a queued upload's
            // are looked for when its turn comes).
            let path = file_name.and_then(|f| state.media.registered_path(&f));
            if let (Some(path), Some(tools)) = (path, state.media.tools()) {
                let tools = tools.clone();
                state.hub.find_subtitles_in(code, video_id, path, tools);
            }
        }),
    };
    drop(activity);
    answer.map(Accepted::Video)
}

/// Makes `video` the room's current one (the room stores it, deletes the previous upload and
/// tells everyone). When that fails, or the room is gone, a newly uploaded file is deleted and
/// nothing else changes.
pub(crate) async fn make_current(
    state: &AppState,
    code: &str,
    by: ClientId,
    video: Video,
) -> ApiResult<VideoView> {
    let view = VideoView::from(&video);
    let file_name = video.file_name().map(str::to_string);
    let made = state.hub.set_video(code, by, video).await;
    if !matches!(made, Ok(Some(Ok(()))))
        && let Some(file_name) = file_name
    {
        state.media.remove(&file_name);
    }
    found(made?)??;
    Ok(view)
}

/// Puts an uploaded `video` at the end of the room's queue; on failure its file goes.
async fn add_to_queue(
    state: &AppState,
    code: &str,
    by: ClientId,
    video: Video,
) -> ApiResult<VideoView> {
    let view = VideoView::from(&video);
    let file_name = video.file_name().map(str::to_string);
    let added = state.hub.queue_add(code, by, video).await;
    if !matches!(added, Ok(Some(Ok(_))))
        && let Some(file_name) = file_name
    {
        state.media.remove(&file_name);
    }
    found(added?)??;
    Ok(view)
}
