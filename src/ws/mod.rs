//! The room socket: `GET /api/rooms/{code}/ws`. The upgrade is checked here; `session` runs the
//! socket's loop. The messages themselves are [`crate::protocol`]'s.

mod session;

use poem::{
    IntoResponse, Response, handler,
    web::{
        Data, Path,
        websocket::{WebSocket, WebSocketConfig},
    },
};

use crate::{
    client::ClientId, clock::now_ms, db, error::ApiError, http::peer::Peer, state::AppState,
};

/// Small read buffers keep an idle socket cheap (every socket holds one): client messages are
/// mostly under 200 bytes, and a longer one (a chat message) is read in a few turns.
const READ_BUFFER: usize = 512;

#[handler]
pub async fn upgrade(
    Path(code): Path<String>,
    ws: WebSocket,
    client: ClientId,
    peer: Peer,
    Data(state): Data<&AppState>,
) -> Response {
    match state.hub.exists(&code).await {
        Ok(true) => {}
        Ok(false) => return ApiError::room_not_found().into_response(),
        Err(error) => return ApiError::from(error).into_response(),
    }
    let name = match db::clients::name(&state.db, client).await {
        Ok(name) => name,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if let Err(error) = db::visits::record(&state.db, client, &code, now_ms()).await {
        tracing::warn!(%error, "could not record a visit");
    }
    let limit = state.config.max_ws_message_bytes;
    // The parser refuses a frame (and a message of several) over the limit from its header, before
    // buffering it: a larger ceiling let every socket hold a 1 MiB message before we saw it. The
    // session then closes the socket with a policy violation.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let session = session::Session {
        hub: state.hub.clone(),
        code,
        client,
        address: peer.address,
        name,
        max_message_bytes: limit,
        shutdown: state.shutdown.clone(),
        metrics: state.metrics.clone(),
    };
    let sockets = state.sockets.clone();
    ws.config(config)
        .on_upgrade(move |socket| sockets.track_future(session::run(socket, session)))
        .into_response()
}
