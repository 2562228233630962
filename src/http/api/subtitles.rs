use std::time::Duration;

use poem::{Body, web::headers::HeaderMapExt};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json, PlainText},
};
use tokio::io::AsyncReadExt;

use super::{ApiTags, found};
use crate::{
    client::ClientId,
    db,
    error::{ApiError, ApiResult},
    media::UploadError,
    state::AppState,
    subtitles::{self, MAX_SUBTITLE_BYTES, NewTrack},
    view::SubtitleView,
};

pub struct SubtitlesApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Added {
    /// The track was added; every socket got `subtitles`.
    #[oai(status = 201)]
    Track(Json<SubtitleView>),
}

#[derive(ApiResponse)]
enum TrackFile {
    /// The track as WebVTT.
    #[oai(status = 200, content_type = "text/vtt; charset=utf-8")]
    Vtt(PlainText<String>),
}

#[derive(ApiResponse)]
enum Done {
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Subtitles")]
impl SubtitlesApi {
    /// The current video's subtitle tracks, oldest first.
    #[oai(path = "/rooms/:code/subtitles", method = "get")]
    async fn list(&self, code: Path<String>) -> ApiResult<Json<Vec<SubtitleView>>> {
        let room = found(self.state.hub.view(&code, 0).await?)?;
        Ok(Json(room.subtitles))
    }

    /// Add subtitles to the room's current video: the raw `.srt` or `.vtt` file is the request
    /// body (at most 2 MiB; UTF-8, UTF-16 with a byte order mark, or else Windows-1252/Latin-1).
    /// SRT is converted to WebVTT; styling tags other than `<i>`, `<b>`, `<u>` (and WebVTT's own)
    /// are dropped. A file with no valid cue gets 400 `bad_subtitles` and nothing is kept. Anyone
    /// who may change the video may add tracks; a video has at most 20.
    #[oai(path = "/rooms/:code/subtitles", method = "post")]
    async fn add(
        &self,
        code: Path<String>,
        /// The file's name: its label in the player, without the extension.
        name: Query<Option<String>>,
        /// The track's language as a BCP 47 tag (`en`, `pt-BR`).
        language: Query<Option<String>>,
        body: Binary<Body>,
        request: &poem::Request,
        client: ClientId,
    ) -> ApiResult<Added> {
        let limit = MAX_SUBTITLE_BYTES;
        let announced = request
            .headers()
            .typed_get::<poem::web::headers::ContentLength>()
            .map(|length| length.0);
        if announced.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        let language = match language.0.filter(|tag| !tag.is_empty()) {
            Some(tag) if !subtitles::valid_language(&tag) => {
                return Err(ApiError::bad_request(
                    "bad_language",
                    "language must be a BCP 47 tag such as en or pt-BR",
                ));
            }
            tag => tag,
        };
        found(self.state.hub.exists(&code).await?.then_some(()))?;
        let stall = Duration::from_secs(self.state.config.upload_stall_secs);
        let bytes = read_limited(body.0, limit, stall).await?;
        let name = name.0.unwrap_or_default();
        let vtt = subtitles::to_webvtt(&bytes, &name)
            .map_err(|error| ApiError::bad_request("bad_subtitles", error.to_string()))?;
        let track = NewTrack {
            label: subtitles::label_from_name(&name).unwrap_or_else(|| "Subtitles".to_string()),
            language,
            vtt,
        };
        let view = found(self.state.hub.add_subtitles(&code, client, track).await?)??;
        Ok(Added::Track(Json(view)))
    }

    /// One track's WebVTT file.
    #[oai(path = "/rooms/:code/subtitles/:id", method = "get")]
    async fn file(&self, code: Path<String>, id: Path<i64>) -> ApiResult<TrackFile> {
        let text = db::subtitles::text(&self.state.db, &code, *id)
            .await?
            .ok_or_else(|| ApiError::not_found("no_such_subtitles", "no such subtitle track"))?;
        Ok(TrackFile::Vtt(PlainText(text)))
    }

    /// Remove a track: its uploader, the host or the owner may (with `controls: host`, only the
    /// host and the owner).
    #[oai(path = "/rooms/:code/subtitles/:id", method = "delete")]
    async fn remove(&self, code: Path<String>, id: Path<i64>, client: ClientId) -> ApiResult<Done> {
        found(self.state.hub.remove_subtitles(&code, client, *id).await?)??;
        Ok(Done::Done)
    }
}

fn too_large() -> ApiError {
    UploadError::TooLarge {
        limit: MAX_SUBTITLE_BYTES as u64,
    }
    .into()
}

/// The whole body, refused once it passes `limit` or when no byte comes for `stall`.
async fn read_limited(body: Body, limit: usize, stall: Duration) -> ApiResult<Vec<u8>> {
    let mut reader = body.into_async_read();
    let mut bytes = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let read = tokio::time::timeout(stall, reader.read(&mut chunk))
            .await
            .map_err(|_| UploadError::Stalled(stall))?
            .map_err(UploadError::Interrupted)?;
        if read == 0 {
            return Ok(bytes);
        }
        if bytes.len() + read > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk[..read]);
    }
}
