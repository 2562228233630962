//! The REST API, one `OpenApi` impl per resource. Described at `/api/openapi.json`.

mod chat;
mod me;
mod playback;
mod rooms;
mod spots;
mod videos;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

use crate::{
    error::{ApiError, ApiResult},
    hub::LiveRoom,
    room::playback::{POSITION_RULE, valid_position},
    state::AppState,
};

#[derive(Tags)]
enum ApiTags {
    /// Who you are.
    Me,
    /// Rooms, their viewers and host.
    Rooms,
    /// Play, pause and seek.
    Playback,
    /// The room's video.
    Videos,
    /// Saved positions to resume from.
    Spots,
    /// The room's chat history.
    Chat,
}

pub type ApiService = OpenApiService<
    (
        me::MeApi,
        rooms::RoomsApi,
        playback::PlaybackApi,
        videos::VideosApi,
        spots::SpotsApi,
        chat::ChatApi,
    ),
    (),
>;

pub fn service(state: &AppState) -> ApiService {
    OpenApiService::new(
        (
            me::MeApi {
                state: state.clone(),
            },
            rooms::RoomsApi {
                state: state.clone(),
            },
            playback::PlaybackApi {
                state: state.clone(),
            },
            videos::VideosApi {
                state: state.clone(),
            },
            spots::SpotsApi {
                state: state.clone(),
            },
            chat::ChatApi {
                state: state.clone(),
            },
        ),
        "Goblet",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "A self-hosted watch party. Clients are identified by the signed `goblet_client` cookie \
         that the server issues on first contact. Live updates come over the room's WebSocket, \
         `/api/rooms/{code}/ws`, described in docs/protocol.md.",
    )
    .server("/api")
}

/// 400 unless `position` is a usable number of seconds.
fn check_position(position: f64) -> ApiResult<()> {
    if valid_position(position) {
        Ok(())
    } else {
        Err(ApiError::bad_request("bad_position", POSITION_RULE))
    }
}

/// The live room with this code, or 404.
async fn find_room(state: &AppState, code: &str) -> ApiResult<Arc<LiveRoom>> {
    state
        .hub
        .get(code)
        .await?
        .ok_or_else(ApiError::room_not_found)
}
