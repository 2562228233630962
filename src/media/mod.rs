//! Video storage in the media folder. Uploads stream into a hidden temporary file beside the videos
//! and are renamed to `<number>.<ext>` only once complete and recognised, so a failed or abandoned
//! upload never touches the video being watched. Only registered file names are ever served.

pub mod convert;
pub mod partial;
pub mod probe;
pub mod range;
pub mod sniff;
pub mod tools;

use std::{
    collections::HashMap,
    io,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock, RwLock},
    time::Duration,
};

use anyhow::Context;
use tempfile::NamedTempFile;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

pub use sniff::Container;
pub use tools::Tools;

const TEMP_PREFIX: &str = ".upload-";
const TEMP_SUFFIX: &str = ".part";
const COPY_BUFFER: usize = 256 * 1024;
const MAX_ORIGINAL_NAME: usize = 200;
/// A video's poster frame is `<number>.jpg` beside `<number>.<ext>`.
const POSTER_EXTENSION: &str = "jpg";

#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// Registered videos' file names, each with its room's code: the only names the media route
    /// answers for (to whoever may watch that room).
    registered: RwLock<HashMap<String, String>>,
    /// Appends running on resumable uploads.
    leases: partial::Leases,
    /// ffmpeg is there to convert them: containers browsers do not play are taken too.
    tools: OnceLock<Tools>,
}

/// A complete, recognised upload still in its temporary file (deleted if dropped).
pub struct ReceivedUpload {
    temp: NamedTempFile,
    pub container: Container,
    pub size: u64,
}

impl ReceivedUpload {
    /// A finished file in a temporary file of the media folder (a conversion's output).
    pub fn from_temp(temp: NamedTempFile, container: Container, size: u64) -> Self {
        Self {
            temp,
            container,
            size,
        }
    }

    /// Where it waits: a hidden temporary file, never served.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("not a video browsers can play (expected MP4, MOV, WebM, Matroska or Ogg)")]
    NotAVideo,
    #[error(
        "this is a video ({}), but browsers cannot play its container; installing ffmpeg on the server (sudo apt-get install ffmpeg) would let Goblet convert it",
        .0.extension().to_uppercase()
    )]
    NeedsFfmpeg(Container),
    #[error("the upload was interrupted: {0}")]
    Interrupted(io::Error),
    #[error("the upload stopped: no data arrived for {} seconds", .0.as_secs())]
    Stalled(Duration),
    #[error("could not store the upload: {0}")]
    Storage(io::Error),
}

impl MediaStore {
    /// Opens the media folder, removes temporary files left by a crash (resumable uploads' files
    /// stay: they resume), and registers `known` videos (file name, room code).
    pub fn open(dir: &Path, known: Vec<(String, String)>) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("while creating the media folder {}", dir.display()))?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
                // Uploads cut short and conversions a restart interrupted: their jobs are gone.
                tracing::warn!(file = %name, "removing an unfinished upload or conversion");
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let store = Self {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                registered: RwLock::default(),
                leases: partial::Leases::default(),
                tools: OnceLock::new(),
            }),
        };
        for (file_name, room) in known {
            store.register(&file_name, &room);
        }
        Ok(store)
    }

    /// ffprobe and ffmpeg, when found: containers browsers do not play are taken too (they are
    /// converted), and subtitles inside uploads are looked for.
    pub fn use_tools(&self, tools: Option<Tools>) {
        if let Some(tools) = tools {
            let _ = self.inner.tools.set(tools);
        }
    }

    /// ffprobe and ffmpeg, when this server has them.
    pub fn tools(&self) -> Option<&Tools> {
        self.inner.tools.get()
    }

    /// A new hidden temporary file in the media folder (deleted if dropped; removed at start
    /// when a crash left it).
    pub fn temp_file(&self) -> io::Result<NamedTempFile> {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.inner.dir)
    }

    /// Where a stored video's file is (registered or not).
    pub fn path_of(&self, file_name: &str) -> PathBuf {
        self.inner.dir.join(file_name)
    }

    /// The path of a registered video that is a regular file (not a link), or None.
    pub fn registered_path(&self, file_name: &str) -> Option<PathBuf> {
        if !self
            .inner
            .registered
            .read()
            .unwrap()
            .contains_key(file_name)
        {
            return None;
        }
        let path = self.inner.dir.join(file_name);
        let metadata = std::fs::symlink_metadata(&path).ok()?;
        metadata.file_type().is_file().then_some(path)
    }

    /// Streams `body` into a temporary file, refusing it once it passes `limit` bytes, when its
    /// first bytes are not a browser-playable container, or when no byte arrives for `stall`
    /// (a stalled upload would otherwise hold its connection and temporary file forever).
    pub async fn receive(
        &self,
        body: impl AsyncRead,
        limit: u64,
        stall: Duration,
    ) -> Result<ReceivedUpload, UploadError> {
        let temp = self.temp_file().map_err(UploadError::Storage)?;
        let file = temp.reopen().map_err(UploadError::Storage)?;
        let mut file = tokio::fs::File::from_std(file);
        let mut body = std::pin::pin!(body);
        let mut buffer = vec![0u8; COPY_BUFFER];
        let mut size = 0u64;
        let mut head = Vec::with_capacity(sniff::SNIFF_LEN);
        let mut container = None;
        loop {
            let read = tokio::time::timeout(stall, body.read(&mut buffer))
                .await
                .map_err(|_| UploadError::Stalled(stall))?
                .map_err(UploadError::Interrupted)?;
            if read == 0 {
                break;
            }
            size += read as u64;
            if size > limit {
                return Err(UploadError::TooLarge { limit });
            }
            let chunk = &buffer[..read];
            if container.is_none() {
                let wanted = sniff::SNIFF_LEN - head.len();
                head.extend_from_slice(&chunk[..wanted.min(read)]);
                if head.len() == sniff::SNIFF_LEN {
                    container = Some(self.recognise(&head)?);
                }
            }
            file.write_all(chunk).await.map_err(UploadError::Storage)?;
        }
        let container = match container {
            Some(container) => container,
            None => self.recognise(&head)?,
        };
        file.flush().await.map_err(UploadError::Storage)?;
        file.sync_all().await.map_err(UploadError::Storage)?;
        Ok(ReceivedUpload {
            temp,
            container,
            size,
        })
    }

    /// The container of a file starting with `head`, when this server takes it.
    fn recognise(&self, head: &[u8]) -> Result<Container, UploadError> {
        let container = sniff::sniff(head).ok_or(UploadError::NotAVideo)?;
        if container.browser_plays() || self.inner.tools.get().is_some() {
            Ok(container)
        } else {
            Err(UploadError::NeedsFfmpeg(container))
        }
    }

    /// Renames a received upload to `<number>.<ext>` without replacing any existing file.
    /// Returns the file name, or the upload back when that name is taken (a file put there by hand).
    pub fn store(
        &self,
        upload: ReceivedUpload,
        number: i64,
    ) -> Result<String, (ReceivedUpload, io::Error)> {
        let file_name = format!("{number}.{}", upload.container.extension());
        let ReceivedUpload {
            temp,
            container,
            size,
        } = upload;
        match temp.persist_noclobber(self.inner.dir.join(&file_name)) {
            Ok(_) => Ok(file_name),
            Err(error) => Err((
                ReceivedUpload {
                    temp: error.file,
                    container,
                    size,
                },
                error.error,
            )),
        }
    }

    /// The code of the room a registered video belongs to.
    pub fn room_of(&self, file_name: &str) -> Option<String> {
        self.inner
            .registered
            .read()
            .unwrap()
            .get(file_name)
            .cloned()
    }

    /// Serves the video (and its poster, once there is one) to the room's members.
    pub fn register(&self, file_name: &str, room: &str) {
        let mut registered = self.inner.registered.write().unwrap();
        registered.insert(file_name.to_string(), room.to_string());
        registered.insert(poster_name(file_name), room.to_string());
    }

    /// Forgets a video and deletes its file and poster.
    pub fn remove(&self, file_name: &str) {
        let poster = poster_name(file_name);
        let mut registered = self.inner.registered.write().unwrap();
        registered.remove(file_name);
        registered.remove(&poster);
        drop(registered);
        for name in [file_name, &poster] {
            let path = self.inner.dir.join(name);
            if let Err(error) = std::fs::remove_file(&path)
                && error.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(file = %path.display(), %error, "could not delete an old video");
            }
        }
    }
}

/// The poster frame's file name for the video stored as `file_name` (`12.mkv` -> `12.jpg`).
pub fn poster_name(file_name: &str) -> String {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    format!("{stem}.{POSTER_EXTENSION}")
}

/// The name a client gave its file, fit for display only: last path component, no control
/// characters, bounded length.
pub fn display_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ORIGINAL_NAME)
        .collect();
    let clean = clean.trim();
    if clean.is_empty() || clean == "." || clean == ".." {
        "video".to_string()
    } else {
        clean.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(30);

    #[test]
    fn display_names_lose_paths_and_control_characters() {
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\me\\clip.mp4"), "clip.mp4");
        assert_eq!(display_name("a\u{0}b\nc.webm"), "abc.webm");
        assert_eq!(display_name(".."), "video");
        assert_eq!(display_name("   "), "video");
        assert_eq!(display_name(&"x".repeat(500)).len(), MAX_ORIGINAL_NAME);
    }

    #[tokio::test]
    async fn receive_refuses_oversized_and_unknown_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path(), vec![]).unwrap();
        let webm = [
            &b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"[..],
            &[0u8; 100],
        ]
        .concat();

        let too_large = store.receive(&webm[..], 50, STALL).await;
        assert!(matches!(
            too_large,
            Err(UploadError::TooLarge { limit: 50 })
        ));
        let text = store.receive(&b"just some text"[..], 1000, STALL).await;
        assert!(matches!(text, Err(UploadError::NotAVideo)));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let upload = store.receive(&webm[..], 1000, STALL).await.unwrap();
        assert_eq!(upload.container, Container::WebM);
        assert_eq!(upload.size, webm.len() as u64);
        let name = store.store(upload, 7).ok().unwrap();
        assert_eq!(name, "7.webm");
        assert_eq!(std::fs::read(dir.path().join("7.webm")).unwrap(), webm);
        assert!(
            store.registered_path("7.webm").is_none(),
            "not registered yet"
        );
        store.register("7.webm", "ABCDEFGH");
        assert!(store.registered_path("7.webm").is_some());
        assert_eq!(store.room_of("7.webm").as_deref(), Some("ABCDEFGH"));

        let again = store.receive(&webm[..], 1000, STALL).await.unwrap();
        let (upload, _) = store.store(again, 7).expect_err("7.webm is taken");
        assert_eq!(store.store(upload, 8).ok().unwrap(), "8.webm");
        store.remove("7.webm");
        assert!(!dir.path().join("7.webm").exists());
    }

    #[tokio::test]
    async fn receive_gives_up_on_a_stalled_body_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path(), vec![]).unwrap();
        let (body, mut sender) = tokio::io::duplex(1024);
        sender.write_all(b"\x1a\x45\xdf\xa3 a start").await.unwrap();
        // `sender` stays open and sends nothing more.
        let stall = Duration::from_millis(200);
        let stalled = store.receive(body, 1000, stall).await;
        assert!(matches!(stalled, Err(UploadError::Stalled(d)) if d == stall));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        drop(sender);
    }

    #[test]
    fn open_removes_unfinished_uploads_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".upload-abc.part"), b"x").unwrap();
        std::fs::write(dir.path().join("1.mp4"), b"x").unwrap();
        let resumable = format!(".tus-{}.part", "0".repeat(32));
        std::fs::write(dir.path().join(&resumable), b"x").unwrap();
        let store =
            MediaStore::open(dir.path(), vec![("1.mp4".into(), "ABCDEFGH".into())]).unwrap();
        assert!(!dir.path().join(".upload-abc.part").exists());
        assert!(dir.path().join("1.mp4").exists());
        assert!(
            dir.path().join(&resumable).exists(),
            "a resumable upload stays"
        );
        assert_eq!(store.partial_ids().unwrap(), vec!["0".repeat(32)]);
    }
}
