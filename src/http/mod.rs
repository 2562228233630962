//! HTTP: routes, middleware, and the handlers that are not part of the REST API.

mod admission;
mod allow;
pub mod api;
mod forward;
mod guard;
mod headers;
mod health;
mod log;
pub mod media;
mod metrics;
pub mod pages;
pub mod peer;
pub mod server;
pub mod tus;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Response, Route,
    endpoint::{EmbeddedFilesEndpoint, StaticFilesEndpoint},
    get,
    http::{StatusCode, header},
    middleware::{CookieJarManager, SetHeader},
    web::cookie::CookieKey,
};

use crate::{assets::Embedded, identity, state::AppState, ws};

/// Builds the whole application: API, socket, media, pages and static files.
pub fn routes(state: AppState, cookie_key: CookieKey) -> impl Endpoint<Output = Response> {
    let api = api::service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let allowed = std::sync::Arc::new(
        allow::AllowedMethods::from_spec(&api.spec(), "/api")
            .route("/", &["GET"])
            .route("/r/{code}", &["GET"])
            .route("/healthz", &["GET"])
            .route("/metrics", &["GET"])
            .route("/media/{file}", &["GET"])
            .route("/api/rooms/{code}/ws", &["GET"])
            .route("/api/rooms/{code}/uploads", &["POST", "OPTIONS"])
            .route(
                "/api/rooms/{code}/uploads/{id}",
                &["HEAD", "PATCH", "DELETE", "OPTIONS"],
            )
            .route("/api/openapi.json", &["GET"]),
    );
    let statics = match state.assets.dir() {
        Some(dir) => StaticFilesEndpoint::new(dir).map_to_response().boxed(),
        None => EmbeddedFilesEndpoint::<Embedded>::new().boxed(),
    }
    .with(
        SetHeader::new().overriding(header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
    );
    Route::new()
        .at("/", get(pages::landing))
        .at("/r/:code", get(pages::room))
        .at("/healthz", get(health::healthz))
        .at("/metrics", get(metrics::scrape))
        .at("/media/:file", get(media::serve))
        .at("/api/rooms/:code/ws", get(ws::upgrade))
        .at("/api/rooms/:code/uploads", tus::collection())
        .at("/api/rooms/:code/uploads/:id", tus::item())
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest("/api", api.into_endpoint().catch_all_error(json_error))
        .nest(state.assets.prefix(), statics)
        .around(admission::members_only)
        .around(guard::same_origin_only)
        .around(identity::identify)
        .around(peer::identify_peer)
        .with(CookieJarManager::with_key(cookie_key))
        // Cluster mode: before anything reads the request, a room owned elsewhere is passed on.
        .around(forward::to_owner)
        // Boxed: each layer nests the endpoint's type, past the compiler's depth limit otherwise.
        .boxed()
        .around(move |next, req| allow::add_allow(next, req, allowed.clone()))
        .around(headers::secure)
        .around(log::log_requests)
        .data(state)
}

/// Errors raised outside our handlers (a malformed body, a bad parameter) get the same JSON shape
/// as ours.
async fn json_error(error: poem::Error) -> Response {
    let status = error.status();
    let response = error.into_response();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let message = response.into_body().into_string().await.unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "bad_content_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let body = serde_json::json!({ "code": code, "message": message });
    (status, poem::web::Json(body)).into_response()
}
