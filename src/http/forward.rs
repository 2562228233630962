//! Cluster mode: a REST request for a room another node owns is passed to that node, body and
//! answer streamed, so every endpoint (uploads too) works on any node with one hop. The room's
//! socket is not passed on: this node relays the room to it (`hub/remote.rs`).

use std::sync::{Arc, OnceLock};

use futures_util::TryStreamExt;
use poem::{
    Body, Endpoint, IntoResponse, Request, Response, Result,
    http::{HeaderName, StatusCode, header},
};

use crate::{error::ApiError, hub::is_valid_code, state::AppState};

/// Marks a request one node passed to another: it is never passed on again.
const FORWARDED_BY: &str = "x-goblet-node";

/// Headers about one connection, not the request: each hop has its own.
const HOP_BY_HOP: [HeaderName; 5] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::UPGRADE,
    header::TRAILER,
];

/// Middleware: a request about a room owned elsewhere goes to the owner's `node_url`.
pub async fn to_owner<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let Some(code) = room_of(req.uri().path()) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let state = req
        .data::<AppState>()
        .expect("the app state is attached to every request");
    if req.headers().contains_key(FORWARDED_BY) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let Some(owner) = state.hub.owner_elsewhere(code).await else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let node = state.config.node_name();
    Ok(forward(req, &owner, &node).await)
}

/// The room code of `/api/rooms/{code}` and what lies under it, except its socket.
fn room_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/rooms/")?;
    let (code, below) = rest.split_once('/').unwrap_or((rest, ""));
    (is_valid_code(code) && below != "ws").then_some(code)
}

async fn forward(mut req: Request, owner: &str, node: &str) -> Response {
    let target = format!(
        "{owner}{}",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let mut headers = req.headers().clone();
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    // The owner trusts this node as a proxy (`trusted_proxies`) and learns the client's address.
    if let Some(address) = req.remote_addr().as_socket_addr().map(|a| a.ip()) {
        let chain = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            Some(earlier) => format!("{earlier}, {address}"),
            None => address.to_string(),
        };
        if let Ok(value) = chain.parse() {
            headers.insert("x-forwarded-for", value);
        }
    }
    if let Ok(value) = node.parse() {
        headers.insert(FORWARDED_BY, value);
    }
    let body = req.take_body().into_bytes_stream();
    let sent = client()
        .request(req.method().clone(), &target)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%target, %error, "the room's node did not answer a forwarded request");
            return ApiError::from(crate::hub::HubError::Unavailable).into_response();
        }
    };
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY));
    for (name, value) in answer.headers() {
        if !HOP_BY_HOP.contains(name) {
            response = response.header(name, value);
        }
    }
    response.body(Body::from_bytes_stream(
        answer.bytes_stream().map_err(std::io::Error::other),
    ))
}

/// One client for every forwarded request, so connections to the other nodes are kept open.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        // No overall timeout: an upload may stream for hours. A node that does not even accept
        // the connection is answered for at once.
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client without TLS builds")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_rooms_rest_paths_are_forwarded() {
        assert_eq!(room_of("/api/rooms/ABCDEFGH"), Some("ABCDEFGH"));
        assert_eq!(room_of("/api/rooms/ABCDEFGH/video"), Some("ABCDEFGH"));
        assert_eq!(room_of("/api/rooms/ABCDEFGH/uploads/3"), Some("ABCDEFGH"));
        assert_eq!(room_of("/api/rooms/ABCDEFGH/ws"), None);
        assert_eq!(room_of("/api/rooms"), None);
        assert_eq!(room_of("/api/rooms/abc/video"), None);
        assert_eq!(room_of("/media/1.mp4"), None);
    }
}
