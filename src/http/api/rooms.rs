use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{
    ApiTags, found,
    text::{RoomNameRule, Text},
};
use crate::{
    client::ClientId,
    error::{ApiError, ApiResult},
    http::peer::Peer,
    state::AppState,
    view::{RoomView, ViewerView},
};

/// Whole-room answers list at most this many viewers; `/viewers` lists everyone.
const ROOM_VIEWERS_LIMIT: usize = 100;

pub struct RoomsApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Created {
    /// The new room.
    #[oai(status = 201)]
    Room(Json<RoomView>),
}

#[derive(Object)]
struct Viewers {
    count: u64,
    viewers: Vec<ViewerView>,
}

#[derive(Object)]
struct Host {
    #[oai(nullable)]
    host: Option<ClientId>,
}

#[derive(Object)]
struct RoomName {
    /// 1 to 64 characters, or null to clear.
    #[oai(nullable)]
    name: Option<Text<RoomNameRule>>,
}

pub(super) const MAX_ROOM_NAME_CHARS: usize = 64;

fn clean_room_name(raw: &str) -> ApiResult<String> {
    let valid = raw.chars().count() <= MAX_ROOM_NAME_CHARS && !raw.chars().any(char::is_control);
    if !valid {
        return Err(ApiError::bad_request(
            "bad_room_name",
            "room names are 1 to 64 characters, without control characters",
        ));
    }
    Ok(raw.to_string())
}

#[derive(ApiResponse)]
enum Refreshed {
    /// Every viewer was told to reload the video.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Rooms")]
impl RoomsApi {
    /// Create a room with a fresh 8-letter code; you own it. Each address may create
    /// `room_rate_count` rooms per `room_rate_secs`.
    #[oai(path = "/rooms", method = "post")]
    async fn create(&self, peer: Peer, client: ClientId) -> ApiResult<Created> {
        self.state.limits.rooms.check(&peer.address)?;
        let code = self.state.hub.create(client).await?;
        tracing::info!(room = %code, "room created");
        Ok(Created::Room(Json(self.view(&code).await?)))
    }

    /// A room's video, playback state (as of now), host and viewers.
    #[oai(path = "/rooms/:code", method = "get")]
    async fn get(&self, code: Path<String>) -> ApiResult<Json<RoomView>> {
        Ok(Json(self.view(&code).await?))
    }

    /// Everyone watching, longest-connected first. Several tabs of one client count once.
    #[oai(path = "/rooms/:code/viewers", method = "get")]
    async fn viewers(&self, code: Path<String>) -> ApiResult<Json<Viewers>> {
        let viewers = found(self.state.hub.viewers(&code).await?)?;
        Ok(Json(Viewers {
            count: viewers.len() as u64,
            viewers,
        }))
    }

    /// Become the room's host. You need a socket open in the room; when only the host and the
    /// owner may drive the room, only the owner may take the role (403 otherwise).
    #[oai(path = "/rooms/:code/host", method = "post")]
    async fn claim_host(&self, code: Path<String>, client: ClientId) -> ApiResult<Json<Host>> {
        if !found(self.state.hub.claim_host(&code, client).await?)?? {
            return Err(ApiError::conflict(
                "not_watching",
                "only a viewer with the room open can become host",
            ));
        }
        Ok(Json(Host { host: Some(client) }))
    }

    /// Name the room (shown in its title), or clear the name with null or an empty string.
    #[oai(path = "/rooms/:code/name", method = "put")]
    async fn rename(&self, code: Path<String>, body: Json<RoomName>) -> ApiResult<Json<RoomView>> {
        let name = match body.name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(clean_room_name(raw)?),
        };
        found(self.state.hub.rename(&code, name).await?)??;
        Ok(Json(self.view(&code).await?))
    }

    /// Tell every viewer to reload the current video file, bypassing caches (after it was replaced
    /// by hand in the media folder).
    #[oai(path = "/rooms/:code/refresh", method = "post")]
    async fn refresh(&self, code: Path<String>, client: ClientId) -> ApiResult<Refreshed> {
        if !found(self.state.hub.refresh(&code, client).await?)?? {
            return Err(ApiError::conflict("no_video", "the room has no video yet"));
        }
        Ok(Refreshed::Done)
    }
}

impl RoomsApi {
    async fn view(&self, code: &str) -> ApiResult<RoomView> {
        found(self.state.hub.view(code, ROOM_VIEWERS_LIMIT).await?)
    }
}
