//! Goblet: a self-hosted watch-party server.
//!
//! Map of the modules:
//! - [`config`]: typed configuration from defaults, `config.toml` and `GOBLET_*` variables.
//! - [`identity`]: client IDs in signed cookies.
//! - [`room`]: pure room logic (viewers, host, playback), unit-tested with explicit times.
//! - [`hub`]: live rooms, their broadcast channels and background tasks.
//! - [`ws`]: the socket protocol and each socket's loop.
//! - [`http`]: routes, the REST API (OpenAPI), media streaming and pages.
//! - [`media`]: the media folder: streamed uploads, container sniffing, byte ranges.
//! - [`db`]: the SQLite database.
#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod hub;
pub mod identity;
pub mod media;
pub mod room;
pub mod state;
pub mod telemetry;
pub mod view;
pub mod ws;

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::{
    config::Config,
    http::pages::Assets,
    hub::{ChatRate, Hub},
    media::MediaStore,
    state::AppState,
};

/// How long in-flight requests (uploads, streams) get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the server on `listener` until `shutdown` completes, then closes sockets with "going
/// away", saves playback state and closes the database.
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
    let cookie_key = identity::load_or_create_key(&config.cookie_key, &config.data_dir)
        .context("while loading the cookie key")?;
    let db = db::open(&config.data_dir).await?;
    let known_videos = db::videos::file_names(&db)
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
    let state = AppState {
        db: db.clone(),
        hub: Hub::new(
            db.clone(),
            ChatRate {
                messages: config.chat_rate_messages,
                window: Duration::from_secs(config.chat_rate_secs),
            },
        ),
        media,
        assets: Arc::new(assets),
        config: Arc::new(config),
        shutdown: token.clone(),
    };

    let host_check = tokio::spawn(hub::tasks::host_check(
        state.hub.clone(),
        state.config.host_check_period(),
        token.clone(),
    ));
    let persist = tokio::spawn(hub::tasks::persist_playback(
        state.hub.clone(),
        token.clone(),
    ));
    let expire = tokio::spawn(hub::tasks::expire_rooms(
        state.hub.clone(),
        state.media.clone(),
        state.config.room_ttl(),
        token.clone(),
    ));

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
    let app = http::routes(state, cookie_key);
    let served = http::server::serve(listener, app, signal, SHUTDOWN_GRACE).await;
    token.cancel();
    let _ = host_check.await;
    let _ = persist.await;
    let _ = expire.await;
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
