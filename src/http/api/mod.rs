//! The REST API, one `OpenApi` impl per resource. Described at `/api/openapi.json`.

mod accept;
mod chat;
mod control;
mod me;
mod multipart;
mod playback;
mod processing;
mod queue;
mod rooms;
mod spots;
mod subtitles;
mod text;
mod videos;

pub(crate) use accept::{Arrival, accept_upload};

use poem_openapi::{OpenApiService, Tags};

use crate::{
    error::{ApiError, ApiResult},
    room::playback::{POSITION_RULE, valid_position},
};

#[derive(Tags)]
enum ApiTags {
    /// Who you are.
    Me,
    /// Rooms, their viewers and host.
    Rooms,
    /// Who may drive a room: its settings, its owner, kicks.
    Control,
    /// Play, pause and seek.
    Playback,
    /// The room's video.
    Videos,
    /// What plays next.
    Queue,
    /// Saved positions to resume from.
    Spots,
    /// The room's chat history.
    Chat,
    /// Subtitle tracks of the room's video.
    Subtitles,
}

pub type ApiService = OpenApiService<
    (
        me::MeApi,
        rooms::RoomsApi,
        control::ControlApi,
        playback::PlaybackApi,
        videos::VideosApi,
        queue::QueueApi,
        spots::SpotsApi,
        chat::ChatApi,
        subtitles::SubtitlesApi,
        processing::ProcessingApi,
    ),
    (),
>;

pub fn service(state: &crate::state::AppState) -> ApiService {
    OpenApiService::new(
        (
            me::MeApi {
                state: state.clone(),
            },
            rooms::RoomsApi {
                state: state.clone(),
            },
            control::ControlApi {
                state: state.clone(),
            },
            playback::PlaybackApi {
                state: state.clone(),
            },
            videos::VideosApi {
                state: state.clone(),
            },
            queue::QueueApi {
                state: state.clone(),
            },
            spots::SpotsApi {
                state: state.clone(),
            },
            chat::ChatApi {
                state: state.clone(),
            },
            subtitles::SubtitlesApi {
                state: state.clone(),
            },
            processing::ProcessingApi {
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

/// An answer about a room, or 404 when there is no such room.
pub(crate) fn found<T>(answer: Option<T>) -> ApiResult<T> {
    answer.ok_or_else(ApiError::room_not_found)
}
