//! The `rooms` table: one row per room, with its current video and last known playback state.

use sqlx::FromRow;

use super::Db;
use std::net::IpAddr;

use crate::{
    client::ClientId,
    room::{Controls, Kick, Playback, Settings, Video},
};

#[derive(FromRow)]
struct RoomRow {
    name: Option<String>,
    owner_id: Option<String>,
    controls: String,
    max_viewers: Option<i64>,
    password_hash: Option<String>,
    #[sqlx(try_from = "super::Flag")]
    playing: bool,
    position: f64,
    rate: f64,
    state_at: i64,
    video_id: Option<i64>,
    source: Option<String>,
    file_name: Option<String>,
    url: Option<String>,
    original_name: Option<String>,
    size: Option<i64>,
    mime: Option<String>,
    #[sqlx(flatten)]
    info: super::videos::InfoColumns,
}

/// A room as kept on disk.
pub struct StoredRoom {
    pub name: Option<String>,
    pub video: Option<Video>,
    pub playback: Playback,
    pub owner: Option<ClientId>,
    pub settings: Settings,
    /// The password's Argon2 hash, when the room has one.
    pub password: Option<String>,
    /// Clients who may enter a password room.
    pub members: Vec<ClientId>,
    /// Kicked clients still out at load time.
    pub kicks: Vec<(ClientId, Kick)>,
}

/// Inserts a new room owned by `owner`; returns false when the code is taken.
pub async fn insert(db: &Db, code: &str, owner: ClientId, now: u64) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO rooms (code, owner_id, created_at, last_active_at, state_at)
         VALUES ($1, $2, $3, $3, $3)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(code)
    .bind(owner.to_string())
    .bind(now as i64)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The room with this code as of `now` (kicks that ran out are left behind).
pub async fn load(db: &Db, code: &str, now: u64) -> sqlx::Result<Option<StoredRoom>> {
    let kicks: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT client_id, address, until FROM kicks WHERE room_code = $1 AND until > $2",
    )
    .bind(code)
    .bind(now as i64)
    .fetch_all(db)
    .await?;
    let members: Vec<String> =
        sqlx::query_scalar("SELECT client_id FROM members WHERE room_code = $1")
            .bind(code)
            .fetch_all(db)
            .await?;
    let row: Option<RoomRow> = sqlx::query_as(
        "SELECT r.name, r.owner_id, r.controls, r.max_viewers, r.password_hash,
                r.playing, r.position, r.rate, r.state_at, r.video_id,
                v.source, v.file_name, v.url, v.original_name, v.size, v.mime,
                v.duration, v.width, v.height, v.codecs, v.poster
         FROM rooms r LEFT JOIN videos v ON v.id = r.video_id
         WHERE r.code = $1",
    )
    .bind(code)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        let source = row
            .source
            .as_deref()
            .and_then(|source| super::videos::source_from(source, row.file_name, row.url));
        let video = match (row.video_id, source, row.original_name, row.size, row.mime) {
            (Some(id), Some(source), Some(original_name), Some(size), Some(mime)) => Some(Video {
                id,
                source,
                original_name,
                size: size as u64,
                mime,
                info: row.info.into_info(),
            }),
            _ => None,
        };
        StoredRoom {
            name: row.name,
            owner: row.owner_id.as_deref().and_then(parse_client),
            settings: Settings {
                controls: Controls::parse(&row.controls).unwrap_or(Controls::Everyone),
                max_viewers: row.max_viewers.and_then(|max| u32::try_from(max).ok()),
            },
            password: row.password_hash,
            members: members.iter().filter_map(|id| parse_client(id)).collect(),
            kicks: kicks
                .into_iter()
                .filter_map(|(client, address, until)| {
                    let kick = Kick {
                        until: until as u64,
                        address: address.and_then(|address| address.parse().ok()),
                    };
                    Some((parse_client(&client)?, kick))
                })
                .collect(),
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

fn parse_client(text: &str) -> Option<ClientId> {
    text.parse().ok().map(ClientId)
}

pub async fn set_owner(db: &Db, code: &str, owner: ClientId) -> sqlx::Result<()> {
    sqlx::query("UPDATE rooms SET owner_id = $2 WHERE code = $1")
        .bind(code)
        .bind(owner.to_string())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn save_settings(db: &Db, code: &str, settings: &Settings) -> sqlx::Result<()> {
    sqlx::query("UPDATE rooms SET controls = $2, max_viewers = $3 WHERE code = $1")
        .bind(code)
        .bind(settings.controls.as_str())
        .bind(settings.max_viewers.map(i64::from))
        .execute(db)
        .await?;
    Ok(())
}

/// Keeps `client` (and in a password room its address) out of the room until `kick.until`; a
/// kicked client is no member any more.
pub async fn save_kick(db: &Db, code: &str, client: ClientId, kick: Kick) -> sqlx::Result<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query(
        "INSERT INTO kicks (room_code, client_id, address, until) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room_code, client_id)
         DO UPDATE SET address = excluded.address, until = excluded.until",
    )
    .bind(code)
    .bind(client.to_string())
    .bind(kick.address.map(|address: IpAddr| address.to_string()))
    .bind(kick.until as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM members WHERE room_code = $1 AND client_id = $2")
        .bind(code)
        .bind(client.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Sets (a hash) or clears the room's password; `members` (the people watching) may enter
/// without giving it. Clearing it forgets the members.
pub async fn save_password(
    db: &Db,
    code: &str,
    hash: Option<&str>,
    members: &[ClientId],
) -> sqlx::Result<()> {
    let mut tx = super::begin_write(db).await?;
    sqlx::query("UPDATE rooms SET password_hash = $2 WHERE code = $1")
        .bind(code)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    if hash.is_none() {
        sqlx::query("DELETE FROM members WHERE room_code = $1")
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    for member in members {
        add_member_in(&mut tx, code, *member).await?;
    }
    tx.commit().await
}

/// `client` may enter the password room from now on.
pub async fn add_member(db: &Db, code: &str, client: ClientId) -> sqlx::Result<()> {
    let mut connection = db.acquire().await?;
    add_member_in(&mut connection, code, client).await
}

async fn add_member_in(
    connection: &mut super::Connection,
    code: &str,
    client: ClientId,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO members (room_code, client_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(code)
    .bind(client.to_string())
    .execute(connection)
    .await?;
    Ok(())
}

/// Records the room's playback state (written behind, in batches, by the persistence task).
pub async fn save_playback(db: &Db, code: &str, playback: &Playback, now: u64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE rooms SET playing = $2, position = $3, rate = $4, state_at = $5, last_active_at = $6
         WHERE code = $1",
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

pub async fn set_name(db: &Db, code: &str, name: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE rooms SET name = $2 WHERE code = $1")
        .bind(code)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes that someone was watching the room at `now`.
pub async fn touch(db: &Db, code: &str, now: u64) -> sqlx::Result<()> {
    sqlx::query("UPDATE rooms SET last_active_at = $2 WHERE code = $1")
        .bind(code)
        .bind(now as i64)
        .execute(db)
        .await?;
    Ok(())
}

/// Codes of the rooms that have a password.
pub async fn protected_codes(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT code FROM rooms WHERE password_hash IS NOT NULL")
        .fetch_all(db)
        .await
}

/// Codes of rooms nobody has been active in since `cutoff`.
pub async fn idle_codes(db: &Db, cutoff: u64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT code FROM rooms WHERE last_active_at < $1")
        .bind(cutoff as i64)
        .fetch_all(db)
        .await
}

/// Whether the room exists and nobody has been active in it since `cutoff`.
pub async fn is_idle(db: &Db, code: &str, cutoff: u64) -> sqlx::Result<bool> {
    let idle: Option<String> =
        sqlx::query_scalar("SELECT code FROM rooms WHERE code = $1 AND last_active_at < $2")
            .bind(code)
            .bind(cutoff as i64)
            .fetch_optional(db)
            .await?;
    Ok(idle.is_some())
}

/// Deletes a room with its messages, spots and visits; returns the file names of its uploads,
/// for the caller to delete.
pub async fn delete(db: &Db, code: &str) -> sqlx::Result<Vec<String>> {
    let mut tx = super::begin_write(db).await?;
    let files: Vec<String> = sqlx::query_scalar(
        "SELECT file_name FROM videos WHERE room_code = $1 AND file_name IS NOT NULL",
    )
    .bind(code)
    .fetch_all(&mut *tx)
    .await?;
    // The room first: its video reference would otherwise hold the video row.
    sqlx::query("DELETE FROM rooms WHERE code = $1")
        .bind(code)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM videos WHERE room_code = $1")
        .bind(code)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(files)
}
