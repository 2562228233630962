//! The browser client's files, and the version (a hash of them all) that their URL prefix
//! carries, so the files under it can be cached for a year and a new release is fetched at once.
//! Pages are read on each request with `{{static}}` replaced by that prefix.
//!
//! The files come from one of two places, chosen once at start: the `assets_dir` folder when it
//! holds the client (an `index.html`), so a checkout serves its edits without a rebuild and an
//! operator can replace the client; otherwise the copy built into the binary, so a node is one
//! file plus its configuration. The copy holds whatever `assets/` held at build time: VideoJS and
//! tus-js-client only when `install.sh` had put them there (without VideoJS the pages say how to
//! install it, as a folder without it does).

use std::{
    borrow::Cow,
    hash::{DefaultHasher, Hash, Hasher},
    io,
    path::{Path, PathBuf},
};

use rust_embed::RustEmbed;

const STATIC_MARKER: &str = "{{static}}";
/// Without this file the player cannot work: `install.sh` puts it there.
const VIDEOJS_FILE: &str = "videojs/video.min.js";
/// Shown in place of every page while VideoJS is missing.
const SETUP_PAGE: &str = "setup-needed.html";
/// A folder holding this is a browser client.
const CLIENT_MARKER: &str = "index.html";

/// `assets/` as it was at build time. With `debug-embed`, debug builds embed it too (instead of
/// reading the source folder at run time), so tests run the binary people get.
#[derive(RustEmbed)]
#[folder = "assets/"]
pub struct Embedded;

enum Source {
    Folder(PathBuf),
    Embedded,
}

pub struct Assets {
    source: Source,
    version: String,
}

impl Assets {
    /// The client in `dir` when that folder holds one, otherwise the embedded copy.
    pub fn load(dir: &Path) -> io::Result<Self> {
        if dir.join(CLIENT_MARKER).is_file() {
            tracing::info!(folder = %dir.display(), "serving the browser client from the folder");
            Self::folder(dir)
        } else {
            tracing::info!(
                folder = %dir.display(),
                "serving the browser client built into the binary (the folder has no index.html)"
            );
            Ok(Self::embedded())
        }
    }

    fn folder(dir: &Path) -> io::Result<Self> {
        let mut hasher = DefaultHasher::new();
        hash_tree(dir, &mut hasher)?;
        Ok(Self {
            source: Source::Folder(dir.to_path_buf()),
            version: format!("{:016x}", hasher.finish()),
        })
    }

    /// The copy built into the binary.
    pub fn embedded() -> Self {
        let mut names: Vec<Cow<'static, str>> = Embedded::iter().collect();
        names.sort();
        let mut hasher = DefaultHasher::new();
        for name in names {
            if let Some(file) = Embedded::get(&name) {
                name.hash(&mut hasher);
                file.metadata.sha256_hash().hash(&mut hasher);
            }
        }
        Self {
            source: Source::Embedded,
            version: format!("{:016x}", hasher.finish()),
        }
    }

    /// The folder the files are served from; None when they are the embedded copy.
    pub fn dir(&self) -> Option<&Path> {
        match &self.source {
            Source::Folder(dir) => Some(dir),
            Source::Embedded => None,
        }
    }

    /// The URL prefix the static files are served under, e.g. `/static/3f9a1c2e5d6b7a80`.
    pub fn prefix(&self) -> String {
        format!("/static/{}", self.version)
    }

    /// Whether VideoJS is there: without it the pages are the setup page.
    pub fn has_player(&self) -> bool {
        match &self.source {
            Source::Folder(dir) => dir.join(VIDEOJS_FILE).is_file(),
            Source::Embedded => Embedded::get(VIDEOJS_FILE).is_some(),
        }
    }

    /// The HTML of page `name` with its static URLs filled in; the setup page instead while the
    /// player is not installed.
    pub async fn page(&self, name: &str) -> io::Result<String> {
        let page = if self.has_player() { name } else { SETUP_PAGE };
        let html = match &self.source {
            Source::Folder(dir) => tokio::fs::read_to_string(dir.join(page)).await?,
            Source::Embedded => {
                let file = Embedded::get(page).ok_or(io::ErrorKind::NotFound)?;
                String::from_utf8(file.data.into_owned())
                    .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?
            }
        };
        Ok(html.replace(STATIC_MARKER, &self.prefix()))
    }
}

/// Hashes file names and contents in a stable order.
fn hash_tree(dir: &Path, hasher: &mut DefaultHasher) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_copy_holds_the_client_under_a_stable_version() {
        let assets = Assets::embedded();
        assert!(assets.dir().is_none());
        for name in ["index.html", "room.html", "setup-needed.html", "js/room.js"] {
            assert!(Embedded::get(name).is_some(), "{name} is embedded");
        }
        assert_eq!(assets.prefix(), Assets::embedded().prefix(), "stable");
    }

    #[test]
    fn a_folder_without_a_client_falls_back_to_the_embedded_copy() {
        let empty = tempfile::tempdir().unwrap();
        let assets = Assets::load(empty.path()).unwrap();
        assert!(assets.dir().is_none());
        let missing = empty.path().join("nowhere");
        assert!(Assets::load(&missing).unwrap().dir().is_none());

        std::fs::write(empty.path().join("index.html"), "mine").unwrap();
        let assets = Assets::load(empty.path()).unwrap();
        assert_eq!(assets.dir(), Some(empty.path()));
        assert!(!assets.has_player());
    }
}
