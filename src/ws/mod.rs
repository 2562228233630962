//! The room socket: `GET /api/rooms/{code}/ws`. The upgrade is checked here; `session` runs the
//! socket's loop.

pub mod protocol;
mod session;

use poem::{
    IntoResponse, Response, handler,
    web::{
        Data, Path,
        websocket::{WebSocket, WebSocketConfig},
    },
};

use crate::{clock::now_ms, db, error::ApiError, identity::ClientId, state::AppState};

/// tungstenite's own ceiling; messages between our limit and this one get a policy close from us,
/// larger ones are cut off by tungstenite itself.
const HARD_MESSAGE_LIMIT: usize = 1024 * 1024;
/// Small read buffers keep an idle socket cheap (every socket holds one): client messages are
/// mostly under 200 bytes, and a longer one (a chat message) is read in a few turns.
const READ_BUFFER: usize = 512;

#[handler]
pub async fn upgrade(
    Path(code): Path<String>,
    ws: WebSocket,
    client: ClientId,
    Data(state): Data<&AppState>,
) -> Response {
    let room = match state.hub.get(&code).await {
        Ok(Some(room)) => room,
        Ok(None) => return ApiError::room_not_found().into_response(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let name = match db::clients::name(&state.db, client).await {
        Ok(name) => name,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if let Err(error) = db::visits::record(&state.db, client, &room.code, now_ms()).await {
        tracing::warn!(%error, "could not record a visit");
    }
    let limit = state.config.max_ws_message_bytes;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(HARD_MESSAGE_LIMIT.max(limit * 2)))
        .max_frame_size(Some(HARD_MESSAGE_LIMIT.max(limit * 2)));
    let shutdown = state.shutdown.clone();
    ws.config(config)
        .on_upgrade(move |socket| {
            session::run(
                socket,
                session::Session {
                    room,
                    client,
                    name,
                    max_message_bytes: limit,
                    shutdown,
                },
            )
        })
        .into_response()
}
