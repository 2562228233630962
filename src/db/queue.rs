//! The `queue` table: the videos waiting their turn in a room, in order. Each is a row of `videos`
//! that the room does not point at yet.

use sqlx::FromRow;

use super::{
    Db,
    videos::{self, VideoRow},
};
use crate::{client::ClientId, room::QueueItem};

#[derive(FromRow)]
struct ItemRow {
    #[sqlx(flatten)]
    video: VideoRow,
    added_by: String,
    added_by_name: Option<String>,
    added_at: i64,
}

/// The room's queue, next first.
pub async fn load(db: &Db, code: &str) -> sqlx::Result<Vec<QueueItem<ClientId>>> {
    let rows: Vec<ItemRow> = sqlx::query_as(
        "SELECT v.id, v.source, v.file_name, v.url, v.original_name, v.size, v.mime,
                v.duration, v.width, v.height, v.codecs, v.poster,
                q.added_by, q.added_by_name, q.added_at
         FROM queue q JOIN videos v ON v.id = q.video_id
         WHERE q.room_code = $1 ORDER BY q.place",
    )
    .bind(code)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(QueueItem {
                video: row.video.into_video()?,
                added_by: ClientId(row.added_by.parse().ok()?),
                added_by_name: row.added_by_name,
                added_at: row.added_at as u64,
            })
        })
        .collect())
}

/// Adds `item` at the end of the room's queue.
pub async fn add(db: &Db, code: &str, item: &QueueItem<ClientId>) -> sqlx::Result<()> {
    let mut tx = super::begin_write(db).await?;
    videos::insert(&mut tx, code, &item.video, item.added_at).await?;
    sqlx::query(
        "INSERT INTO queue (video_id, room_code, place, added_by, added_by_name, added_at)
         VALUES ($1, $2, (SELECT COALESCE(MAX(place), 0) + 1 FROM queue WHERE room_code = $2),
                 $3, $4, $5)",
    )
    .bind(item.video.id)
    .bind(code)
    .bind(item.added_by.to_string())
    .bind(&item.added_by_name)
    .bind(item.added_at as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Takes a video out of the queue (and out of the room); returns its file, for the caller to
/// delete.
pub async fn remove(db: &Db, video_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM videos WHERE id = $1 RETURNING file_name")
        .bind(video_id)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Numbers the room's queue in the order of `ids`.
pub async fn reorder(db: &Db, code: &str, ids: &[i64]) -> sqlx::Result<()> {
    let mut tx = super::begin_write(db).await?;
    for (place, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE queue SET place = $3 WHERE video_id = $1 AND room_code = $2")
            .bind(id)
            .bind(code)
            .bind(place as i64 + 1)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Makes queued video `video_id` the room's current one, paused at the start; the previous one
/// goes. Returns the previous video's file (for the caller to delete); None when there is no such
/// room.
pub async fn promote(
    db: &Db,
    code: &str,
    video_id: i64,
    now: u64,
) -> sqlx::Result<Option<Option<String>>> {
    let mut tx = super::begin_write(db).await?;
    let Some((previous_id, previous_file)) = videos::current(&mut tx, code).await? else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM queue WHERE video_id = $1")
        .bind(video_id)
        .execute(&mut *tx)
        .await?;
    videos::point_room_at(&mut tx, code, video_id, previous_id, now).await?;
    tx.commit().await?;
    Ok(Some(previous_file))
}
