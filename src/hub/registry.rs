//! The hub: which rooms are loaded, each with the handle of the task that owns it. A room is loaded
//! on first use (its task reads it from the database before its first command) and leaves when its
//! task ends; the map changes only under one short lock, so there is never more than one task per
//! room, and a room whose task has ended is never handed out again.

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    handle::{Command, Denied, End, PasswordChange, Reply, RoomHandle, Welcome},
    live,
    remote::{self, ClusterLink},
    uploads::UploadGuard,
};
use crate::{
    client::ClientId,
    clock::now_ms,
    config::Config,
    db::{self, Db},
    limits::{AddressLimits, Rate},
    media::MediaStore,
    metrics::Metrics,
    password,
    room::{JoinRefused, Playback, PlaybackAction, Settings, Video, WaitPolicy},
    view::{ProcessingView, QueueItemView, RoomView, ViewerView},
};

const CODE_LEN: usize = 8;
/// Commands a room's queue holds before senders wait their turn.
const COMMAND_QUEUE: usize = 1024;
/// A request that meets a room just leaving memory tries again on the freshly loaded one; more
/// than a couple of such meetings in a row would mean something is wrong.
const ATTEMPTS: usize = 3;

/// How the rooms behave, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct HubSettings {
    /// Chat messages per client in a room.
    pub chat: Rate,
    /// Play, pause and seek per client in a room.
    pub commands: Rate,
    /// "Refresh video" per room.
    pub refreshes: Rate,
    /// How often each room checks whether its host has gone.
    pub host_check: Duration,
    /// How long a host whose last socket closed keeps the role.
    pub host_grace: Duration,
    /// How long a room with no socket (and no upload) stays in memory.
    pub unload_after: Duration,
    /// How rooms wait for buffering viewers.
    pub wait: WaitPolicy,
}

impl HubSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            chat: Rate::new(
                u32::try_from(config.chat_rate_messages).unwrap_or(u32::MAX),
                config.chat_rate_secs,
            ),
            commands: Rate::new(config.command_rate_count, config.command_rate_secs),
            refreshes: Rate::new(config.refresh_rate_count, config.refresh_rate_secs),
            host_check: config.host_check_period(),
            host_grace: Duration::from_secs(config.host_grace_secs),
            unload_after: Duration::from_secs(config.room_unload_secs),
            wait: WaitPolicy {
                enabled: config.buffer_wait,
                deadline_ms: config.buffer_wait_secs.saturating_mul(1000),
                max_waits: config.buffer_wait_max,
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The server is shutting down, or the room could not be loaded (logged by its task).
    #[error("the room is not available right now")]
    Unavailable,
}

pub type HubResult<T> = Result<T, HubError>;
/// A room's answer to a request it may refuse; None when there is no such room.
pub type Answer<T> = HubResult<Option<Result<T, Denied>>>;

#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) db: Db,
    pub(super) media: MediaStore,
    pub(super) settings: HubSettings,
    /// Limits per address, shared with the HTTP side (chat counts against them here).
    pub(super) address_limits: Arc<AddressLimits>,
    /// The server's counters: rooms loaded, commands applied.
    pub(super) metrics: Arc<Metrics>,
    /// Codes of the rooms with a password, loaded or not: requests for any other room need not
    /// ask the room whether they may come in. Read at start; kept by the rooms' tasks, through
    /// which every password change and deletion goes.
    protected: Mutex<HashSet<String>>,
    rooms: Mutex<Registry>,
    /// Every room's task, so shutdown can wait for them to save their state.
    tasks: TaskTracker,
    pub(super) stopping: CancellationToken,
    /// Set once at start in cluster mode (`redis_url`).
    cluster: OnceLock<Arc<ClusterLink>>,
}

#[derive(Default)]
struct Registry {
    rooms: HashMap<String, RoomHandle>,
    /// Set at shutdown: no room is loaded any more.
    closed: bool,
}

impl Hub {
    /// `protected`: the codes of the rooms that have a password.
    pub fn new(
        db: Db,
        media: MediaStore,
        settings: HubSettings,
        address_limits: Arc<AddressLimits>,
        protected: HashSet<String>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                media,
                settings,
                address_limits,
                metrics,
                protected: Mutex::new(protected),
                rooms: Mutex::default(),
                tasks: TaskTracker::new(),
                stopping: CancellationToken::new(),
                cluster: OnceLock::new(),
            }),
        }
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub fn db(&self) -> &Db {
        &self.shared.db
    }

    /// Cluster mode: rooms are owned under a lease in Redis, relayed from their owner elsewhere,
    /// and this node applies the commands other nodes forward to the rooms it owns. Call once,
    /// before the first room loads.
    pub fn join_cluster(
        &self,
        cluster: crate::cluster::Cluster,
        incoming: mpsc::UnboundedReceiver<crate::cluster::Incoming>,
    ) {
        if self
            .shared
            .cluster
            .set(Arc::new(ClusterLink::new(cluster)))
            .is_ok()
        {
            tokio::spawn(remote::serve_requests(self.clone(), incoming));
        }
    }

    pub(super) fn cluster_link(&self) -> Option<Arc<ClusterLink>> {
        self.shared.cluster.get().cloned()
    }

    /// For `/healthz`: `disabled` on a single node, else whether Redis answers.
    pub fn redis_health(&self) -> crate::health::ClusterHealth {
        match self.shared.cluster.get() {
            None => crate::health::ClusterHealth::Disabled,
            Some(link) => link.cluster.health(),
        }
    }

    /// Cluster mode: the URL of the node owning the room, when that is another node. None on a
    /// single node, for a room owned here or by nobody (this node may take it), or when Redis
    /// cannot say (this node then answers as well as it can).
    pub async fn owner_elsewhere(&self, code: &str) -> Option<String> {
        let link = self.shared.cluster.get()?;
        if link.owns(code) {
            return None;
        }
        link.cluster.owner_url(code).await.ok().flatten()
    }

    /// The handle of the room with this code if it is loaded (never loads it).
    pub(super) fn loaded_handle(&self, code: &str) -> Option<RoomHandle> {
        self.shared.rooms.lock().unwrap().rooms.get(code).cloned()
    }

    /// The handle of the room with this code, starting its task when it is not loaded; None for a
    /// code that cannot be a room's. The task finds out whether the room exists.
    fn handle(&self, code: &str) -> HubResult<Option<RoomHandle>> {
        if !is_valid_code(code) {
            return Ok(None);
        }
        let mut registry = self.shared.rooms.lock().unwrap();
        if registry.closed {
            return Err(HubError::Unavailable);
        }
        if let Some(handle) = registry.rooms.get(code) {
            return Ok(Some(handle.clone()));
        }
        let (commands, queue) = mpsc::channel(COMMAND_QUEUE);
        let handle = RoomHandle::new(code, commands);
        registry.rooms.insert(code.to_string(), handle.clone());
        self.shared
            .tasks
            .spawn(live::run(self.clone(), handle.clone(), queue));
        Ok(Some(handle))
    }

    /// Removes a room whose task is ending (and not a successor loaded since).
    pub(super) fn forget(&self, code: &str, end: &Arc<OnceLock<End>>) {
        let mut registry = self.shared.rooms.lock().unwrap();
        if registry
            .rooms
            .get(code)
            .is_some_and(|handle| handle.is_same(end))
        {
            registry.rooms.remove(code);
        }
    }

    /// Asks the room with this code; None when there is no such room. A room that left memory
    /// while the request was on its way is loaded again and asked again.
    async fn ask<T>(
        &self,
        code: &str,
        make: impl Fn(Reply<T>) -> Command,
    ) -> HubResult<Option<(RoomHandle, T)>> {
        for _ in 0..ATTEMPTS {
            let Some(handle) = self.handle(code)? else {
                return Ok(None);
            };
            match handle.ask(&make).await {
                Ok(answer) => return Ok(Some((handle, answer))),
                Err(End::Unloaded | End::Handover) => continue,
                Err(End::Missing) => return Ok(None),
                Err(End::Failed | End::Stopped) => return Err(HubError::Unavailable),
            }
        }
        Err(HubError::Unavailable)
    }

    pub(super) async fn ask_answer<T>(
        &self,
        code: &str,
        make: impl Fn(Reply<T>) -> Command,
    ) -> HubResult<Option<T>> {
        Ok(self.ask(code, make).await?.map(|(_, answer)| answer))
    }

    /// Creates a room owned by `owner` with a fresh random code; returns the code.
    pub async fn create(&self, owner: ClientId) -> HubResult<String> {
        loop {
            let code = random_code();
            if db::rooms::insert(self.db(), &code, owner, now_ms()).await? {
                return Ok(code);
            }
        }
    }

    pub async fn exists(&self, code: &str) -> HubResult<bool> {
        let exists = self
            .ask_answer(code, |reply| Command::Exists { reply })
            .await?;
        Ok(exists.unwrap_or(false))
    }

    /// What clients see of the room now, with at most `viewer_limit` viewers listed.
    pub async fn view(&self, code: &str, viewer_limit: usize) -> HubResult<Option<RoomView>> {
        self.ask_answer(code, |reply| Command::View {
            viewer_limit,
            reply,
        })
        .await
    }

    /// Everyone watching: the host, then the others in the order they arrived.
    pub async fn viewers(&self, code: &str) -> HubResult<Option<Vec<ViewerView>>> {
        self.ask_answer(code, |reply| Command::Viewers { reply })
            .await
    }

    /// A socket of `client` joins the room: its handle for the socket's life, and its welcome
    /// (or why it may not join).
    pub async fn join(
        &self,
        code: &str,
        (client, address): (ClientId, IpAddr),
        name: Option<String>,
    ) -> HubResult<Option<(RoomHandle, Result<Welcome, JoinRefused>)>> {
        self.ask(code, |reply| Command::Join {
            client,
            address,
            name: name.clone(),
            reply,
        })
        .await
    }

    /// Whether `client` may see the room (a password room: its owner and members only). A room
    /// without a password is not asked, so a code with no room says yes too (its route answers
    /// 404); None when a password room turns out to be gone.
    pub async fn admits(&self, code: &str, client: ClientId) -> HubResult<Option<bool>> {
        if !self.shared.protected.lock().unwrap().contains(code) {
            return Ok(Some(true));
        }
        self.ask_answer(code, |reply| Command::Admit { client, reply })
            .await
    }

    /// Notes whether the room `code` has a password (its task calls this when that changes).
    pub(super) fn note_protected(&self, code: &str, protected: bool) {
        let mut codes = self.shared.protected.lock().unwrap();
        if protected {
            codes.insert(code.to_string());
        } else {
            codes.remove(code);
        }
    }

    /// Lets `client` (at `address`) into a password room if `password` is right: Ok(true) when
    /// it is (or the room has none), Ok(false) when not, Err when the client is kicked.
    pub async fn enter_with_password(
        &self,
        code: &str,
        (client, address): (ClientId, IpAddr),
        password: String,
    ) -> HubResult<Option<Result<bool, JoinRefused>>> {
        let Some(hash) = self
            .ask_answer(code, |reply| Command::PasswordHash { reply })
            .await?
        else {
            return Ok(None);
        };
        let Some(hash) = hash else {
            return Ok(Some(Ok(true)));
        };
        let right = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
            .await
            .unwrap_or(false);
        if !right {
            return Ok(Some(Ok(false)));
        }
        let admitted = self
            .ask_answer(code, |reply| Command::AddMember {
                client,
                address,
                reply,
            })
            .await?;
        Ok(admitted.map(|admitted| admitted.map(|()| true)))
    }

    /// Play, pause or seek; returns the room's new state.
    pub async fn playback(
        &self,
        code: &str,
        by: ClientId,
        action: PlaybackAction,
        position: f64,
    ) -> Answer<Playback> {
        self.ask_answer(code, |reply| Command::Playback {
            by,
            action,
            position,
            reply,
        })
        .await
    }

    /// `client` takes the host role; false when it has no socket in the room.
    pub async fn claim_host(&self, code: &str, client: ClientId) -> Answer<bool> {
        self.ask_answer(code, |reply| Command::ClaimHost { client, reply })
            .await
    }

    /// Makes `video` the room's current one (stored first), paused at the start; the previous
    /// upload's file is deleted. None when the room does not exist (any more).
    pub async fn set_video(&self, code: &str, by: ClientId, video: Video) -> Answer<()> {
        self.ask_answer(code, |reply| Command::SetVideo {
            by,
            video: video.clone(),
            reply,
        })
        .await
    }

    /// Tells every viewer to reload the video; false when there is none.
    pub async fn refresh(&self, code: &str, by: ClientId) -> Answer<bool> {
        self.ask_answer(code, |reply| Command::Refresh { by, reply })
            .await
    }

    /// Names the room (None clears the name).
    pub async fn rename(&self, code: &str, name: Option<String>) -> Answer<()> {
        self.ask_answer(code, |reply| Command::Rename {
            name: name.clone(),
            reply,
        })
        .await
    }

    /// An upload by `by` starts: the room counts it as activity while the guard lives.
    pub async fn begin_upload(&self, code: &str, by: ClientId) -> Answer<UploadGuard> {
        self.ask_answer(code, |reply| Command::BeginUpload { by, reply })
            .await
    }

    /// The owner changes who may drive the room, and its password.
    pub async fn change_settings(
        &self,
        code: &str,
        by: ClientId,
        settings: Settings,
        password: PasswordChange,
    ) -> Answer<()> {
        self.ask_answer(code, |reply| Command::ChangeSettings {
            by,
            settings,
            password: password.clone(),
            reply,
        })
        .await
    }

    /// The owner hands the room to `to`, who must be watching.
    pub async fn hand_ownership(&self, code: &str, by: ClientId, to: ClientId) -> Answer<()> {
        self.ask_answer(code, |reply| Command::HandOwnership { by, to, reply })
            .await
    }

    /// Adds `video` (stored already, when an upload) at the end of the room's queue.
    pub async fn queue_add(&self, code: &str, by: ClientId, video: Video) -> Answer<QueueItemView> {
        self.ask_answer(code, |reply| Command::QueueAdd {
            by,
            video: video.clone(),
            reply,
        })
        .await
    }

    pub async fn queue_remove(&self, code: &str, by: ClientId, video_id: i64) -> Answer<()> {
        self.ask_answer(code, |reply| Command::QueueRemove {
            by,
            video_id,
            reply,
        })
        .await
    }

    pub async fn queue_reorder(&self, code: &str, by: ClientId, ids: Vec<i64>) -> Answer<()> {
        self.ask_answer(code, |reply| Command::QueueReorder {
            by,
            ids: ids.clone(),
            reply,
        })
        .await
    }

    /// Skips to the next queued video; false when there is none.
    pub async fn queue_next(&self, code: &str, by: ClientId) -> Answer<bool> {
        self.ask_answer(code, |reply| Command::QueueNext { by, reply })
            .await
    }

    /// Tells the room where a job making an upload playable stands; false when the room is gone.
    pub async fn processing(
        &self,
        code: &str,
        job: ProcessingView,
        cancel: CancellationToken,
    ) -> HubResult<bool> {
        let told = self
            .ask_answer(code, |reply| Command::Processing {
                job: job.clone(),
                cancel: cancel.clone(),
                reply,
            })
            .await?;
        Ok(told.is_some())
    }

    /// Cancels a job making an upload playable: its uploader, the host or the owner may.
    pub async fn cancel_processing(&self, code: &str, by: ClientId, job: u64) -> Answer<()> {
        self.ask_answer(code, |reply| Command::CancelProcessing { by, job, reply })
            .await
    }

    /// The host or owner removes `target` from the room for ten minutes.
    pub async fn kick(&self, code: &str, by: ClientId, target: ClientId) -> Answer<()> {
        self.ask_answer(code, |reply| Command::Kick { by, target, reply })
            .await
    }

    /// Deletes the room (rows and files) if nobody was active in it since `cutoff`; true when it
    /// was deleted.
    pub async fn expire_if_idle(&self, code: &str, cutoff: u64) -> HubResult<bool> {
        let expired = self
            .ask_answer(code, |reply| Command::ExpireIfIdle { cutoff, reply })
            .await?;
        Ok(expired.transpose()?.unwrap_or(false))
    }

    /// A client changed their name: every loaded room they are watching shows it.
    pub async fn rename_client(&self, client: ClientId, name: &str) {
        let loaded: Vec<_> = self
            .shared
            .rooms
            .lock()
            .unwrap()
            .rooms
            .values()
            .cloned()
            .collect();
        for room in loaded {
            let command = Command::RenameViewer {
                client,
                name: name.to_string(),
            };
            let _ = room.tell(command).await;
        }
    }

    /// How many rooms are in memory.
    pub fn loaded_count(&self) -> usize {
        self.shared.rooms.lock().unwrap().rooms.len()
    }

    /// Shutdown: loads no more rooms, and waits until every loaded one has saved its state.
    pub async fn stop(&self) {
        self.shared.rooms.lock().unwrap().closed = true;
        self.shared.stopping.cancel();
        self.shared.tasks.close();
        self.shared.tasks.wait().await;
    }
}

fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
        .collect()
}

pub fn is_valid_code(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_upper_case_letters() {
        for _ in 0..100 {
            assert!(is_valid_code(&random_code()));
        }
        assert!(!is_valid_code("abcdefgh"));
        assert!(!is_valid_code("ABCDEFG"));
        assert!(!is_valid_code("../ETC/P"));
    }
}
