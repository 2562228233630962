//! The `spots` table: where each client stopped in a room's video, to resume later.

use super::Db;
use crate::client::ClientId;

pub async fn save(
    db: &Db,
    code: &str,
    client: ClientId,
    video_id: i64,
    position: f64,
    now: u64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO spots (room_code, client_id, video_id, position, saved_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_code, client_id, video_id)
         DO UPDATE SET position = excluded.position, saved_at = excluded.saved_at",
    )
    .bind(code)
    .bind(client.to_string())
    .bind(video_id)
    .bind(position)
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(())
}

/// The saved position and when it was saved (ms since the Unix epoch).
pub async fn get(
    db: &Db,
    code: &str,
    client: ClientId,
    video_id: i64,
) -> sqlx::Result<Option<(f64, u64)>> {
    let row: Option<(f64, i64)> = sqlx::query_as(
        "SELECT position, saved_at FROM spots WHERE room_code = $1 AND client_id = $2 AND video_id = $3",
    )
    .bind(code)
    .bind(client.to_string())
    .bind(video_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(position, saved_at)| (position, saved_at as u64)))
}
