//! The HTML pages and the browser client's static files. Pages are read from `assets/` on each
//! request with `{{static}}` replaced by a prefix that carries a hash of the assets, so the files
//! under it can be cached for a year and a new release is fetched at once.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    path::{Path as FsPath, PathBuf},
};

use poem::{
    IntoResponse, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use crate::state::AppState;

const STATIC_MARKER: &str = "{{static}}";
/// Without this file the player cannot work: `install.sh` puts it there.
const VIDEOJS_FILE: &str = "videojs/video.min.js";

pub struct Assets {
    dir: PathBuf,
    version: String,
}

impl Assets {
    pub fn load(dir: &FsPath) -> std::io::Result<Self> {
        let mut hasher = DefaultHasher::new();
        hash_tree(dir, &mut hasher)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            version: format!("{:016x}", hasher.finish()),
        })
    }

    pub fn dir(&self) -> &FsPath {
        &self.dir
    }

    /// The URL prefix the static files are served under, e.g. `/static/3f9a1c2e5d6b7a80`.
    pub fn prefix(&self) -> String {
        format!("/static/{}", self.version)
    }

    async fn page(&self, name: &str, status: StatusCode) -> Response {
        let page = if self.dir.join(VIDEOJS_FILE).is_file() {
            name
        } else {
            "setup-needed.html"
        };
        match tokio::fs::read_to_string(self.dir.join(page)).await {
            Ok(html) => Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-cache")
                .body(html.replace(STATIC_MARKER, &self.prefix())),
            Err(error) => {
                tracing::error!(page, %error, "could not read a page from the assets folder");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the assets folder is incomplete",
                )
                    .into_response()
            }
        }
    }
}

/// Hashes file names and contents in a stable order.
fn hash_tree(dir: &FsPath, hasher: &mut DefaultHasher) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        entry.file_name().hash(hasher);
        if entry.file_type()?.is_dir() {
            hash_tree(&path, hasher)?;
        } else {
            std::fs::read(&path)?.hash(hasher);
        }
    }
    Ok(())
}

#[handler]
pub async fn landing(Data(state): Data<&AppState>) -> Response {
    state.assets.page("index.html", StatusCode::OK).await
}

#[handler]
pub async fn room(Path(code): Path<String>, Data(state): Data<&AppState>) -> Response {
    match state.hub.get(&code).await {
        Ok(Some(_)) => state.assets.page("room.html", StatusCode::OK).await,
        Ok(None) => {
            state
                .assets
                .page("not-found.html", StatusCode::NOT_FOUND)
                .await
        }
        Err(error) => {
            tracing::error!(%error, "could not look up a room");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
