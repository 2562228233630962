//! Resumable uploads' bytes: one hidden file per upload in the media folder, `.tus-<id>.part`,
//! kept across restarts (only `.upload-*.part` files are removed at start) until the upload
//! completes, is terminated or expires. The database row's offset says how many bytes count;
//! bytes past it (a crash mid-write) are cut off before the next append.
//!
//! One append runs per upload at a time: a new one cancels the one before (its client gave up on
//! that connection) and waits until it has stopped writing.

use std::{
    collections::HashMap,
    io::{self, SeekFrom},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use tempfile::{NamedTempFile, TempPath};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::{COPY_BUFFER, MediaStore, ReceivedUpload, UploadError, sniff};

pub(super) const PARTIAL_PREFIX: &str = ".tus-";
const PARTIAL_SUFFIX: &str = ".part";

/// How an append ended. `written` bytes of it were kept in every case but `TooLong` and
/// `Refused`.
#[derive(Debug)]
pub enum AppendEnd {
    /// The body ended.
    Finished,
    /// The body went past the bytes the upload still expects: nothing of this append is kept.
    TooLong,
    /// The first bytes are not a video this server takes (none at all, or one that needs ffmpeg
    /// where there is none): the caller deletes the upload.
    Refused(UploadError),
    Interrupted(io::Error),
    Stalled(Duration),
    /// Another append of the same upload took over, or the server is shutting down.
    Superseded,
}

#[derive(Debug)]
pub struct Appended {
    pub written: u64,
    pub end: AppendEnd,
}

/// The running appends, by upload id.
#[derive(Default)]
pub(super) struct Leases {
    running: Mutex<HashMap<String, Lease>>,
}

#[derive(Clone)]
struct Lease {
    turn: Arc<tokio::sync::Mutex<()>>,
    cancel: CancellationToken,
}

/// The right to write an upload's file, until dropped.
pub struct AppendLease {
    id: String,
    _turn: tokio::sync::OwnedMutexGuard<()>,
    cancel: CancellationToken,
}

/// A valid upload id: 32 lowercase hex digits (so it is safe in a file name).
pub fn is_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl MediaStore {
    fn partial_path(&self, id: &str) -> PathBuf {
        debug_assert!(is_upload_id(id));
        self.inner
            .dir
            .join(format!("{PARTIAL_PREFIX}{id}{PARTIAL_SUFFIX}"))
    }

    /// Creates the empty file of a new upload.
    pub async fn create_partial(&self, id: &str) -> io::Result<()> {
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.partial_path(id))
            .await
            .map(drop)
    }

    /// Deletes an upload's file, if there is one.
    pub fn remove_partial(&self, id: &str) {
        if let Err(error) = std::fs::remove_file(self.partial_path(id))
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(upload = id, %error, "could not delete an unfinished upload");
        }
    }

    /// The ids of every upload file in the folder.
    pub fn partial_ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.inner.dir)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name
                .strip_prefix(PARTIAL_PREFIX)
                .and_then(|rest| rest.strip_suffix(PARTIAL_SUFFIX))
                .filter(|id| is_upload_id(id))
            {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// Whether an append of the upload is running.
    pub fn partial_busy(&self, id: &str) -> bool {
        self.inner
            .leases
            .running
            .lock()
            .unwrap()
            .get(id)
            .is_some_and(|lease| lease.turn.try_lock().is_err())
    }

    /// Waits for the right to write the upload's file, cancelling the append running now. The
    /// lease's own append also stops when `stop` is cancelled (the server shutting down), so the
    /// bytes it received are counted before the database closes.
    pub async fn lease_partial(&self, id: &str, stop: &CancellationToken) -> AppendLease {
        let (turn, previous, cancel) = {
            let mut running = self.inner.leases.running.lock().unwrap();
            let lease = running.entry(id.to_string()).or_insert_with(|| Lease {
                turn: Arc::default(),
                cancel: CancellationToken::new(),
            });
            let cancel = stop.child_token();
            let previous = std::mem::replace(&mut lease.cancel, cancel.clone());
            (lease.turn.clone(), previous, cancel)
        };
        previous.cancel();
        AppendLease {
            id: id.to_string(),
            _turn: turn.lock_owned().await,
            cancel,
        }
    }

    /// Forgets the upload's lease entry once the upload is gone.
    pub fn forget_lease(&self, id: &str) {
        self.inner.leases.running.lock().unwrap().remove(id);
    }

    /// The first `len` bytes of an upload's file (fewer when it is shorter).
    pub async fn partial_head(&self, id: &str, len: usize) -> io::Result<Vec<u8>> {
        let file = tokio::fs::File::open(self.partial_path(id)).await?;
        let mut head = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut head).await?;
        Ok(head)
    }

    /// Appends `body` at `offset`, at most `room` bytes of it. `head` holds the file's first bytes
    /// while the container is not checked yet (None once it is), so it is checked as soon as
    /// enough are in. Gives up when no byte arrives for `stall` or `lease` is taken over. The
    /// kept bytes are on disk (synced) when it returns.
    pub async fn append_partial(
        &self,
        lease: &AppendLease,
        offset: u64,
        room: u64,
        mut head: Option<Vec<u8>>,
        body: impl AsyncRead,
        stall: Duration,
    ) -> io::Result<Appended> {
        let id = &lease.id;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(self.partial_path(id))
            .await?;
        // Bytes past the offset came from a write that was never counted.
        file.set_len(offset).await?;
        file.seek(SeekFrom::Start(offset)).await?;
        let mut body = std::pin::pin!(body);
        let mut buffer = vec![0u8; COPY_BUFFER];
        let mut written = 0u64;
        let end = loop {
            let read = tokio::select! {
                biased;
                () = lease.cancel.cancelled() => break AppendEnd::Superseded,
                read = tokio::time::timeout(stall, body.read(&mut buffer)) => read,
            };
            let read = match read {
                Err(_) => break AppendEnd::Stalled(stall),
                Ok(Err(error)) => break AppendEnd::Interrupted(error),
                Ok(Ok(0)) => break AppendEnd::Finished,
                Ok(Ok(read)) => read,
            };
            if written + read as u64 > room {
                file.set_len(offset).await?;
                written = 0;
                break AppendEnd::TooLong;
            }
            let chunk = &buffer[..read];
            if let Some(first) = head.as_mut() {
                let wanted = sniff::SNIFF_LEN.saturating_sub(first.len());
                first.extend_from_slice(&chunk[..wanted.min(read)]);
                if first.len() >= sniff::SNIFF_LEN {
                    if let Err(refused) = self.recognise(first) {
                        break AppendEnd::Refused(refused);
                    }
                    head = None;
                }
            }
            file.write_all(chunk).await?;
            written += read as u64;
        };
        file.flush().await?;
        file.sync_data().await?;
        Ok(Appended { written, end })
    }

    /// Turns a complete upload's file into a received upload, ready to be stored as a video
    /// (deleted when dropped), or why its first bytes are not a video this server takes.
    pub async fn finish_partial(
        &self,
        id: &str,
        size: u64,
    ) -> io::Result<Result<ReceivedUpload, UploadError>> {
        let head = self.partial_head(id, sniff::SNIFF_LEN).await?;
        let path = self.partial_path(id);
        let container = match self.recognise(&head) {
            Ok(container) => container,
            Err(refused) => return Ok(Err(refused)),
        };
        let file = std::fs::OpenOptions::new().read(true).open(&path)?;
        let temp = NamedTempFile::from_parts(file, TempPath::try_from_path(path)?);
        Ok(Ok(ReceivedUpload {
            temp,
            container,
            size,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(30);
    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn webm(size: usize) -> Vec<u8> {
        let mut bytes =
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm".to_vec();
        bytes.resize(size, 7);
        bytes
    }

    #[test]
    fn ids_are_32_lowercase_hex_digits() {
        assert!(is_upload_id(ID));
        for bad in [
            "",
            "../../etc/passwd",
            &ID.to_uppercase(),
            &ID[1..],
            "g".repeat(32).as_str(),
        ] {
            assert!(!is_upload_id(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn appends_cut_back_uncounted_bytes_and_keep_nothing_past_the_length() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path(), vec![]).unwrap();
        store.create_partial(ID).await.unwrap();
        let bytes = webm(1_000);
        let lease = store.lease_partial(ID, &CancellationToken::new()).await;
        let first = store
            .append_partial(&lease, 0, 1_000, Some(Vec::new()), &bytes[..600], STALL)
            .await
            .unwrap();
        assert!(matches!(first.end, AppendEnd::Finished));
        assert_eq!(first.written, 600);
        // Only 400 counted (say the server stopped before recording the rest): 200 are cut off.
        let again = store
            .append_partial(&lease, 400, 600, None, &bytes[400..], STALL)
            .await
            .unwrap();
        assert_eq!(again.written, 600);
        assert_eq!(store.partial_head(ID, 2_000).await.unwrap(), bytes);
        // Past the length: nothing of that append stays.
        let too_long = store
            .append_partial(&lease, 1_000, 0, None, &b"more"[..], STALL)
            .await
            .unwrap();
        assert!(matches!(too_long.end, AppendEnd::TooLong));
        assert_eq!(too_long.written, 0);
        assert_eq!(
            std::fs::metadata(store.partial_path(ID)).unwrap().len(),
            1_000
        );
        drop(lease);
        let received = store.finish_partial(ID, 1_000).await.unwrap().unwrap();
        assert_eq!(received.container, sniff::Container::WebM);
        drop(received);
        assert!(store.partial_ids().unwrap().is_empty(), "dropped: deleted");
    }

    #[tokio::test]
    async fn first_bytes_that_are_no_video_end_the_append() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path(), vec![]).unwrap();
        store.create_partial(ID).await.unwrap();
        let lease = store.lease_partial(ID, &CancellationToken::new()).await;
        let text = b"plain text, long enough to tell that it is no video at all....".repeat(10);
        let appended = store
            .append_partial(&lease, 0, 10_000, Some(Vec::new()), &text[..], STALL)
            .await
            .unwrap();
        assert!(matches!(
            appended.end,
            AppendEnd::Refused(UploadError::NotAVideo)
        ));
    }

    #[tokio::test]
    async fn a_new_lease_stops_the_running_append() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(dir.path(), vec![]).unwrap();
        store.create_partial(ID).await.unwrap();
        let (body, mut sender) = tokio::io::duplex(1024);
        sender.write_all(&webm(100)).await.unwrap();
        // `sender` stays open: the append would wait for more until the stall timeout.
        let running = {
            let store = store.clone();
            tokio::spawn(async move {
                let lease = store.lease_partial(ID, &CancellationToken::new()).await;
                store
                    .append_partial(&lease, 0, 10_000, Some(Vec::new()), body, STALL)
                    .await
                    .unwrap()
            })
        };
        while store.partial_head(ID, 200).await.unwrap().len() < 100 {
            tokio::task::yield_now().await;
        }
        assert!(store.partial_busy(ID));
        let _taken = store.lease_partial(ID, &CancellationToken::new()).await;
        let stopped = running.await.unwrap();
        assert!(matches!(stopped.end, AppendEnd::Superseded));
        assert_eq!(stopped.written, 100);
        drop(sender);
    }
}
