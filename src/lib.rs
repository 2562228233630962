//! Goblet: a self-hosted watch-party server.
//!
//! Map of the modules, from the bottom up (each uses only those above it):
//! - [`room`]: pure room logic (viewers, host, playback, chat rules, links): no I/O, no clock.
//! - [`client`], [`clock`], [`config`]: client IDs, the server clock, typed configuration.
//! - [`health`], [`metrics`]: what `GET /healthz` says, and the counters for `GET /metrics`.
//! - [`subtitles`]: subtitle files checked and made WebVTT, and those inside uploaded videos.
//! - [`cluster`]: nodes joined over Redis (leases, published broadcasts, requests between nodes).
//! - [`db`]: the database (SQLite, or PostgreSQL); [`media`]: the media folder (uploads, sniffing, byte ranges);
//!   [`assets`]: the browser client's files.
//! - [`view`], [`protocol`]: what clients see of a room, and the socket messages.
//! - [`hub`]: live rooms, each owned by one task that applies its commands in order.
//! - [`processing`]: uploads browsers cannot play, probed and converted to MP4 in the background.
//! - [`ws`]: each socket's loop; [`identity`]: client IDs in signed cookies; [`http`]: the accept
//!   loop, routes, the REST API (OpenAPI), media streaming and pages.
//!
//! `docs/architecture.md` follows a seek and an upload through these layers.
#![forbid(unsafe_code)]

pub mod assets;
pub mod client;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod hub;
pub mod identity;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod password;
pub mod processing;
pub mod protocol;
pub mod room;
pub mod state;
pub mod subtitles;
pub mod telemetry;
pub mod view;
pub mod ws;

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    assets::Assets,
    config::Config,
    hub::{Hub, HubSettings},
    limits::AddressLimits,
    media::MediaStore,
    metrics::Metrics,
    processing::Processing,
    state::AppState,
};

/// How long in-flight requests (uploads, streams) get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long sockets get to send their "going away" close at shutdown.
const SOCKETS_GRACE: Duration = Duration::from_secs(5);

/// Runs the server on `listener` until `shutdown` completes, then closes sockets with "going
/// away", lets requests finish, saves every room's state and closes the database.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "while creating the data folder {}",
            config.data_dir.display()
        )
    })?;
    let cookie_key = identity::load_or_create_key(config.cookie_key.expose(), &config.data_dir)
        .context("while loading the cookie key")?;
    let db = db::open(config.database_url.expose(), &config.data_dir).await?;
    let known_videos = db::videos::files(&db)
        .await
        .context("while listing videos")?;
    let media = MediaStore::open(&config.media_dir, known_videos)?;
    let assets = Assets::load(&config.assets_dir).with_context(|| {
        format!(
            "while reading the assets folder {}",
            config.assets_dir.display()
        )
    })?;
    let token = CancellationToken::new();
    let limits = Arc::new(AddressLimits::from_config(&config));
    let protected = db::rooms::protected_codes(&db)
        .await
        .context("while listing the rooms with a password")?;
    let metrics = Arc::new(Metrics::new());
    let hub = Hub::new(
        db.clone(),
        media.clone(),
        HubSettings::from_config(&config),
        limits.clone(),
        protected.into_iter().collect(),
        metrics.clone(),
    );
    if !config.redis_url.expose().is_empty() {
        let (cluster, incoming) =
            cluster::Cluster::connect(&config, token.clone(), metrics.clone()).await?;
        hub.join_cluster(cluster, incoming);
    }
    let sockets = TaskTracker::new();
    let processing = Processing::new(&config, db.clone(), media.clone(), hub.clone());
    let state = AppState {
        db: db.clone(),
        hub: hub.clone(),
        processing: processing.clone(),
        media,
        assets: Arc::new(assets),
        config: Arc::new(config),
        limits: limits.clone(),
        shutdown: token.clone(),
        sockets: sockets.clone(),
        metrics,
    };
    let expire = tokio::spawn(hub::expiry::run(
        hub.clone(),
        state.config.room_ttl(),
        token.clone(),
    ));
    let forget = tokio::spawn(limits::forget_idle_addresses(limits, token.clone()));
    let sweep_uploads = tokio::spawn(http::tus::sweep::run(state.clone(), token.clone()));

    let address = listener
        .local_addr()
        .context("while preparing the listener")?;
    tracing::info!(%address, "goblet is listening");

    let signal_token = token.clone();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down");
        // Sockets never end by themselves: tell them before the server waits for connections.
        signal_token.cancel();
    };
    let limits = http::server::Limits::from_config(&state.config);
    let app = http::routes(state, cookie_key);
    let served = http::server::serve(listener, app, signal, SHUTDOWN_GRACE, limits).await;
    token.cancel();
    // Sockets were told with the signal; each leaves its room after sending its close.
    sockets.close();
    if tokio::time::timeout(SOCKETS_GRACE, sockets.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = sockets.len(),
            "sockets still open after the grace period"
        );
    }
    let _ = expire.await;
    let _ = forget.await;
    let _ = sweep_uploads.await;
    // Conversions stop (their files deleted) before the rooms they would report to.
    processing.stop().await;
    // Rooms save their playback state as they stop; only then may the database close.
    hub.stop().await;
    db.close().await;
    tracing::info!("stopped");
    served.context("while serving")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
