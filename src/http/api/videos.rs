use poem::{Body, web::headers::HeaderMapExt};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

use tokio_util::io::InspectReader;

use super::{
    ApiTags, found,
    text::{LinkRule, Text},
};
use crate::{
    client::ClientId,
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    http::peer::Caller,
    media::{self, ReceivedUpload, UploadError},
    processing::{Order, Triage},
    room::{Video, VideoSource, video},
    state::AppState,
    view::{ProcessingView, VideoView},
};

/// Attempts at a free file number before giving up (a number is taken only by files put in the
/// media folder by hand).
const NUMBERING_ATTEMPTS: usize = 100;
/// What an address running its maximum of uploads is told to wait, in seconds: a guess, since
/// nobody knows when one of its uploads ends.
const UPLOAD_SLOT_RETRY: u64 = 10;

pub struct VideosApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum NewVideo {
    /// The room's new video; everyone in the room was told.
    #[oai(status = 201)]
    Video(Json<VideoView>),
    /// The upload must be made playable first (remuxed or converted to MP4): the job, queued.
    /// The room hears its progress; the video becomes current (or joins the queue) when ready.
    #[oai(status = 202)]
    Processing(Json<ProcessingView>),
}

#[derive(Object)]
struct NewLink {
    /// A YouTube link or a direct http(s) media URL.
    url: Text<LinkRule>,
}

#[OpenApi(tag = "ApiTags::Videos")]
impl VideosApi {
    /// Upload the room's video: the raw file is the request body (any content type). It must be an
    /// MP4/MOV, WebM/Matroska or Ogg file (with ffmpeg on the server also AVI, MPEG-TS/PS, FLV or
    /// WMV) within the upload limit. With ffmpeg, a file browsers cannot play as it is answers 202
    /// and is converted in the background (see `processing`); an address may run
    /// `uploads_per_address` uploads at once. It replaces the room's current video, paused at the
    /// start (or, with `queue=true`, waits at the end of the queue); a failed upload leaves the
    /// current video as it was. While bytes
    /// arrive the room counts as active; a room deleted meanwhile (it expired while the upload
    /// stalled) answers 404 at the end, and the file is not kept.
    #[oai(path = "/rooms/:code/video", method = "post")]
    async fn upload(
        &self,
        code: Path<String>,
        /// The file's original name, shown to viewers.
        name: Query<Option<String>>,
        /// Add it at the end of the room's queue instead of playing it now.
        queue: Query<Option<bool>>,
        body: Binary<Body>,
        request: &poem::Request,
        caller: Caller,
    ) -> ApiResult<NewVideo> {
        let Caller { client, peer } = caller;
        let limit = self.state.config.max_upload_bytes;
        // Refuse early when the size is announced; a chunked body is counted as it arrives.
        let announced = request
            .headers()
            .typed_get::<poem::web::headers::ContentLength>()
            .map(|length| length.0);
        if announced.is_some_and(|length| length > limit) {
            return Err(UploadError::TooLarge { limit }.into());
        }
        let activity = found(self.state.hub.begin_upload(&code, client).await?)??;
        let _slot = self
            .state
            .limits
            .uploads
            .take(peer.address)
            .ok_or_else(|| {
                ApiError::too_many(
                    "too_many_uploads",
                    format!(
                        "this address already runs {} uploads; wait for one to finish",
                        self.state.config.uploads_per_address
                    ),
                    UPLOAD_SLOT_RETRY,
                )
            })?;
        let original_name = media::display_name(name.as_deref().unwrap_or_default());
        let body = InspectReader::new(body.0.into_async_read(), |_| activity.progress(now_ms()));
        let upload = self
            .state
            .media
            .receive(
                body,
                limit,
                std::time::Duration::from_secs(self.state.config.upload_stall_secs),
            )
            .await
            .inspect_err(|error| tracing::info!(room = %*code, %error, "upload refused"))?;
        let (upload, info) = match self.state.processing.triage(upload).await? {
            Triage::Ready { upload, info } => (upload, info),
            Triage::Convert(pending) => {
                let order = Order {
                    room: code.to_string(),
                    by: client,
                    name: original_name,
                    queue: queue.unwrap_or(false),
                    activity,
                };
                let job = self.state.processing.start(pending, order);
                return Ok(NewVideo::Processing(Json(job)));
            }
        };
        let (file_name, mime, size) = self.store_numbered(upload).await?;
        let info = self.state.processing.with_poster(&file_name, info).await;
        let video = Video {
            id: file_number(&file_name),
            source: VideoSource::File { file_name },
            original_name,
            size,
            mime,
            info,
        };
        tracing::info!(room = %*code, file = ?video.file_name(), size, "video uploaded");
        let answer = match queue.unwrap_or(false) {
            true => self.add_to_queue(&code, client, video).await,
            false => self.make_current(&code, client, video).await,
        };
        drop(activity);
        answer
    }

    /// Play a link instead of an upload: a YouTube video (youtube.com/watch, youtu.be, /shorts/,
    /// /embed/) or a direct http(s) media URL. It replaces the room's current video, paused at the
    /// start.
    #[oai(path = "/rooms/:code/video/link", method = "post")]
    async fn link(
        &self,
        code: Path<String>,
        link: Json<NewLink>,
        client: ClientId,
    ) -> ApiResult<NewVideo> {
        let video = video_from_link(&self.state, &link.url).await?;
        tracing::info!(room = %*code, kind = video.kind(), "video linked");
        self.make_current(&code, client, video).await
    }
}

/// The video a pasted link names, numbered like an upload; 400 for a link that is not one.
pub(super) async fn video_from_link(state: &AppState, link: &str) -> ApiResult<Video> {
    let source = video::parse_link(link, state.config.allow_private_links).map_err(|error| {
        let code = match error {
            video::LinkError::PrivateAddress => "private_address",
            _ => "bad_link",
        };
        ApiError::bad_request(code, error.to_string())
    })?;
    let (original_name, mime) = match &source {
        VideoSource::YouTube { id } => (format!("YouTube video {id}"), String::new()),
        VideoSource::Url { url } => {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            let mime = mime_guess::from_path(path)
                .first()
                .filter(|mime| mime.type_() == "video" || mime.type_() == "audio")
                .map(|mime| mime.to_string())
                .unwrap_or_default();
            (media::display_name(path), mime)
        }
        VideoSource::File { .. } => unreachable!("links never name local files"),
    };
    Ok(Video {
        id: db::videos::next_number(&state.db).await?,
        source,
        original_name,
        size: 0,
        mime,
        info: Default::default(),
    })
}

impl VideosApi {
    /// Makes `video` the room's current one (the room stores it, deletes the previous upload and
    /// tells everyone). When that fails, or the room is gone, a newly uploaded file is deleted and
    /// nothing else changes.
    async fn make_current(&self, code: &str, by: ClientId, video: Video) -> ApiResult<NewVideo> {
        let view = VideoView::from(&video);
        let file_name = video.file_name().map(str::to_string);
        let made = self.state.hub.set_video(code, by, video).await;
        if !matches!(made, Ok(Some(Ok(()))))
            && let Some(file_name) = file_name
        {
            self.state.media.remove(&file_name);
        }
        found(made?)??;
        Ok(NewVideo::Video(Json(view)))
    }

    /// Puts an uploaded `video` at the end of the room's queue; on failure its file goes.
    async fn add_to_queue(&self, code: &str, by: ClientId, video: Video) -> ApiResult<NewVideo> {
        let view = VideoView::from(&video);
        let file_name = video.file_name().map(str::to_string);
        let added = self.state.hub.queue_add(code, by, video).await;
        if !matches!(added, Ok(Some(Ok(_))))
            && let Some(file_name) = file_name
        {
            self.state.media.remove(&file_name);
        }
        found(added?)??;
        Ok(NewVideo::Video(Json(view)))
    }

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
