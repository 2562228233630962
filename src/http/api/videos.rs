use poem::{Body, web::headers::HeaderMapExt};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};

use tokio_util::io::InspectReader;

use super::{
    ApiTags,
    accept::{Accepted, Arrival, accept_upload, make_current},
    found, multipart,
    text::{LinkRule, Text},
};
use crate::{
    client::ClientId,
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    http::peer::Caller,
    media::{self, UploadError},
    room::{Video, VideoSource, video},
    state::AppState,
    view::{ProcessingView, VideoView},
};

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
    /// Upload the room's video: the raw file is the request body (any content type), or the one
    /// file part of a `multipart/form-data` body (its file name is used when `name` is absent;
    /// a form with no file or two is 400). It must be an MP4/MOV, WebM/Matroska or Ogg file (with
    /// ffmpeg on the server also AVI, MPEG-TS/PS, FLV or WMV) within the upload limit. With
    /// ffmpeg, a file browsers cannot play as it is answers 202 and is converted in the background
    /// (see `processing`); an address may run
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
        let form = multipart::is_multipart(request);
        let overhead = if form { multipart::FORM_OVERHEAD } else { 0 };
        if announced.is_some_and(|length| length > limit.saturating_add(overhead)) {
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
        let stall = std::time::Duration::from_secs(self.state.config.upload_stall_secs);
        let (upload, part_name) = match form {
            true => {
                let (upload, part_name) = multipart::receive_file(
                    &self.state.media,
                    request,
                    body.0,
                    &activity,
                    limit,
                    stall,
                )
                .await
                .inspect_err(|error| tracing::info!(room = %*code, ?error, "upload refused"))?;
                (upload, Some(part_name))
            }
            false => {
                let body =
                    InspectReader::new(body.0.into_async_read(), |_| activity.progress(now_ms()));
                let upload = self
                    .state
                    .media
                    .receive(body, limit, stall)
                    .await
                    .inspect_err(|error| tracing::info!(room = %*code, %error, "upload refused"))?;
                (upload, None)
            }
        };
        let original_name =
            media::display_name(name.as_deref().or(part_name.as_deref()).unwrap_or_default());
        let arrival = Arrival {
            code: &code,
            client,
            upload,
            original_name,
            queue: queue.unwrap_or(false),
            activity,
        };
        let answer = accept_upload(&self.state, arrival).await?;
        Ok(match answer {
            Accepted::Video(video) => NewVideo::Video(Json(video)),
            Accepted::Processing(job) => NewVideo::Processing(Json(job)),
        })
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
        let view = make_current(&self.state, &code, client, video).await?;
        Ok(NewVideo::Video(Json(view)))
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
