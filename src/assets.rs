//! The browser client's files: where they are, and the version (a hash of them all) that their URL
//! prefix carries, so the files under it can be cached for a year and a new release is fetched at
//! once. Pages are read from here on each request with `{{static}}` replaced by that prefix.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    path::{Path, PathBuf},
};

const STATIC_MARKER: &str = "{{static}}";
/// Without this file the player cannot work: `install.sh` puts it there.
const VIDEOJS_FILE: &str = "videojs/video.min.js";
/// Shown in place of every page while VideoJS is missing.
const SETUP_PAGE: &str = "setup-needed.html";

pub struct Assets {
    dir: PathBuf,
    version: String,
}

impl Assets {
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut hasher = DefaultHasher::new();
        hash_tree(dir, &mut hasher)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            version: format!("{:016x}", hasher.finish()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The URL prefix the static files are served under, e.g. `/static/3f9a1c2e5d6b7a80`.
    pub fn prefix(&self) -> String {
        format!("/static/{}", self.version)
    }

    /// The HTML of page `name` with its static URLs filled in; the setup page instead while the
    /// player is not installed.
    pub async fn page(&self, name: &str) -> std::io::Result<String> {
        let page = if self.dir.join(VIDEOJS_FILE).is_file() {
            name
        } else {
            SETUP_PAGE
        };
        let html = tokio::fs::read_to_string(self.dir.join(page)).await?;
        Ok(html.replace(STATIC_MARKER, &self.prefix()))
    }
}

/// Hashes file names and contents in a stable order.
fn hash_tree(dir: &Path, hasher: &mut DefaultHasher) -> std::io::Result<()> {
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
