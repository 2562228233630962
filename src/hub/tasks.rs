//! Background tasks over all live rooms: handing on the host role, and writing playback state to the
//! database behind the sockets' backs (a seek never waits for a disk write).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Hub;
use crate::{clock::now_ms, db};

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
