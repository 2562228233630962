//! One log line per request: method, path, status and time taken.

use std::{sync::Arc, time::Instant};

use poem::{Endpoint, IntoResponse, Request, Response, Result};

pub async fn log_requests<E: Endpoint>(next: Arc<E>, req: Request) -> Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let result = next.call(req).await.map(IntoResponse::into_response);
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.status(),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(%method, %path, status = status.as_u16(), ms, "request");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), ms, "request");
    }
    result
}
