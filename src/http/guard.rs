//! Cross-site request forgery guard: a request that changes state (or opens a socket) with an
//! `Origin` header naming another site is refused. Requests without `Origin` (scripts, curl) pass:
//! browsers always send it on such requests.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    http::{Method, StatusCode, header},
};

use crate::state::AppState;

pub async fn same_origin_only<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let needs_check = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_websocket_upgrade(&req);
    if needs_check && !origin_allowed(&req) {
        let origin = req.header(header::ORIGIN).unwrap_or_default();
        tracing::warn!(%origin, path = %req.uri().path(), "refused a cross-site request");
        let body = serde_json::json!({
            "code": "cross_site",
            "message": "requests from other sites are not allowed",
        });
        return Ok((StatusCode::FORBIDDEN, poem::web::Json(body)).into_response());
    }
    next.call(req).await.map(IntoResponse::into_response)
}

fn is_websocket_upgrade(req: &Request) -> bool {
    req.header(header::UPGRADE)
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

fn origin_allowed(req: &Request) -> bool {
    let Some(origin) = req.header(header::ORIGIN) else {
        return true;
    };
    let allowed = &req
        .data::<AppState>()
        .expect("the app state is attached to every request")
        .config
        .allowed_origins;
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    // Compare hosts only: behind ngrok or a TLS proxy the browser says https while we see http.
    let Some(origin_host) = origin.split_once("://").map(|(_, host)| host) else {
        return false;
    };
    // X-Forwarded-Host counts only from a trusted proxy: anyone else could write it.
    [
        req.header(header::HOST),
        super::headers::forwarded_host(req),
    ]
    .into_iter()
    .flatten()
    .any(|host| host.eq_ignore_ascii_case(origin_host))
}
