//! The `videos` table and the upload counter that numbers video files.

use super::Db;
use crate::room::{Video, VideoSource};

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
/// Returns the previous video's file name (when it was an upload), for the caller to delete; None
/// (and nothing written) when there is no such room.
pub async fn replace_room_video(
    db: &Db,
    code: &str,
    video: &Video,
    now: u64,
) -> sqlx::Result<Option<Option<String>>> {
    let mut tx = super::begin_write(db).await?;
    let room: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT r.video_id, v.file_name FROM rooms r LEFT JOIN videos v ON v.id = r.video_id
         WHERE r.code = ?1",
    )
    .bind(code)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((previous_id, previous_file)) = room else {
        return Ok(None);
    };
    let (source, file_name, url) = columns_of(&video.source);
    sqlx::query(
        "INSERT INTO videos (id, room_code, source, file_name, url, original_name, size, mime, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(video.id)
    .bind(code)
    .bind(source)
    .bind(file_name)
    .bind(url)
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
    if let Some(id) = previous_id {
        sqlx::query("DELETE FROM videos WHERE id = ?1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Some(previous_file))
}

/// The `source`, `file_name` and `url` columns of a video.
fn columns_of(source: &VideoSource) -> (&'static str, Option<&str>, Option<&str>) {
    match source {
        VideoSource::File { file_name } => ("file", Some(file_name), None),
        VideoSource::Url { url } => ("url", None, Some(url)),
        VideoSource::YouTube { id } => ("youtube", None, Some(id)),
    }
}

/// Rebuilds a video's source from its columns; None when they do not fit together.
pub(super) fn source_from(
    source: &str,
    file_name: Option<String>,
    url: Option<String>,
) -> Option<VideoSource> {
    match (source, file_name, url) {
        ("file", Some(file_name), _) => Some(VideoSource::File { file_name }),
        ("url", _, Some(url)) => Some(VideoSource::Url { url }),
        ("youtube", _, Some(id)) => Some(VideoSource::YouTube { id }),
        _ => None,
    }
}

/// Every uploaded video's file name with its room's code: the only files the media route serves.
pub async fn files(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT file_name, room_code FROM videos WHERE file_name IS NOT NULL")
        .fetch_all(db)
        .await
}
