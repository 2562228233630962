//! The state every handler shares: cheap-to-clone handles, each wrapping its own `Arc`.

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    assets::Assets, config::Config, db::Db, health::ClusterHealth, hub::Hub, limits::AddressLimits,
    media::MediaStore, metrics::Metrics, processing::Processing,
};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Hub,
    pub media: MediaStore,
    pub assets: Arc<Assets>,
    pub config: Arc<Config>,
    /// Rate limits and caps per client address.
    pub limits: Arc<AddressLimits>,
    /// Cancelled when the server shuts down; sockets and background tasks watch it.
    pub shutdown: CancellationToken,
    /// Every room socket's task (they outlive the HTTP connection they came from), so shutdown
    /// can wait for each to say goodbye before the database closes.
    pub sockets: TaskTracker,
    /// Uploads being made playable (ffprobe/ffmpeg).
    pub processing: Processing,
    /// Counters and gauges for `GET /metrics`.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// The cluster link's health for `GET /healthz`: `Disabled` on a single node (no `redis_url`).
    pub async fn cluster_health(&self) -> ClusterHealth {
        self.hub.redis_health()
    }
}
