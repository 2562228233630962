//! The sweep of resumable uploads: every so often, uploads past their expiry are deleted, and so
//! are upload files with no row (their room was deleted, or the server stopped between the two).

use std::{collections::HashSet, time::Duration};

use tokio_util::sync::CancellationToken;

use crate::{clock::now_ms, db, state::AppState};

/// How often the sweep runs: a quarter of the expiry, within these bounds.
const SHORTEST: Duration = Duration::from_millis(250);
const LONGEST: Duration = Duration::from_secs(60);

pub fn interval(expiry: Duration) -> Duration {
    (expiry / 4).clamp(SHORTEST, LONGEST)
}

/// Sweeps until `stop` is cancelled.
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(interval(state.config.upload_expiry()));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(error) = sweep(&state).await {
            tracing::warn!(%error, "could not sweep unfinished uploads");
        }
    }
}

async fn sweep(state: &AppState) -> anyhow::Result<()> {
    for id in db::uploads::expired(&state.db, now_ms()).await? {
        // One receiving bytes now is not idle: its expiry moves when the bytes are counted.
        if state.media.partial_busy(&id) {
            continue;
        }
        if db::uploads::delete(&state.db, &id).await? {
            tracing::info!(upload = %id, "deleted an expired upload");
        }
        state.media.remove_partial(&id);
        state.media.forget_lease(&id);
    }
    // The files before the rows: an upload's row is made before its file, so a file listed here
    // has its row in the read that follows. Read the other way round, an upload created between
    // the two reads had its new file deleted as one with no row.
    let files = state.media.partial_ids()?;
    let known: HashSet<String> = db::uploads::ids(&state.db).await?.into_iter().collect();
    for id in files {
        if !known.contains(&id) && !state.media.partial_busy(&id) {
            tracing::info!(upload = %id, "deleted the file of an upload that is gone");
            state.media.remove_partial(&id);
            state.media.forget_lease(&id);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_runs_a_quarter_of_the_expiry_within_bounds() {
        assert_eq!(interval(Duration::from_secs(86_400)), LONGEST);
        assert_eq!(interval(Duration::from_secs(8)), Duration::from_secs(2));
        assert_eq!(interval(Duration::from_millis(10)), SHORTEST);
    }
}
