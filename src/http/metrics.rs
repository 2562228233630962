//! `GET /metrics`: the server's counters for Prometheus. Not part of the REST API (nor its
//! OpenAPI document). With `metrics_token` set, a scraper must send `Authorization: Bearer
//! <token>`, so a public instance need not show its figures to everyone.

use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Json},
};
use serde_json::json;

use crate::{metrics::CONTENT_TYPE, state::AppState};

#[handler]
pub fn scrape(req: &Request, Data(state): Data<&AppState>) -> Response {
    let token = state.config.metrics_token.expose();
    if !token.is_empty() && !bearer_matches(req, token) {
        let body = json!({
            "code": "unauthorized",
            "message": "send the metrics token as Authorization: Bearer <token>",
        });
        return (StatusCode::UNAUTHORIZED, Json(body))
            .with_header(header::WWW_AUTHENTICATE, "Bearer")
            .into_response();
    }
    Response::builder()
        .header(header::CONTENT_TYPE, CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-store")
        .body(state.metrics.render())
}

fn bearer_matches(req: &Request, token: &str) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| same_bytes(given.as_bytes(), token.as_bytes()))
}

/// Compares in time that depends on the lengths only, so the answer's timing does not tell how
/// much of a guess was right.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn only_equal_tokens_match() {
        assert!(same_bytes(b"secret", b"secret"));
        assert!(!same_bytes(b"secret", b"secreT"));
        assert!(!same_bytes(b"secret", b"secret!"));
        assert!(!same_bytes(b"", b"secret"));
    }
}
