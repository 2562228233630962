//! The `rooms` table: one row per room, with its current video and last known playback state.

use sqlx::FromRow;

use super::Db;
use crate::room::{Playback, Video};

#[derive(FromRow)]
struct RoomRow {
    name: Option<String>,
    playing: bool,
    position: f64,
    rate: f64,
    state_at: i64,
    video_id: Option<i64>,
    file_name: Option<String>,
    original_name: Option<String>,
    size: Option<i64>,
    mime: Option<String>,
}

/// A room as kept on disk.
pub struct StoredRoom {
    pub name: Option<String>,
    pub video: Option<Video>,
    pub playback: Playback,
}

/// Inserts a new room; returns false when the code is taken.
pub async fn insert(db: &Db, code: &str, now: u64) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO rooms (code, created_at, last_active_at, state_at) VALUES (?1, ?2, ?2, ?2)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn load(db: &Db, code: &str) -> sqlx::Result<Option<StoredRoom>> {
    let row: Option<RoomRow> = sqlx::query_as(
        "SELECT r.name, r.playing, r.position, r.rate, r.state_at, r.video_id,
                v.file_name, v.original_name, v.size, v.mime
         FROM rooms r LEFT JOIN videos v ON v.id = r.video_id
         WHERE r.code = ?1",
    )
    .bind(code)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        let video = match (
            row.video_id,
            row.file_name,
            row.original_name,
            row.size,
            row.mime,
        ) {
            (Some(id), Some(file_name), Some(original_name), Some(size), Some(mime)) => {
                Some(Video {
                    id,
                    file_name,
                    original_name,
                    size: size as u64,
                    mime,
                })
            }
            _ => None,
        };
        StoredRoom {
            name: row.name,
            video,
            playback: Playback {
                playing: row.playing,
                position: row.position,
                rate: row.rate,
                updated_at: row.state_at as u64,
            },
        }
    }))
}

/// Records the room's playback state (written behind, in batches, by the persistence task).
pub async fn save_playback(db: &Db, code: &str, playback: &Playback, now: u64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rooms SET playing = ?2, position = ?3, rate = ?4, state_at = ?5, last_active_at = ?6
         WHERE code = ?1",
    )
    .bind(code)
    .bind(playback.playing)
    .bind(playback.position)
    .bind(playback.rate)
    .bind(playback.updated_at as i64)
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(())
}
