use poem::{Body, web::headers::HeaderMapExt};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

use super::{ApiTags, find_room};
use crate::{
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    media::{self, ReceivedUpload, UploadError},
    room::Video,
    state::AppState,
    view::VideoView,
};

/// Attempts at a free file number before giving up (a number is taken only by files put in the
/// media folder by hand).
const NUMBERING_ATTEMPTS: usize = 100;

pub struct VideosApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Uploaded {
    /// The room's new video; everyone in the room was told.
    #[oai(status = 201)]
    Video(Json<VideoView>),
}

#[OpenApi(tag = "ApiTags::Videos")]
impl VideosApi {
    /// Upload the room's video: the raw file is the request body (any content type). It must be an
    /// MP4/MOV, WebM/Matroska or Ogg file within the upload limit. It replaces the room's current
    /// video, paused at the start; a failed upload leaves the current video as it was.
    #[oai(path = "/rooms/:code/video", method = "post")]
    async fn upload(
        &self,
        code: Path<String>,
        /// The file's original name, shown to viewers.
        name: Query<Option<String>>,
        body: Binary<Body>,
        request: &poem::Request,
    ) -> ApiResult<Uploaded> {
        let room = find_room(&self.state, &code).await?;
        let limit = self.state.config.max_upload_bytes;
        // Refuse early when the size is announced; a chunked body is counted as it arrives.
        let announced = request
            .headers()
            .typed_get::<poem::web::headers::ContentLength>()
            .map(|length| length.0);
        if announced.is_some_and(|length| length > limit) {
            return Err(UploadError::TooLarge { limit }.into());
        }
        let original_name = media::display_name(name.as_deref().unwrap_or_default());
        let upload = self
            .state
            .media
            .receive(body.0.into_async_read(), limit)
            .await
            .inspect_err(|error| tracing::info!(room = %room.code, %error, "upload refused"))?;
        let (file_name, mime, size) = self.store_numbered(upload).await?;
        let video = Video {
            id: file_number(&file_name),
            file_name,
            original_name,
            size,
            mime,
        };
        let previous = match db::videos::replace_room_video(
            &self.state.db,
            &room.code,
            &video,
            now_ms(),
        )
        .await
        {
            Ok(previous) => previous,
            Err(error) => {
                self.state.media.remove(&video.file_name);
                return Err(error.into());
            }
        };
        self.state.media.register(&video.file_name);
        if let Some(previous) = previous {
            self.state.media.remove(&previous);
        }
        tracing::info!(room = %room.code, file = %video.file_name, size, "video uploaded");
        let view = VideoView::from(&video);
        room.set_video(video);
        Ok(Uploaded::Video(Json(view)))
    }
}

impl VideosApi {
    /// Gives the upload the next free number. Returns its file name, type and size.
    async fn store_numbered(&self, mut upload: ReceivedUpload) -> ApiResult<(String, String, u64)> {
        let mime = upload.container.mime().to_string();
        let size = upload.size;
        for _ in 0..NUMBERING_ATTEMPTS {
            let number = db::videos::next_number(&self.state.db).await?;
            match self.state.media.store(upload, number) {
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
}

fn file_number(file_name: &str) -> i64 {
    file_name
        .split('.')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("stored file names start with their number")
}
