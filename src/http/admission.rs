//! A room with a password answers only to its members: its REST routes (but the one that takes the
//! password), its socket and its videos answer 401 `password_required` to anyone else. One
//! middleware, so no route can forget to ask.

use std::sync::Arc;

use poem::{Endpoint, IntoResponse, Request, Response, Result};

use crate::{client::ClientId, error::ApiError, hub::is_valid_code, state::AppState};

/// The route that lets a client in with the password.
const WAY_IN: &str = "join";

pub async fn members_only<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let state = req
        .data::<AppState>()
        .expect("the app state is attached to every request");
    if let (Some(code), Some(client)) = (
        guarded_room(&req, state),
        req.extensions().get::<ClientId>(),
    ) {
        match state.hub.admits(&code, *client).await {
            Ok(Some(false)) => return Ok(ApiError::password_required().into_response()),
            // No such room: the route itself says so.
            Ok(_) => {}
            Err(error) => return Ok(ApiError::from(error).into_response()),
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

/// The room a request reads or changes, when it is one that members only may.
fn guarded_room(req: &Request, state: &AppState) -> Option<String> {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/api/rooms/") {
        let (code, route) = rest.split_once('/').unwrap_or((rest, ""));
        return (is_valid_code(code) && route != WAY_IN).then(|| code.to_string());
    }
    let file = path.strip_prefix("/media/")?;
    state.media.room_of(file)
}
