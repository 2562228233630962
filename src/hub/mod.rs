//! Live rooms: each loaded room's state behind a short-held lock, and a broadcast channel that fans
//! its messages out to every socket in it. Rooms load from the database on first use and stay in
//! memory while the server runs.

pub mod tasks;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use rand::Rng;
use tokio::sync::broadcast;

use crate::{
    clock::now_ms,
    db::{self, Db},
    identity::ClientId,
    room::{
        Playback, PlaybackAction, Room, Video,
        chat::{RateLimiter, TextError, clean_message, color_of},
    },
    view::{ChatView, RoomView, VideoView},
    ws::protocol::{PUSHED_VIEWERS_LIMIT, ProtocolError, ServerMsg},
};

/// Messages a socket may fall behind by before it is sent a fresh snapshot instead.
const BROADCAST_CAPACITY: usize = 256;
/// Joins and leaves within this window are announced in one `viewers` message, so a crowd
/// arriving at once costs a few broadcasts instead of one per arrival.
const VIEWERS_BATCH: Duration = Duration::from_millis(100);
/// A large room waits longer between announcements: each one sends the viewer list (up to 20
/// entries, about 2 KB) to every socket, so while a crowd of 10,000 arrives, announcing every
/// 100 ms would copy hundreds of megabytes a second. The window grows by this much per viewer,
/// up to the cap.
const VIEWERS_BATCH_PER_VIEWER: Duration = Duration::from_micros(100);
const VIEWERS_BATCH_MAX: Duration = Duration::from_secs(2);

const CODE_LEN: usize = 8;
/// Chat messages a socket is sent when it joins; older ones are paged in over REST.
const JOIN_HISTORY: u32 = 50;
/// ...and at most about this many bytes of them: a socket keeps a write buffer as large as the
/// largest message it ever sent, so 50 long messages would cost every viewer 100 KB or more.
const JOIN_HISTORY_BYTES: usize = 8 * 1024;

/// Chat flood limit: `messages` per `window`.
#[derive(Clone, Copy, Debug)]
pub struct ChatRate {
    pub messages: usize,
    pub window: Duration,
}

#[derive(Clone)]
pub struct Hub {
    db: Db,
    chat_rate: ChatRate,
    rooms: Arc<Mutex<HashMap<String, Arc<LiveRoom>>>>,
}

pub struct LiveRoom {
    pub code: String,
    db: Db,
    state: Mutex<Room>,
    chat_limiter: Mutex<RateLimiter>,
    tx: broadcast::Sender<Arc<str>>,
    viewers_announce_pending: AtomicBool,
    /// Playback changed since it was last written to the database.
    playback_dirty: AtomicBool,
    /// Counts stored chat messages, so a join history read before the latest one is not kept.
    chat_generation: AtomicU64,
    /// The join history as sent, for every socket that joins until the next chat message: a
    /// crowd arriving at once reads the database once, not once each.
    join_history: Mutex<Option<(u64, Arc<str>)>>,
}

impl Hub {
    pub fn new(db: Db, chat_rate: ChatRate) -> Self {
        Self {
            db,
            chat_rate,
            rooms: Arc::default(),
        }
    }

    fn live(&self, room: Room) -> Arc<LiveRoom> {
        Arc::new(LiveRoom::new(room, self.db.clone(), self.chat_rate))
    }

    /// Creates a room with a fresh random code.
    pub async fn create(&self) -> sqlx::Result<Arc<LiveRoom>> {
        loop {
            let code = random_code();
            let now = now_ms();
            if db::rooms::insert(&self.db, &code, now).await? {
                let room = self.live(Room::new(code.clone(), now));
                self.rooms.lock().unwrap().insert(code, room.clone());
                return Ok(room);
            }
        }
    }

    /// The room with this code, loaded from the database when needed; None when there is none.
    pub async fn get(&self, code: &str) -> sqlx::Result<Option<Arc<LiveRoom>>> {
        if !is_valid_code(code) {
            return Ok(None);
        }
        if let Some(room) = self.rooms.lock().unwrap().get(code) {
            return Ok(Some(room.clone()));
        }
        let Some(stored) = db::rooms::load(&self.db, code).await? else {
            return Ok(None);
        };
        let mut room = Room::new(code.to_string(), now_ms());
        room.name = stored.name;
        room.video = stored.video;
        // Nobody is watching after a restart: keep the position, paused.
        room.playback = stored.playback.at(now_ms());
        room.playback.playing = false;
        let mut rooms = self.rooms.lock().unwrap();
        let live = rooms
            .entry(code.to_string())
            .or_insert_with(|| self.live(room));
        Ok(Some(live.clone()))
    }

    pub fn loaded(&self) -> Vec<Arc<LiveRoom>> {
        self.rooms.lock().unwrap().values().cloned().collect()
    }

    /// Forgets a deleted room. Its sockets (there should be none) are told it closed.
    pub fn unload(&self, code: &str) {
        self.rooms.lock().unwrap().remove(code);
    }

    /// A client changed their name: every room they are watching shows it.
    pub fn rename_client(&self, client: ClientId, name: &str) {
        for room in self.loaded() {
            let renamed = room.with(|state| {
                let renamed = state.rename_viewer(client, Some(name.to_string()));
                if renamed {
                    room.broadcast(&ServerMsg::Name {
                        client_id: client,
                        name: name.to_string(),
                        color: color_of(client),
                    });
                }
                renamed
            });
            if renamed {
                room.viewers_changed();
            }
        }
    }
}

impl LiveRoom {
    fn new(room: Room, db: Db, chat_rate: ChatRate) -> Self {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let window_ms = chat_rate.window.as_millis() as u64;
        Self {
            code: room.code.clone(),
            db,
            state: Mutex::new(room),
            chat_limiter: Mutex::new(RateLimiter::new(chat_rate.messages, window_ms)),
            tx,
            viewers_announce_pending: AtomicBool::new(false),
            playback_dirty: AtomicBool::new(false),
            chat_generation: AtomicU64::new(0),
            join_history: Mutex::new(None),
        }
    }

    /// Runs `f` on the room's state. Keep `f` short and free of `.await`: every socket of the room
    /// shares this lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut Room) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    /// Sends `msg` to every socket in the room. Serialised once, whatever the number of viewers.
    pub fn broadcast(&self, msg: &ServerMsg) {
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(msg.to_json().into());
    }

    pub fn mark_playback_dirty(&self) {
        self.playback_dirty.store(true, Ordering::Release);
    }

    pub(crate) fn take_playback_dirty(&self) -> bool {
        self.playback_dirty.swap(false, Ordering::AcqRel)
    }

    /// Announces the viewer list soon, once for every change made in the next [`VIEWERS_BATCH`]
    /// (longer in a large room, see [`VIEWERS_BATCH_PER_VIEWER`]).
    pub fn viewers_changed(self: &Arc<Self>) {
        if self.viewers_announce_pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let viewers = self.with(|state| state.viewer_count()) as u32;
        let window = (VIEWERS_BATCH_PER_VIEWER * viewers).clamp(VIEWERS_BATCH, VIEWERS_BATCH_MAX);
        let room = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            room.viewers_announce_pending
                .store(false, Ordering::Release);
            let msg = room.with(|state| ServerMsg::viewers_of(state));
            room.broadcast(&msg);
        });
    }
}

/// The room's operations. Each changes the state and broadcasts under the same lock, so every socket
/// hears changes in the order they were applied.
impl LiveRoom {
    /// A socket joins: returns its receiver (subscribed before the snapshot is taken, so nothing
    /// is missed in between) and its snapshot.
    pub fn join(
        self: &Arc<Self>,
        client: ClientId,
        name: Option<String>,
    ) -> (broadcast::Receiver<Arc<str>>, ServerMsg) {
        let now = now_ms();
        let (rx, snapshot, joined) = self.with(|room| {
            let rx = self.subscribe();
            let joined = room.join(client, name, now);
            if joined.became_host {
                self.broadcast(&ServerMsg::Host { host: room.host });
            }
            (rx, Self::snapshot_of(room, client, now), joined)
        });
        if joined.new_viewer {
            tracing::info!(room = %self.code, %client, "viewer joined");
            self.viewers_changed();
        }
        (rx, snapshot)
    }

    /// Notes in the database that someone was watching just now (the idle-room clock starts
    /// again).
    pub async fn touch(&self) {
        // At shutdown the database may close before the last sockets finish.
        if self.db.is_closed() {
            return;
        }
        if let Err(error) = db::rooms::touch(&self.db, &self.code, now_ms()).await {
            tracing::warn!(room = %self.code, %error, "could not note room activity");
        }
    }

    pub fn leave(self: &Arc<Self>, client: ClientId) {
        if self.with(|room| room.leave(client)) {
            tracing::info!(room = %self.code, %client, "viewer left");
            self.viewers_changed();
        }
    }

    pub fn snapshot_for(&self, client: ClientId) -> ServerMsg {
        self.with(|room| Self::snapshot_of(room, client, now_ms()))
    }

    fn snapshot_of(room: &Room, client: ClientId, now: u64) -> ServerMsg {
        ServerMsg::Snapshot {
            you: client,
            server_time: now,
            room: RoomView::of(room, now, PUSHED_VIEWERS_LIMIT),
        }
    }

    /// Applies a play, pause or seek and tells everyone. Returns the new state.
    pub fn apply_playback(&self, by: ClientId, action: PlaybackAction, position: f64) -> Playback {
        let playback = self.with(|room| {
            room.command(action, position, now_ms());
            self.broadcast(&ServerMsg::playback(action, &room.playback, by));
            room.playback
        });
        self.mark_playback_dirty();
        tracing::debug!(room = %self.code, %by, ?action, position, "playback");
        playback
    }

    /// The host's periodic report of where it is, relayed to the room when [`Room::heartbeat`]
    /// accepts it.
    pub fn heartbeat(&self, by: ClientId, position: f64, playing: bool) -> bool {
        let accepted = self.with(|room| {
            let now = now_ms();
            if !room.heartbeat(by, position, playing, now) {
                return false;
            }
            self.broadcast(&ServerMsg::Heartbeat {
                position,
                playing,
                by,
                server_time: now,
            });
            true
        });
        if accepted {
            self.mark_playback_dirty();
        }
        accepted
    }

    /// A watching client takes the host role; false when it has no socket in the room.
    pub fn claim_host(&self, client: ClientId) -> bool {
        let claimed = self.with(|room| {
            let changed = !room.is_host(client);
            let claimed = room.claim_host(client);
            if claimed && changed {
                self.broadcast(&ServerMsg::Host { host: room.host });
            }
            claimed
        });
        if claimed {
            tracing::info!(room = %self.code, %client, "host claimed");
        }
        claimed
    }

    /// Hands the host role on when the host has left. Returns whether it changed.
    pub fn reassign_host_if_gone(&self) -> bool {
        let new_host = self.with(|room| {
            let new_host = room.reassign_host_if_gone();
            if new_host.is_some() {
                self.broadcast(&ServerMsg::Host { host: new_host });
            }
            new_host
        });
        if let Some(host) = new_host {
            tracing::info!(room = %self.code, %host, "host reassigned");
        }
        new_host.is_some()
    }

    /// Makes `video` current, paused at 0, and tells everyone.
    pub fn set_video(&self, video: Video) {
        self.with(|room| {
            room.set_video(Some(video), now_ms());
            self.broadcast(&ServerMsg::Video {
                video: room.video.as_ref().map(VideoView::from),
                playback: room.playback.into(),
            });
        });
        tracing::info!(room = %self.code, "video changed");
    }

    /// Asks every viewer to reload the current video; an uploaded file gets a query that gets
    /// past any cached copy.
    pub fn refresh(&self) -> bool {
        let video = self.with(|room| room.video.clone());
        let Some(video) = video else {
            return false;
        };
        let url = match video.file_name() {
            Some(_) => format!("{}?v={}", video.url(), now_ms()),
            None => video.url(),
        };
        self.broadcast(&ServerMsg::Refresh { url });
        true
    }

    pub fn set_name(&self, name: Option<String>) {
        self.with(|room| {
            room.name = name.clone();
            self.broadcast(&ServerMsg::RoomName { name });
        });
    }

    /// Checks, stores and sends a chat message from `client`.
    pub async fn post_chat(&self, client: ClientId, raw: &str) -> Result<(), ProtocolError> {
        let text = clean_message(raw).map_err(|error| {
            let code = match error {
                TextError::MessageTooLong => "message_too_long",
                _ => "empty_message",
            };
            ProtocolError::new(code, error.to_string())
        })?;
        let now = now_ms();
        if !self.chat_limiter.lock().unwrap().allow(client, now) {
            return Err(ProtocolError::new(
                "rate_limited",
                "you are sending messages too fast; wait a few seconds",
            ));
        }
        let name = self.with(|room| room.name_of(client));
        let id = db::messages::insert(&self.db, &self.code, client, name.as_deref(), &text, now)
            .await
            .map_err(|error| {
                tracing::error!(room = %self.code, %error, "could not store a chat message");
                ProtocolError::new("internal", "the message could not be saved")
            })?;
        self.chat_generation.fetch_add(1, Ordering::AcqRel);
        self.broadcast(&ServerMsg::Chat(ChatView {
            id,
            client_id: client,
            name,
            color: color_of(client),
            text,
            sent_at: now,
        }));
        Ok(())
    }

    /// The `history` message for a socket that just joined, as JSON.
    pub async fn join_history(&self) -> sqlx::Result<Arc<str>> {
        let generation = self.chat_generation.load(Ordering::Acquire);
        if let Some((cached, json)) = &*self.join_history.lock().unwrap()
            && *cached == generation
        {
            return Ok(json.clone());
        }
        let json: Arc<str> = self.history().await?.to_json().into();
        let mut cache = self.join_history.lock().unwrap();
        // A message stored meanwhile may be missing from what was read: use it, do not keep it.
        if self.chat_generation.load(Ordering::Acquire) == generation {
            *cache = Some((generation, json.clone()));
        }
        Ok(json)
    }

    /// The latest messages, oldest first.
    async fn history(&self) -> sqlx::Result<ServerMsg> {
        let stored = db::messages::page(&self.db, &self.code, None, JOIN_HISTORY).await?;
        let full_page = stored.len() >= JOIN_HISTORY as usize;
        let messages: Vec<_> = stored
            .into_iter()
            .filter_map(ChatView::from_stored)
            .collect();
        let (messages, cut) = newest_within(messages, JOIN_HISTORY_BYTES);
        Ok(ServerMsg::History {
            messages,
            has_more: full_page || cut,
        })
    }
}

/// The newest of `messages` (oldest first) whose JSON fits in `budget` bytes, always at least the
/// newest one; and whether any were left out.
fn newest_within(mut messages: Vec<ChatView>, budget: usize) -> (Vec<ChatView>, bool) {
    let mut used = 0;
    let mut keep = 0;
    for message in messages.iter().rev() {
        used += serde_json::to_string(message).map_or(0, |json| json.len() + 1);
        if keep > 0 && used > budget {
            break;
        }
        keep += 1;
    }
    let cut = messages.len() - keep;
    (messages.split_off(cut), cut > 0)
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

    fn message(id: i64, text: &str) -> ChatView {
        ChatView {
            id,
            client_id: ClientId(uuid::Uuid::nil()),
            name: None,
            color: String::new(),
            text: text.to_string(),
            sent_at: 0,
        }
    }

    #[test]
    fn join_history_keeps_the_newest_messages_that_fit() {
        let short: Vec<_> = (0..5).map(|id| message(id, "hi")).collect();
        let (kept, cut) = newest_within(short, 8 * 1024);
        assert_eq!(kept.len(), 5);
        assert!(!cut);

        let long = "x".repeat(2000);
        let messages: Vec<_> = (0..10).map(|id| message(id, &long)).collect();
        let (kept, cut) = newest_within(messages, 8 * 1024);
        let ids: Vec<_> = kept.iter().map(|m| m.id).collect();
        assert_eq!(
            ids,
            [7, 8, 9],
            "three messages of about 2.1 KB fit in 8 KiB"
        );
        assert!(cut);
    }

    #[test]
    fn join_history_always_has_the_newest_message() {
        let huge = "x".repeat(20_000);
        let (kept, cut) = newest_within(vec![message(1, "a"), message(2, &huge)], 8 * 1024);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, 2);
        assert!(cut);
        let (kept, cut) = newest_within(Vec::new(), 8 * 1024);
        assert!(kept.is_empty() && !cut);
    }
}
