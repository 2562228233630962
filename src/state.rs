//! The state every handler shares: cheap-to-clone handles, each wrapping its own `Arc`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::{config::Config, db::Db, http::pages::Assets, hub::Hub, media::MediaStore};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Hub,
    pub media: MediaStore,
    pub assets: Arc<Assets>,
    pub config: Arc<Config>,
    /// Cancelled when the server shuts down; sockets and background tasks watch it.
    pub shutdown: CancellationToken,
}
