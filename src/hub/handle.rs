//! A handle on a live room: the sending end of its task's command queue. Requests carry a oneshot
//! for the answer; a room that left (unloaded, deleted, server stopping) drops its queue, and the
//! handle reads why from the note the task leaves before it goes.

use std::{
    net::IpAddr,
    sync::{Arc, OnceLock},
};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::uploads::UploadGuard;
use crate::{
    client::ClientId,
    limits::RetryAfter,
    protocol::ProtocolError,
    room::{
        JoinRefused, NotAllowed, Playback, PlaybackAction, QueueError, Settings, Video,
        ViewerStatus,
    },
    subtitles::{NewTrack, TrackError},
    view::{ProcessingView, QueueItemView, RoomView, SubtitleView, ViewerView},
};

/// Why a room's task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// Idle, it left memory: the next request loads it again.
    Unloaded,
    /// No such room in the database (never was, expired, or deleted).
    Missing,
    /// It could not be loaded; the cause is in the log.
    Failed,
    /// The server is shutting down.
    Stopped,
    /// Another node owns the room now (cluster mode): this node relays it, or loads it again.
    Handover,
}

/// Why the room would not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("over the rate limit")]
    RateLimited(RetryAfter),
    /// Only the host or the owner (or the owner alone) may do that.
    #[error("not allowed")]
    NotAllowed,
    #[error("queue: {0:?}")]
    Queue(QueueError),
    #[error("subtitles: {0}")]
    Subtitles(#[from] TrackError),
    /// No such processing job in the room (it ended, or never was).
    #[error("no such job")]
    NoSuchJob,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The node owning the room did not answer in time (cluster mode).
    #[error("the room's node did not answer")]
    Unavailable,
}

impl From<QueueError> for Denied {
    fn from(error: QueueError) -> Self {
        Self::Queue(error)
    }
}

impl From<RetryAfter> for Denied {
    fn from(retry: RetryAfter) -> Self {
        Self::RateLimited(retry)
    }
}

impl From<NotAllowed> for Denied {
    fn from(_: NotAllowed) -> Self {
        Self::NotAllowed
    }
}

/// What a settings change does to the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordChange {
    Keep,
    Clear,
    /// Set to the password with this hash.
    Set(String),
}

/// What a socket gets on joining: its subscription to the room's broadcasts (taken before the
/// snapshot, so nothing falls in between), the snapshot and the chat history, both as JSON.
pub struct Welcome {
    pub broadcasts: broadcast::Receiver<Arc<str>>,
    /// Clients kicked out of the room: a socket whose client is named closes.
    pub kicks: broadcast::Receiver<ClientId>,
    pub snapshot: String,
    /// None when the history could not be read (logged).
    pub history: Option<Arc<str>>,
}

pub(super) type Reply<T> = oneshot::Sender<T>;

/// Everything that reads or changes a room. Each is applied by the room's task, in arrival order.
pub(super) enum Command {
    Join {
        client: ClientId,
        address: IpAddr,
        name: Option<String>,
        reply: Reply<Result<Welcome, JoinRefused>>,
    },
    /// Whether `client` may see the room (a password room: only its owner and members).
    Admit {
        client: ClientId,
        reply: Reply<bool>,
    },
    /// The password's hash, to check a password against (off the room's task: it is slow).
    PasswordHash {
        reply: Reply<Option<String>>,
    },
    /// `client` gave the right password.
    AddMember {
        client: ClientId,
        address: IpAddr,
        reply: Reply<Result<(), JoinRefused>>,
    },
    Leave {
        client: ClientId,
    },
    Playback {
        by: ClientId,
        action: PlaybackAction,
        position: f64,
        reply: Reply<Result<Playback, Denied>>,
    },
    Heartbeat {
        by: ClientId,
        position: f64,
        playing: bool,
    },
    /// A page of `client` reported its player's state. The answer: whether to tell that page to
    /// catch up on its own (the room no longer waits for it).
    Status {
        client: ClientId,
        status: ViewerStatus,
        reply: Reply<bool>,
    },
    ClaimHost {
        client: ClientId,
        reply: Reply<Result<bool, Denied>>,
    },
    SetVideo {
        by: ClientId,
        video: Video,
        reply: Reply<Result<(), Denied>>,
    },
    Refresh {
        by: ClientId,
        reply: Reply<Result<bool, Denied>>,
    },
    Rename {
        name: Option<String>,
        reply: Reply<Result<(), Denied>>,
    },
    ChangeSettings {
        by: ClientId,
        settings: Settings,
        password: PasswordChange,
        reply: Reply<Result<(), Denied>>,
    },
    HandOwnership {
        by: ClientId,
        to: ClientId,
        reply: Reply<Result<(), Denied>>,
    },
    Kick {
        by: ClientId,
        target: ClientId,
        reply: Reply<Result<(), Denied>>,
    },
    RenameViewer {
        client: ClientId,
        name: String,
    },
    Chat {
        client: ClientId,
        address: IpAddr,
        text: String,
        reply: Reply<Result<(), ProtocolError>>,
    },
    Snapshot {
        client: ClientId,
        reply: Reply<String>,
    },
    /// Whether the room is there (loaded here or relayed from the node owning it).
    Exists {
        reply: Reply<bool>,
    },
    View {
        viewer_limit: usize,
        reply: Reply<RoomView>,
    },
    Viewers {
        reply: Reply<Vec<ViewerView>>,
    },
    BeginUpload {
        by: ClientId,
        reply: Reply<Result<UploadGuard, Denied>>,
    },
    QueueAdd {
        by: ClientId,
        video: Video,
        reply: Reply<Result<QueueItemView, Denied>>,
    },
    QueueRemove {
        by: ClientId,
        video_id: i64,
        reply: Reply<Result<(), Denied>>,
    },
    QueueReorder {
        by: ClientId,
        ids: Vec<i64>,
        reply: Reply<Result<(), Denied>>,
    },
    /// Skip to the next queued video; false when the queue is empty.
    QueueNext {
        by: ClientId,
        reply: Reply<Result<bool, Denied>>,
    },
    /// The host's page says the current video ended.
    Ended {
        by: ClientId,
        video_id: i64,
        duration: f64,
    },
    /// Add a subtitle track to the current video: by a client (who must be allowed to change the
    /// video), or found inside the file of video `video_id` (added only while it is current).
    AddSubtitles {
        by: Option<ClientId>,
        video_id: Option<i64>,
        track: NewTrack,
        reply: Reply<Result<SubtitleView, Denied>>,
    },
    RemoveSubtitles {
        by: ClientId,
        id: i64,
        reply: Reply<Result<(), Denied>>,
    },
    /// A job making an upload playable changed; everyone hears it (`cancel` stops the job).
    Processing {
        job: ProcessingView,
        cancel: CancellationToken,
        reply: Reply<()>,
    },
    /// Cancel a job (its uploader, the host or the owner may).
    CancelProcessing {
        by: ClientId,
        job: u64,
        reply: Reply<Result<(), Denied>>,
    },
    /// Delete the room if nobody has been active in it since `cutoff` (server ms).
    ExpireIfIdle {
        cutoff: u64,
        reply: Reply<sqlx::Result<bool>>,
    },
}

#[derive(Clone)]
pub struct RoomHandle {
    code: Arc<str>,
    commands: mpsc::Sender<Command>,
    /// Written once by the task just before it stops taking commands.
    end: Arc<OnceLock<End>>,
}

impl RoomHandle {
    pub(super) fn new(code: &str, commands: mpsc::Sender<Command>) -> Self {
        Self {
            code: code.into(),
            commands,
            end: Arc::default(),
        }
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub(super) fn end_note(&self) -> Arc<OnceLock<End>> {
        self.end.clone()
    }

    pub(super) fn is_same(&self, end: &Arc<OnceLock<End>>) -> bool {
        Arc::ptr_eq(&self.end, end)
    }

    /// Why the task is gone; `Failed` when it left no note (it panicked).
    fn ended(&self) -> End {
        self.end.get().copied().unwrap_or(End::Failed)
    }

    /// Sends a request and waits for its answer.
    pub(super) async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, End> {
        let (reply, answer) = oneshot::channel();
        self.tell(make(reply)).await?;
        answer.await.map_err(|_| self.ended())
    }

    /// Sends a command without waiting for it to be applied. Waits while the queue is full, so a
    /// client flooding its socket slows down itself, not the room.
    pub(super) async fn tell(&self, command: Command) -> Result<(), End> {
        self.commands.send(command).await.map_err(|_| self.ended())
    }

    // What a socket does with its room. A room never leaves memory while it has a socket, so these
    // fail only while the server shuts down, or when the room was deleted under the socket; the
    // socket then closes.

    pub async fn leave(&self, client: ClientId) {
        let _ = self.tell(Command::Leave { client }).await;
    }

    /// None when the room is gone; otherwise applied, or refused (too fast, or not allowed).
    pub async fn playback(
        &self,
        by: ClientId,
        action: PlaybackAction,
        position: f64,
    ) -> Option<Result<Playback, Denied>> {
        self.ask(|reply| Command::Playback {
            by,
            action,
            position,
            reply,
        })
        .await
        .ok()
    }

    pub async fn heartbeat(&self, by: ClientId, position: f64, playing: bool) -> bool {
        let command = Command::Heartbeat {
            by,
            position,
            playing,
        };
        self.tell(command).await.is_ok()
    }

    /// A page's report of its player. Answers whether the page is to catch up on its own; None
    /// when the room is gone.
    pub async fn status(&self, client: ClientId, status: ViewerStatus) -> Option<bool> {
        self.ask(|reply| Command::Status {
            client,
            status,
            reply,
        })
        .await
        .ok()
    }

    /// The current video ended on this (host's) page; false when the room is gone.
    pub async fn video_ended(&self, by: ClientId, video_id: i64, duration: f64) -> bool {
        let command = Command::Ended {
            by,
            video_id,
            duration,
        };
        self.tell(command).await.is_ok()
    }

    /// None when the room is gone.
    pub async fn chat(
        &self,
        client: ClientId,
        address: IpAddr,
        text: String,
    ) -> Option<Result<(), ProtocolError>> {
        self.ask(|reply| Command::Chat {
            client,
            address,
            text,
            reply,
        })
        .await
        .ok()
    }

    /// A fresh snapshot for a socket that fell behind, as JSON; None when the room is gone.
    pub async fn snapshot(&self, client: ClientId) -> Option<String> {
        self.ask(|reply| Command::Snapshot { client, reply })
            .await
            .ok()
    }
}
