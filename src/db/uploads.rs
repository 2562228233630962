//! The `uploads` table: resumable uploads not finished yet (their bytes are in the media folder).

use sqlx::FromRow;

use super::Db;

#[derive(Debug, Clone, FromRow)]
pub struct StoredUpload {
    pub id: String,
    pub room_code: String,
    pub client_id: String,
    pub length: i64,
    pub received: i64,
    pub original_name: String,
    #[sqlx(try_from = "super::Flag")]
    pub queue: bool,
    pub expires_at: i64,
}

/// Records a new upload with nothing received yet. Fails with a foreign-key error when the room
/// does not exist.
pub async fn insert(db: &Db, upload: &StoredUpload) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO uploads (id, room_code, client_id, length, received, original_name, queue, expires_at)
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7)",
    )
    .bind(&upload.id)
    .bind(&upload.room_code)
    .bind(&upload.client_id)
    .bind(upload.length)
    .bind(&upload.original_name)
    .bind(upload.queue)
    .bind(upload.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> sqlx::Result<Option<StoredUpload>> {
    sqlx::query_as("SELECT * FROM uploads WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Notes how many bytes count now and when the upload expires; false when the row is gone.
pub async fn set_received(db: &Db, id: &str, received: u64, expires_at: u64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE uploads SET received = $2, expires_at = $3 WHERE id = $1")
        .bind(id)
        .bind(received as i64)
        .bind(expires_at as i64)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets an upload; false when it was gone already.
pub async fn delete(db: &Db, id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Unfinished uploads a client holds, in every room.
pub async fn count_for_client(db: &Db, client_id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(db)
        .await
}

/// Uploads whose expiry time is before `now`.
pub async fn expired(db: &Db, now: u64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM uploads WHERE expires_at < $1")
        .bind(now as i64)
        .fetch_all(db)
        .await
}

/// Every upload's id.
pub async fn ids(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM uploads")
        .fetch_all(db)
        .await
}
