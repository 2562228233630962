//! The HTML pages: the landing page and a room's page (its own 404 page for an unknown room).

use poem::{
    IntoResponse, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use crate::{assets::Assets, state::AppState};

async fn page(assets: &Assets, name: &str, status: StatusCode) -> Response {
    match assets.page(name).await {
        Ok(html) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(html),
        Err(error) => {
            tracing::error!(page = name, %error, "could not read a page from the assets folder");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the assets folder is incomplete",
            )
                .into_response()
        }
    }
}

#[handler]
pub async fn landing(Data(state): Data<&AppState>) -> Response {
    page(&state.assets, "index.html", StatusCode::OK).await
}

#[handler]
pub async fn room(Path(code): Path<String>, Data(state): Data<&AppState>) -> Response {
    match state.hub.exists(&code).await {
        Ok(true) => page(&state.assets, "room.html", StatusCode::OK).await,
        Ok(false) => page(&state.assets, "not-found.html", StatusCode::NOT_FOUND).await,
        Err(error) => {
            tracing::error!(%error, "could not look up a room");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
