//! The `videos` table and the upload counter that numbers video files.

use super::Db;
use crate::room::{Video, VideoInfo, VideoSource};

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
    let Some((previous_id, previous_file)) = current(&mut tx, code).await? else {
        return Ok(None);
    };
    insert(&mut tx, code, video, now).await?;
    point_room_at(&mut tx, code, video.id, previous_id, now).await?;
    tx.commit().await?;
    Ok(Some(previous_file))
}

/// Stores `video` as one of the room's (current or queued).
pub(super) async fn insert(
    connection: &mut super::Connection,
    code: &str,
    video: &Video,
    now: u64,
) -> sqlx::Result<()> {
    let (source, file_name, url) = columns_of(&video.source);
    sqlx::query(
        "INSERT INTO videos (id, room_code, source, file_name, url, original_name, size, mime, created_at,
                             duration, width, height, codecs, poster)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
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
    .bind(super::OptionalF64(video.info.duration))
    .bind(video.info.width.map(i64::from))
    .bind(video.info.height.map(i64::from))
    .bind(&video.info.codecs)
    .bind(&video.info.poster)
    .execute(connection)
    .await?;
    Ok(())
}

/// Makes video `video_id` the room's current one, paused at the start, and deletes the row of
/// the one before (`previous_id`).
pub(super) async fn point_room_at(
    connection: &mut super::Connection,
    code: &str,
    video_id: i64,
    previous_id: Option<i64>,
    now: u64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rooms SET video_id = $2, playing = FALSE, position = 0, state_at = $3, last_active_at = $3
         WHERE code = $1",
    )
    .bind(code)
    .bind(video_id)
    .bind(now as i64)
    .execute(&mut *connection)
    .await?;
    if let Some(id) = previous_id {
        sqlx::query("DELETE FROM videos WHERE id = $1")
            .bind(id)
            .execute(connection)
            .await?;
    }
    Ok(())
}

/// The room's current video's ID and file name, read in `connection`'s transaction; None when
/// there is no such room.
pub(super) async fn current(
    connection: &mut super::Connection,
    code: &str,
) -> sqlx::Result<Option<(Option<i64>, Option<String>)>> {
    sqlx::query_as(
        "SELECT r.video_id, v.file_name FROM rooms r LEFT JOIN videos v ON v.id = r.video_id
         WHERE r.code = $1",
    )
    .bind(code)
    .fetch_optional(connection)
    .await
}

/// The `source`, `file_name` and `url` columns of a video.
fn columns_of(source: &VideoSource) -> (&'static str, Option<&str>, Option<&str>) {
    match source {
        VideoSource::File { file_name } => ("file", Some(file_name), None),
        VideoSource::Url { url } => ("url", None, Some(url)),
        VideoSource::YouTube { id } => ("youtube", None, Some(id)),
    }
}

/// A video row as read, for rebuilding a [`Video`].
#[derive(sqlx::FromRow)]
pub(super) struct VideoRow {
    pub id: i64,
    pub source: String,
    pub file_name: Option<String>,
    pub url: Option<String>,
    pub original_name: String,
    pub size: i64,
    pub mime: String,
    #[sqlx(flatten)]
    pub info: InfoColumns,
}

/// The columns of a [`VideoInfo`].
#[derive(sqlx::FromRow, Default)]
pub(super) struct InfoColumns {
    pub duration: Option<f64>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub codecs: Option<String>,
    pub poster: Option<String>,
}

impl InfoColumns {
    pub fn into_info(self) -> VideoInfo {
        VideoInfo {
            duration: self.duration,
            width: self.width.and_then(|width| u32::try_from(width).ok()),
            height: self.height.and_then(|height| u32::try_from(height).ok()),
            codecs: self.codecs,
            poster: self.poster,
        }
    }
}

impl VideoRow {
    pub fn into_video(self) -> Option<Video> {
        Some(Video {
            id: self.id,
            source: source_from(&self.source, self.file_name, self.url)?,
            original_name: self.original_name,
            size: self.size as u64,
            mime: self.mime,
            info: self.info.into_info(),
        })
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

/// The room of the uploaded video stored as `file_name` (or whose poster is `file_name`, named
/// after the video's number): another node registered it (cluster mode).
pub async fn room_of_file(db: &Db, file_name: &str) -> sqlx::Result<Option<String>> {
    let video_like = match file_name.strip_suffix(".jpg") {
        Some(stem) => format!("{stem}.%"),
        None => file_name.to_string(),
    };
    sqlx::query_scalar("SELECT room_code FROM videos WHERE file_name = $1 OR file_name LIKE $2")
        .bind(file_name)
        .bind(video_like)
        .fetch_optional(db)
        .await
}

/// Every uploaded video's file name with its room's code: the only files the media route serves.
pub async fn files(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT file_name, room_code FROM videos WHERE file_name IS NOT NULL")
        .fetch_all(db)
        .await
}
