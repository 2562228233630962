//! `GET /healthz` for a supervisor or a load balancer: 200 while serving, 503 once shutdown has
//! begun (so traffic moves elsewhere while open requests finish). Not part of the REST API.

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Json},
};
use serde_json::json;

use crate::state::AppState;

#[handler]
pub fn healthz(Data(state): Data<&AppState>) -> Response {
    // `disabled` on a single node; a node that lost Redis serves the rooms it owns: degraded.
    let redis = state.hub.redis_health();
    if state.shutdown.is_cancelled() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "shutting_down", "redis": redis})),
        )
            .into_response()
    } else {
        let status = if redis == "unreachable" {
            "degraded"
        } else {
            "ok"
        };
        Json(json!({"status": status, "redis": redis})).into_response()
    }
}
