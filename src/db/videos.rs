//! The `videos` table and the upload counter that numbers video files.

use super::Db;
use crate::room::Video;

/// Takes the next upload number. Numbers are never reused, so a browser never confuses a new
/// video with a cached old one.
pub async fn next_number(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'upload' RETURNING value",
    )
    .fetch_one(db)
    .await
}

/// Makes `video` the room's current video, paused at the start, and forgets the previous one.
/// Returns the previous video's file name, for the caller to delete.
pub async fn replace_room_video(
    db: &Db,
    code: &str,
    video: &Video,
    now: u64,
) -> sqlx::Result<Option<String>> {
    let mut tx = db.begin().await?;
    let previous: Option<(i64, String)> = sqlx::query_as(
        "SELECT v.id, v.file_name FROM rooms r JOIN videos v ON v.id = r.video_id WHERE r.code = ?1",
    )
    .bind(code)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO videos (id, room_code, file_name, original_name, size, mime, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(video.id)
    .bind(code)
    .bind(&video.file_name)
    .bind(&video.original_name)
    .bind(video.size as i64)
    .bind(&video.mime)
    .bind(now as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE rooms SET video_id = ?2, playing = 0, position = 0, state_at = ?3, last_active_at = ?3
         WHERE code = ?1",
    )
    .bind(code)
    .bind(video.id)
    .bind(now as i64)
    .execute(&mut *tx)
    .await?;
    if let Some((id, _)) = &previous {
        sqlx::query("DELETE FROM videos WHERE id = ?1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(previous.map(|(_, file_name)| file_name))
}

/// File names of every registered video: the only files the media route serves.
pub async fn file_names(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT file_name FROM videos")
        .fetch_all(db)
        .await
}
