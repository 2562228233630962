//! `GET /healthz` for a supervisor or a load balancer: 200 while this node serves; 503 once
//! shutdown has begun (so traffic moves elsewhere while open requests finish) or while its
//! database does not answer. The body says which (`health.rs` decides). Not part of the REST API.

use std::time::Duration;

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Json},
};

use crate::{
    db::Db,
    health::{ClusterHealth, Health, Reach},
    state::AppState,
};

/// A database that takes longer than this for a one-row read counts as unreachable: a balancer
/// polls every few seconds and should not wait on a stuck disk or a lost database server.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

#[handler]
pub async fn healthz(Data(state): Data<&AppState>) -> Response {
    let stopping = state.shutdown.is_cancelled();
    answer(&state.db, stopping, state.cluster_health()).await
}

async fn answer(
    db: &Db,
    shutting_down: bool,
    redis: impl Future<Output = ClusterHealth>,
) -> Response {
    let (database, redis) = tokio::join!(database(db), redis);
    let health = Health::of(shutting_down, database, redis);
    let status = match health.serving() {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(health)).into_response()
}

/// Reads a row of a real table (a bare `SELECT 1` would not touch the database file at all).
async fn database(db: &Db) -> Reach {
    let read = sqlx::query("SELECT 1 FROM rooms LIMIT 1").fetch_optional(db);
    match tokio::time::timeout(DATABASE_TIMEOUT, read).await {
        Ok(Ok(_)) => Reach::Ok,
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: the database failed");
            Reach::Unreachable
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer in time");
            Reach::Unreachable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> serde_json::Value {
        serde_json::from_str(&response.into_body().into_string().await.unwrap()).unwrap()
    }

    /// The integration tests see the 200; a closed pool is how a database that went away looks
    /// to the server, and no request from outside can close it.
    #[tokio::test]
    async fn a_database_that_does_not_answer_makes_the_node_answer_503() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open("", dir.path()).await.unwrap();
        let redis = || async { ClusterHealth::Disabled };
        let response = answer(&db, false, redis()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body(response).await["database"], "ok");

        db.close().await;
        let response = answer(&db, false, redis()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body(response).await,
            serde_json::json!({"status": "degraded", "database": "unreachable", "redis": "disabled"})
        );
    }
}
