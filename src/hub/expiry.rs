//! The expiry sweep: every so often, rooms nobody has been active in for the TTL are deleted with
//! their videos, chat and spots. The sweep only finds candidates in the database; each room's own
//! task decides and deletes, in order with everything else that happens to it.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Hub, HubError};
use crate::{clock::now_ms, db};

pub async fn run(hub: Hub, ttl: Duration, shutdown: CancellationToken) {
    let period = (ttl / 10).clamp(Duration::from_millis(200), Duration::from_secs(600));
    let mut ticker = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(error) = sweep(&hub, ttl).await {
                    tracing::error!(%error, "could not clean up idle rooms");
                }
            }
            () = shutdown.cancelled() => return,
        }
    }
}

async fn sweep(hub: &Hub, ttl: Duration) -> Result<(), HubError> {
    let cutoff = now_ms().saturating_sub(ttl.as_millis() as u64);
    for code in db::rooms::idle_codes(hub.db(), cutoff).await? {
        hub.expire_if_idle(&code, cutoff).await?;
    }
    Ok(())
}
