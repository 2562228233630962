//! Where a received upload becomes a video: raw, multipart and tus uploads all end here, so what
//! happens to a finished file (numbering, registering, playing or queueing it) is decided once.

use crate::{
    client::ClientId,
    db,
    error::{ApiError, ApiResult},
    media::ReceivedUpload,
    room::{Video, VideoSource},
    state::AppState,
    subtitles,
    view::VideoView,
};

use super::found;

/// Attempts at a free file number before giving up (a number is taken only by files put in the
/// media folder by hand).
const NUMBERING_ATTEMPTS: usize = 100;

/// Numbers a complete upload and makes it the room's current video (or, with `queue`, puts it at
/// the end of the room's queue). On any failure, the room gone included, the file is deleted and
/// the room is left as it was.
pub(crate) async fn accept_upload(
    state: &AppState,
    code: &str,
    client: ClientId,
    upload: ReceivedUpload,
    original_name: String,
    queue: bool,
) -> ApiResult<VideoView> {
    let (file_name, mime, size) = store_numbered(state, upload).await?;
    let video = Video {
        id: file_number(&file_name),
        source: VideoSource::File { file_name },
        original_name,
        size,
        mime,
    };
    tracing::info!(room = %code, file = ?video.file_name(), size, "video uploaded");
    let (video_id, file_name) = (video.id, video.file_name().map(str::to_string));
    match queue {
        true => add_to_queue(state, code, client, video).await,
        false => make_current(state, code, client, video).await.inspect(|_| {
            // Text subtitles inside the file join the room's tracks when found (a queued upload's
            // are looked for when its turn comes).
            if let Some(path) = file_name.and_then(|f| state.media.registered_path(&f)) {
                let tools = subtitles::extract::Tools::default();
                state.hub.find_subtitles_in(code, video_id, path, tools);
            }
        }),
    }
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

/// Gives the upload the next free number. Returns its file name, type and size.
async fn store_numbered(
    state: &AppState,
    mut upload: ReceivedUpload,
) -> ApiResult<(String, String, u64)> {
    let mime = upload.container.mime().to_string();
    let size = upload.size;
    for _ in 0..NUMBERING_ATTEMPTS {
        let number = db::videos::next_number(&state.db).await?;
        match state.media.store(upload, number) {
            Ok(file_name) => return Ok((file_name, mime, size)),
            Err((back, error)) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                upload = back;
            }
            Err((_, error)) => {
                return Err(ApiError::internal("could not store an upload", error));
            }
        }
    }
    Err(ApiError::internal(
        "could not store an upload",
        "every file number tried was taken",
    ))
}

fn file_number(file_name: &str) -> i64 {
    file_name
        .split('.')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("stored file names start with their number")
}
