//! Background tasks over all live rooms: handing on the host role, and writing playback state to the
//! database behind the sockets' backs (a seek never waits for a disk write).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Hub;
use crate::{clock::now_ms, db, media::MediaStore};

/// How often changed playback state is written to the database.
const PERSIST_PERIOD: Duration = Duration::from_secs(1);

/// Every `period`, makes the longest-connected viewer host in each room whose host has gone.
pub async fn host_check(hub: Hub, period: Duration, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                for room in hub.loaded() {
                    room.reassign_host_if_gone();
                }
            }
            _ = shutdown.cancelled() => return,
        }
    }
}

/// Writes changed playback state every [`PERSIST_PERIOD`], and once more at shutdown.
pub async fn persist_playback(hub: Hub, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(PERSIST_PERIOD);
    loop {
        tokio::select! {
            _ = ticker.tick() => flush_playback(&hub).await,
            _ = shutdown.cancelled() => {
                flush_playback(&hub).await;
                return;
            }
        }
    }
}

pub async fn flush_playback(hub: &Hub) {
    for room in hub.loaded() {
        if !room.take_playback_dirty() {
            continue;
        }
        let playback = room.with(|state| state.playback);
        if let Err(error) = db::rooms::save_playback(&hub.db, &room.code, &playback, now_ms()).await
        {
            tracing::error!(room = %room.code, %error, "could not save playback state");
            room.mark_playback_dirty();
        }
    }
}

/// Every so often, deletes rooms nobody has watched for `ttl`, with their videos, chat and spots.
pub async fn expire_rooms(hub: Hub, media: MediaStore, ttl: Duration, shutdown: CancellationToken) {
    let period = (ttl / 10).clamp(Duration::from_millis(200), Duration::from_secs(600));
    let mut ticker = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(error) = expire_idle_rooms(&hub, &media, ttl).await {
                    tracing::error!(%error, "could not clean up idle rooms");
                }
            }
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn expire_idle_rooms(hub: &Hub, media: &MediaStore, ttl: Duration) -> sqlx::Result<()> {
    let now = now_ms();
    // A room being watched is active now, however long its viewers have been there.
    for room in hub.loaded() {
        if room.with(|state| state.viewer_count()) > 0 {
            db::rooms::touch(&hub.db, &room.code, now).await?;
        }
    }
    let cutoff = now.saturating_sub(ttl.as_millis() as u64);
    for code in db::rooms::idle_since(&hub.db, cutoff).await? {
        let files = db::rooms::delete(&hub.db, &code).await?;
        hub.unload(&code);
        for file in files {
            media.remove(&file);
        }
        tracing::info!(room = %code, "deleted a room nobody watched");
    }
    Ok(())
}
