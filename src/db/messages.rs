//! The `messages` table: each room's chat.

use sqlx::FromRow;

use super::Db;
use crate::client::ClientId;

#[derive(Debug, Clone, FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub client_id: String,
    pub name: Option<String>,
    pub text: String,
    pub sent_at: i64,
}

/// Stores a message; returns its ID.
pub async fn insert(
    db: &Db,
    code: &str,
    client: ClientId,
    name: Option<&str>,
    text: &str,
    now: u64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO messages (room_code, client_id, name, text, sent_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(code)
    .bind(client.to_string())
    .bind(name)
    .bind(text)
    .bind(now as i64)
    .fetch_one(db)
    .await
}

/// Up to `limit` messages older than `before` (or the newest), oldest first.
pub async fn page(
    db: &Db,
    code: &str,
    before: Option<i64>,
    limit: u32,
) -> sqlx::Result<Vec<StoredMessage>> {
    let mut newest_first: Vec<StoredMessage> = sqlx::query_as(
        "SELECT id, client_id, name, text, sent_at FROM messages
         WHERE room_code = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(code)
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    newest_first.reverse();
    Ok(newest_first)
}
