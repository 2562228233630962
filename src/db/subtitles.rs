//! The `subtitles` table: each video's tracks, with their WebVTT text. Rows go with their video's
//! (`ON DELETE CASCADE`).

use super::Db;
use crate::{
    client::ClientId,
    subtitles::{NewTrack, Track},
};

/// Stores `track` for video `video_id`; returns its ID.
pub async fn insert(
    db: &Db,
    video_id: i64,
    track: &NewTrack,
    added_by: Option<ClientId>,
    now: u64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO subtitles (video_id, label, language, added_by, vtt, added_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(video_id)
    .bind(&track.label)
    .bind(&track.language)
    .bind(added_by.map(|client| client.to_string()))
    .bind(&track.vtt)
    .bind(now as i64)
    .fetch_one(db)
    .await
}

/// The tracks of video `video_id`, oldest first, without their text.
pub async fn list(db: &Db, video_id: i64) -> sqlx::Result<Vec<Track>> {
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, label, language, added_by FROM subtitles WHERE video_id = $1 ORDER BY id",
    )
    .bind(video_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, label, language, added_by)| Track {
            id,
            label,
            language,
            added_by: added_by.and_then(|id| id.parse().ok()).map(ClientId),
        })
        .collect())
}

/// The WebVTT text of track `id` of a video in room `code`; None when there is no such track.
pub async fn text(db: &Db, code: &str, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT s.vtt FROM subtitles s JOIN videos v ON v.id = s.video_id
         WHERE s.id = $1 AND v.room_code = $2",
    )
    .bind(id)
    .bind(code)
    .fetch_optional(db)
    .await
}

/// Deletes track `id`; false when there was none.
pub async fn delete(db: &Db, id: i64) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM subtitles WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(deleted.rows_affected() > 0)
}
