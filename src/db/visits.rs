//! The `visits` table: which rooms each client was in lately, for the landing page.

use super::Db;
use crate::client::ClientId;

pub async fn record(db: &Db, client: ClientId, code: &str, now: u64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO visits (client_id, room_code, visited_at) VALUES ($1, $2, $3)
         ON CONFLICT (client_id, room_code) DO UPDATE SET visited_at = excluded.visited_at",
    )
    .bind(client.to_string())
    .bind(code)
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(())
}

/// The client's rooms, most recent first: (code, room name, visited at).
pub async fn recent(
    db: &Db,
    client: ClientId,
    limit: u32,
) -> sqlx::Result<Vec<(String, Option<String>, i64)>> {
    sqlx::query_as(
        "SELECT v.room_code, r.name, v.visited_at FROM visits v JOIN rooms r ON r.code = v.room_code
         WHERE v.client_id = $1 ORDER BY v.visited_at DESC LIMIT $2",
    )
    .bind(client.to_string())
    .bind(i64::from(limit))
    .fetch_all(db)
    .await
}
