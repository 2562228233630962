//! The task that owns one loaded room. It applies the room's commands one at a time, each with its
//! database write, its change in memory and its broadcast, in that order, so every socket hears
//! changes in the order they were applied and the database never disagrees with memory. Its own
//! timers run in the same loop: the host check, saving playback behind the sockets' backs (a seek
//! never waits for a disk write), batched viewer announcements, and leaving memory when idle.

use std::{net::IpAddr, pin::Pin, sync::Arc, time::Duration};

use tokio::{
    sync::{broadcast, mpsc},
    time::{Instant, MissedTickBehavior, Sleep},
};

use super::{
    chat::{Chat, Posted},
    handle::{Command, Denied, End, PasswordChange, RoomHandle, Welcome},
    ownership::Ownership,
    processing::RoomJobs,
    registry::Hub,
    uploads::UploadActivity,
};

mod subtitles;
use crate::{
    client::{ClientId, color_of},
    clock::now_ms,
    db,
    limits::{KeyedLimit, Limit},
    protocol::{PUSHED_VIEWERS_LIMIT, ServerMsg, WaitView},
    room::{
        JoinRefused, Kick, PlaybackAction, QueueError, QueueItem, Room, Settings, Video,
        WaitChange, WaitOver,
    },
    subtitles::Track,
    view::{QueueItemView, RoomView, SettingsView, VideoView, ViewerView},
};

/// Messages a socket may fall behind by before it is sent a fresh snapshot instead.
const BROADCAST_CAPACITY: usize = 256;
/// Kicks a socket may fall behind by. One that falls further behind closes and reconnects, and the
/// room refuses it then if it was among them (`ws/session.rs`).
const KICKS_CAPACITY: usize = 16;
/// How often changed playback state is written to the database.
const PERSIST_PERIOD: Duration = Duration::from_secs(1);
/// While people watch, the room's activity time in the database is renewed this often (playback
/// changes renew it too), so the expiry sweep sees a watched room as active.
const ACTIVITY_PERIOD: Duration = Duration::from_secs(60);
/// Joins and leaves within this window are announced in one `viewers` message, so a crowd
/// arriving at once costs a few broadcasts instead of one per arrival.
const VIEWERS_BATCH: Duration = Duration::from_millis(100);
/// A large room waits longer between announcements: each one sends the viewer list (up to 20
/// entries, about 2 KB) to every socket, so while a crowd of 10,000 arrives, announcing every
/// 100 ms would copy hundreds of megabytes a second. The window grows by this much per viewer,
/// up to the cap.
const VIEWERS_BATCH_PER_VIEWER: Duration = Duration::from_micros(100);
const VIEWERS_BATCH_MAX: Duration = Duration::from_secs(2);
/// A status report is announced no sooner than this after the last announcement: pages report
/// up to twice a second each, and each announcement goes to everyone.
const STATUS_ANNOUNCE_GAP: Duration = Duration::from_secs(1);

/// Sent on a room's broadcast channel to this node's sockets alone: each asks the room for a fresh
/// snapshot (`ws/session.rs`), as after falling behind.
pub const RESYNC: &str = "";

/// A room's broadcast channels. In cluster mode they outlive one spell of owning or relaying the
/// room, so the sockets of a node that takes a room over keep theirs.
#[derive(Clone)]
pub(super) struct Channels {
    pub(super) broadcasts: broadcast::Sender<Arc<str>>,
    pub(super) kicks: broadcast::Sender<ClientId>,
}

impl Channels {
    pub(super) fn new() -> Self {
        Self {
            broadcasts: broadcast::channel(BROADCAST_CAPACITY).0,
            kicks: broadcast::channel(KICKS_CAPACITY).0,
        }
    }
}

/// A socket of this node joined to the room before this node owned it: it joins again on load.
pub(super) type Rejoin = (ClientId, IpAddr, Option<String>);

/// Runs the room until it leaves memory, is deleted, or the server stops; then tells whoever still
/// holds its handle why, and drops the commands still queued (their senders hear the same).
pub(super) async fn run(hub: Hub, handle: RoomHandle, mut queue: mpsc::Receiver<Command>) {
    let end_note = handle.end_note();
    let end = match hub.cluster_link() {
        Some(link) => super::remote::run(&hub, link, handle.code(), &mut queue).await,
        None => {
            serve_here(
                &hub,
                handle.code(),
                &mut queue,
                Channels::new(),
                None,
                Vec::new(),
            )
            .await
        }
    };
    let _ = end_note.set(end);
    hub.forget(handle.code(), &end_note);
    queue.close();
    while queue.try_recv().is_ok() {}
}

/// Loads the room and applies its commands here. `ownership` in cluster mode; `rejoin`: this
/// node's sockets that were joined to the room's previous owner.
pub(super) async fn serve_here(
    hub: &Hub,
    code: &str,
    queue: &mut mpsc::Receiver<Command>,
    channels: Channels,
    ownership: Option<Ownership>,
    rejoin: Vec<Rejoin>,
) -> End {
    // Taken over with this node's sockets watching: a playing room plays on.
    match load(hub, code, !rejoin.is_empty()).await {
        Ok(Some((room, tracks))) => {
            let _loaded = hub.shared().metrics.room_loaded();
            // Another node may have set or cleared the password since this one read the list.
            hub.note_protected(code, room.password.is_some());
            let mut live = LiveRoom::new(hub.clone(), room, channels);
            live.subtitles = tracks;
            live.ownership = ownership;
            if !rejoin.is_empty() {
                for (client, address, name) in rejoin {
                    let _ = live.join(client, address, name).await;
                }
                let _ = live.broadcasts.send(RESYNC.into());
            }
            live.serve(queue).await
        }
        Ok(None) => End::Missing,
        Err(error) => {
            tracing::error!(room = %code, %error, "could not load a room");
            End::Failed
        }
    }
}

/// The room as stored, with its video's subtitle tracks; None when there is no such room.
/// `watched`: people are watching it on another node's behalf (a takeover in cluster mode).
async fn load(
    hub: &Hub,
    code: &str,
    watched: bool,
) -> sqlx::Result<Option<(Room<ClientId>, Vec<Track>)>> {
    let now = now_ms();
    let Some(stored) = db::rooms::load(hub.db(), code, now).await? else {
        return Ok(None);
    };
    let settings = hub.shared().settings;
    let mut room = Room::new(
        code.to_string(),
        now,
        settings.host_grace.as_millis() as u64,
    );
    room.set_wait_policy(settings.wait);
    room.name = stored.name;
    room.video = stored.video;
    room.owner = stored.owner;
    room.settings = stored.settings;
    room.password = stored.password;
    for member in stored.members {
        room.restore_member(member);
    }
    for (client, kick) in stored.kicks {
        room.restore_kick(client, kick);
    }
    for item in db::queue::load(hub.db(), code).await? {
        // A queue longer than the limit cannot be stored: the limit holds when adding.
        let _ = room.enqueue(item);
    }
    // Nobody is watching when a room loads: keep the position, paused. A room taken over from a
    // node that died goes on as it was: every start was saved before the other nodes heard it.
    room.playback = match watched {
        true => stored.playback.at(now),
        false => stored.playback.paused_as_of(now),
    };
    let tracks = match &room.video {
        Some(video) => db::subtitles::list(hub.db(), video.id).await?,
        None => Vec::new(),
    };
    Ok(Some((room, tracks)))
}

struct LiveRoom {
    hub: Hub,
    room: Room<ClientId>,
    broadcasts: broadcast::Sender<Arc<str>>,
    /// Clients kicked out: their sockets close.
    kicks: broadcast::Sender<ClientId>,
    chat: Chat,
    /// Play, pause and seek per client.
    commands: KeyedLimit<ClientId>,
    refreshes: Limit,
    uploads: Arc<UploadActivity>,
    /// The current video's subtitle tracks, oldest first.
    subtitles: Vec<Track>,
    /// Uploads being made playable (each holds an upload guard, so the room stays meanwhile).
    jobs: RoomJobs,
    /// Playback changed since it was last written to the database.
    playback_dirty: bool,
    /// When the activity time was last written.
    activity_written: Instant,
    /// When the pending viewer announcement goes out.
    announce_at: Option<Instant>,
    /// When the last one went out.
    announced_at: Option<Instant>,
    /// When the room leaves memory unless someone comes.
    unload_at: Option<Instant>,
    /// When the wait for buffering viewers reaches its deadline.
    wait_deadline_at: Option<Instant>,
    /// When the grace of a start is over and someone said they were buffering within it.
    buffering_recheck_at: Option<Instant>,
    /// Cluster mode: the lease, and the broadcasts the other nodes relay.
    ownership: Option<Ownership>,
}

impl LiveRoom {
    fn new(hub: Hub, room: Room<ClientId>, channels: Channels) -> Self {
        let settings = hub.shared().settings;
        Self {
            hub,
            room,
            broadcasts: channels.broadcasts,
            kicks: channels.kicks,
            chat: Chat::new(settings.chat),
            commands: KeyedLimit::new(settings.commands),
            refreshes: Limit::new(settings.refreshes),
            uploads: Arc::default(),
            subtitles: Vec::new(),
            jobs: RoomJobs::default(),
            playback_dirty: false,
            activity_written: Instant::now(),
            announce_at: None,
            announced_at: None,
            unload_at: Some(Instant::now() + settings.unload_after),
            wait_deadline_at: None,
            buffering_recheck_at: None,
            ownership: None,
        }
    }

    fn code(&self) -> &str {
        &self.room.code
    }

    async fn serve(mut self, queue: &mut mpsc::Receiver<Command>) -> End {
        let settings = self.hub.shared().settings;
        let token = self.hub.shared().stopping.clone();
        // Made once: a fresh one per command would register with the shared token each time.
        let stopping = token.cancelled();
        tokio::pin!(stopping);
        let mut host_check = tokio::time::interval(settings.host_check);
        host_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut persist = tokio::time::interval(PERSIST_PERIOD);
        persist.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let mut announce = Box::pin(tokio::time::sleep_until(far));
        let mut unload = Box::pin(tokio::time::sleep_until(far));
        let mut wait_deadline = Box::pin(tokio::time::sleep_until(far));
        let mut buffering_recheck = Box::pin(tokio::time::sleep_until(far));
        let renew_period = self.ownership.as_ref().map(Ownership::renew_period);
        let mut renew = tokio::time::interval(renew_period.unwrap_or(Duration::from_secs(3600)));
        renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            rearm(&mut announce, self.announce_at, far);
            rearm(&mut unload, self.unload_at, far);
            rearm(&mut wait_deadline, self.wait_deadline_at, far);
            rearm(&mut buffering_recheck, self.buffering_recheck_at, far);
            tokio::select! {
                command = queue.recv() => {
                    // Every handle is gone: nobody can reach the room any more.
                    let Some(command) = command else { return End::Unloaded };
                    if let Some(end) = self.apply(command).await {
                        return end;
                    }
                }
                _ = host_check.tick() => self.check_host(),
                _ = persist.tick() => self.persist().await,
                () = &mut announce, if self.announce_at.is_some() => self.announce_viewers(),
                () = &mut wait_deadline, if self.wait_deadline_at.is_some() => self.wait_deadline(),
                () = &mut buffering_recheck, if self.buffering_recheck_at.is_some() => self.recheck_buffering(),
                () = &mut unload, if self.unload_at.is_some() => {
                    if self.unload_if_idle().await {
                        return End::Unloaded;
                    }
                }
                () = &mut stopping => {
                    self.persist().await;
                    return End::Stopped;
                }
                _ = renew.tick(), if renew_period.is_some() => {
                    if self.lease_lost().await {
                        self.persist().await;
                        return End::Handover;
                    }
                }
            }
            self.publish().await;
        }
    }

    /// Cluster mode: publishes what the last command broadcast, once its changes are stored.
    async fn publish(&mut self) {
        if !self.ownership.as_ref().is_some_and(Ownership::has_pending) {
            return;
        }
        if self.playback_dirty {
            self.persist().await;
        }
        let code = self.room.code.clone();
        if let Some(ownership) = &mut self.ownership {
            ownership.publish(&code);
        }
    }

    async fn lease_lost(&self) -> bool {
        match &self.ownership {
            Some(ownership) => ownership.lost(self.code()).await,
            None => false,
        }
    }

    /// Applies one command; Some when the room ends with it.
    async fn apply(&mut self, command: Command) -> Option<End> {
        self.hub.shared().metrics.command(command.kind());
        match command {
            Command::Join {
                client,
                address,
                name,
                reply,
            } => {
                let welcome = self.join(client, address, name).await;
                let joined = welcome.is_ok();
                // The socket gave up waiting: it will never leave, so leave for it.
                if reply.send(welcome).is_err() && joined {
                    self.leave(client).await;
                }
            }
            Command::Leave { client } => self.leave(client).await,
            Command::Admit { client, reply } => {
                let _ = reply.send(self.room.may_enter(client));
            }
            Command::PasswordHash { reply } => {
                let _ = reply.send(self.room.password.clone());
            }
            Command::AddMember {
                client,
                address,
                reply,
            } => {
                let admitted = self.room.admit_member(client, address, now_ms());
                if admitted.is_ok()
                    && let Err(error) =
                        db::rooms::add_member(self.hub.db(), &self.room.code, client).await
                {
                    // A member while the room is loaded all the same; asked again after.
                    tracing::error!(room = %self.code(), %error, "could not save a member");
                }
                let _ = reply.send(admitted);
            }
            Command::Playback {
                by,
                action,
                position,
                reply,
            } => {
                let applied = self.may_control(by).and_then(|()| {
                    self.commands.check(&by)?;
                    let now = now_ms();
                    if self.room.command(action, position, now).wait_cancelled {
                        self.wait_over(WaitOver::Cancelled, now);
                    }
                    self.broadcast(&ServerMsg::playback(
                        action,
                        &self.room.playback,
                        Some(by),
                        now,
                    ));
                    self.playback_dirty = true;
                    tracing::debug!(room = %self.code(), %by, ?action, position, "playback");
                    Ok(self.room.playback)
                });
                let _ = reply.send(applied);
            }
            Command::Heartbeat {
                by,
                position,
                playing,
            } => {
                let now = now_ms();
                if self.room.heartbeat(by, position, playing, now) {
                    self.broadcast(&ServerMsg::Heartbeat {
                        position,
                        playing,
                        by,
                        server_time: now,
                    });
                    self.playback_dirty = true;
                }
            }
            Command::Status {
                client,
                status,
                reply,
            } => {
                let now = now_ms();
                let reported = self.room.report_status(client, status, now);
                if reported.list_changed {
                    self.status_changed();
                }
                let catch_up = matches!(reported.wait, Some(WaitChange::CatchUp));
                if let Some(change) = reported.wait {
                    self.wait_changed(change, now);
                }
                self.arm_buffering_recheck(now);
                let _ = reply.send(catch_up);
            }
            Command::ClaimHost { client, reply } => {
                let claimed = match self.room.may_claim_host(client) {
                    true => Ok(self.claim_host(client)),
                    false => Err(Denied::NotAllowed),
                };
                let _ = reply.send(claimed);
            }
            Command::SetVideo { by, video, reply } => {
                if let Err(denied) = self.may_control(by) {
                    let _ = reply.send(Err(denied));
                    return None;
                }
                match self.set_video(video).await {
                    Ok(true) => {
                        let _ = reply.send(Ok(()));
                    }
                    // The row is gone: the room was deleted behind our back; so is this copy.
                    Ok(false) => return Some(End::Missing),
                    Err(error) => {
                        let _ = reply.send(Err(error.into()));
                    }
                }
            }
            Command::Refresh { by, reply } => {
                let refreshed = self.may_control(by).and_then(|()| match self.room.video {
                    None => Ok(false),
                    Some(_) => {
                        self.refreshes.check()?;
                        Ok(self.refresh())
                    }
                });
                let _ = reply.send(refreshed);
            }
            Command::Rename { name, reply } => {
                let _ = reply.send(self.rename(name).await.map_err(Denied::from));
            }
            Command::ChangeSettings {
                by,
                settings,
                password,
                reply,
            } => {
                let _ = reply.send(self.change_settings(by, settings, password).await);
            }
            Command::HandOwnership { by, to, reply } => {
                let _ = reply.send(self.hand_ownership(by, to).await);
            }
            Command::Kick { by, target, reply } => {
                let _ = reply.send(self.kick(by, target).await);
            }
            Command::RenameViewer { client, name } => {
                if self.room.rename_viewer(client, Some(name.clone())) {
                    self.broadcast(&ServerMsg::Name {
                        client_id: client,
                        name,
                        color: color_of(client),
                    });
                    self.viewers_changed();
                }
            }
            Command::Chat {
                client,
                address,
                text,
                reply,
            } => {
                let message = Posted {
                    client,
                    address,
                    name: self.room.name_of(client),
                    text: &text,
                    now: now_ms(),
                };
                let shared = self.hub.shared();
                let posted = self
                    .chat
                    .post(
                        &shared.db,
                        &self.room.code,
                        &shared.address_limits.chat,
                        message,
                    )
                    .await;
                let _ = reply.send(posted.map(|message| {
                    self.broadcast(&ServerMsg::Chat(message));
                }));
            }
            Command::Snapshot { client, reply } => {
                let _ = reply.send(self.snapshot(client).to_json());
            }
            Command::Exists { reply } => {
                let _ = reply.send(true);
            }
            Command::View {
                viewer_limit,
                reply,
            } => {
                let mut view = RoomView::of(&self.room, now_ms(), viewer_limit);
                view.subtitles = self.subtitle_views();
                let _ = reply.send(view);
            }
            Command::Viewers { reply } => {
                let _ = reply.send(ViewerView::list(&self.room, usize::MAX));
            }
            Command::BeginUpload { by, reply } => {
                let began = self.may_control(by).map(|()| self.uploads.begin(now_ms()));
                let _ = reply.send(began);
            }
            Command::QueueAdd { by, video, reply } => {
                let _ = reply.send(self.queue_add(by, video).await);
            }
            Command::QueueRemove {
                by,
                video_id,
                reply,
            } => {
                let _ = reply.send(self.queue_remove(by, video_id).await);
            }
            Command::QueueReorder { by, ids, reply } => {
                let _ = reply.send(self.queue_reorder(by, ids).await);
            }
            Command::QueueNext { by, reply } => {
                let skipped = match self.may_control(by) {
                    Ok(()) => self.advance(by, self.room.playback.playing).await,
                    Err(denied) => Err(denied),
                };
                let _ = reply.send(skipped);
            }
            Command::Ended {
                by,
                video_id,
                duration,
            } => {
                // The probed duration, when known, rather than what the host's page says.
                let duration = self
                    .room
                    .video
                    .as_ref()
                    .and_then(|video| video.info.duration)
                    .unwrap_or(duration);
                if self.room.has_ended(by, video_id, duration, now_ms())
                    && let Err(error) = self.advance(by, true).await
                {
                    tracing::error!(room = %self.code(), %error, "could not play the next video");
                }
            }
            Command::AddSubtitles {
                by,
                video_id,
                track,
                reply,
            } => {
                let _ = reply.send(self.add_subtitles(by, video_id, track).await);
            }
            Command::RemoveSubtitles { by, id, reply } => {
                let _ = reply.send(self.remove_subtitles(by, id).await);
            }
            Command::Processing { job, cancel, reply } => {
                self.broadcast(&ServerMsg::Processing(job.clone()));
                self.jobs.update(job, cancel);
                let _ = reply.send(());
            }
            Command::CancelProcessing { by, job, reply } => {
                let manages = self.room.is_host(by) || self.room.is_owner(by);
                let _ = reply.send(self.jobs.cancel(job, by, manages));
            }
            Command::ExpireIfIdle { cutoff, reply } => {
                let expired = self.expire_if_idle(cutoff).await;
                let gone = matches!(expired, Ok(true));
                let _ = reply.send(expired);
                if gone {
                    return Some(End::Missing);
                }
            }
        }
        None
    }

    /// Sends `msg` to every socket in the room. Serialised once, whatever the number of viewers.
    fn broadcast(&self, msg: &ServerMsg) {
        let json: Arc<str> = msg.to_json().into();
        if let Some(ownership) = &self.ownership {
            ownership.queue(json.clone());
        }
        // No receivers is fine: nobody is watching.
        let _ = self.broadcasts.send(json);
    }

    fn snapshot(&self, client: ClientId) -> ServerMsg {
        let now = now_ms();
        ServerMsg::Snapshot {
            you: client,
            server_time: now,
            room: Box::new(RoomView {
                subtitles: self.subtitle_views(),
                ..RoomView::of(&self.room, now, PUSHED_VIEWERS_LIMIT)
            }),
            processing: self.jobs.views(),
            wait: self.room.wait().map(|wait| WaitView::of(&self.room, wait)),
        }
    }

    async fn join(
        &mut self,
        client: ClientId,
        address: IpAddr,
        name: Option<String>,
    ) -> Result<Welcome, JoinRefused> {
        // Subscribed before the snapshot is taken, so nothing is missed in between.
        let broadcasts = self.broadcasts.subscribe();
        let kicks = self.kicks.subscribe();
        let joined = self.room.join(client, name, now_ms())?;
        self.room.note_address(client, address);
        if joined.became_owner {
            self.save_owner().await;
        }
        if joined.became_host {
            self.broadcast(&ServerMsg::Host {
                host: self.room.host,
            });
        }
        if joined.new_viewer {
            tracing::info!(room = %self.code(), %client, "viewer joined");
            self.viewers_changed();
        }
        self.unload_at = None;
        let snapshot = self.snapshot(client).to_json();
        let db = self.hub.db().clone();
        let history = match self.chat.join_history(&db, &self.room.code).await {
            Ok(history) => Some(history),
            Err(error) => {
                tracing::error!(room = %self.code(), %error, "could not load chat history");
                None
            }
        };
        Ok(Welcome {
            broadcasts,
            kicks,
            snapshot,
            history,
        })
    }

    async fn leave(&mut self, client: ClientId) {
        let now = now_ms();
        if !self.room.leave(client, now) {
            return;
        }
        tracing::info!(room = %self.code(), %client, "viewer left");
        if let Some(change) = self.room.stop_waiting_for(client, now) {
            self.wait_changed(change, now);
        }
        self.viewers_changed();
        if self.room.viewer_count() == 0 {
            // The idle clocks start now: the expiry's in the database, the unload's here.
            self.write_activity(now_ms()).await;
            self.unload_at = Some(Instant::now() + self.hub.shared().settings.unload_after);
        }
    }

    fn claim_host(&mut self, client: ClientId) -> bool {
        let changed = !self.room.is_host(client);
        if !self.room.claim_host(client) {
            return false;
        }
        if changed {
            self.broadcast(&ServerMsg::Host {
                host: self.room.host,
            });
            tracing::info!(room = %self.code(), %client, "host claimed");
        }
        true
    }

    fn may_control(&self, client: ClientId) -> Result<(), Denied> {
        match self.room.may_control(client) {
            true => Ok(()),
            false => Err(Denied::NotAllowed),
        }
    }

    /// Writes the owner (logged when it fails: the room keeps working, and its next load has the
    /// old owner).
    async fn save_owner(&self) {
        let Some(owner) = self.room.owner else {
            return;
        };
        if let Err(error) = db::rooms::set_owner(self.hub.db(), &self.room.code, owner).await {
            tracing::error!(room = %self.code(), %error, "could not save the room's owner");
        }
    }

    async fn change_settings(
        &mut self,
        by: ClientId,
        settings: Settings,
        password: PasswordChange,
    ) -> Result<(), Denied> {
        if !self.room.is_owner(by) {
            return Err(Denied::NotAllowed);
        }
        let db = self.hub.db();
        db::rooms::save_settings(db, &self.room.code, &settings).await?;
        self.room.change_settings(by, settings)?;
        let hash = match password {
            PasswordChange::Keep => None,
            PasswordChange::Clear => Some(None),
            PasswordChange::Set(hash) => Some(Some(hash)),
        };
        if let Some(hash) = hash {
            // Everyone watching now keeps watching: they become members.
            let watching: Vec<_> = self
                .room
                .viewers(usize::MAX)
                .into_iter()
                .map(|viewer| viewer.client_id)
                .collect();
            db::rooms::save_password(db, &self.room.code, hash.as_deref(), &watching).await?;
            self.hub.note_protected(&self.room.code, hash.is_some());
            self.room.set_password(hash);
        }
        self.broadcast(&ServerMsg::Settings {
            settings: SettingsView::of(&self.room),
        });
        tracing::info!(room = %self.code(), ?settings, password = self.room.password.is_some(), "settings changed");
        Ok(())
    }

    async fn hand_ownership(&mut self, by: ClientId, to: ClientId) -> Result<(), Denied> {
        if !self.room.is_owner(by) || !self.room.is_watching(to) {
            return Err(Denied::NotAllowed);
        }
        db::rooms::set_owner(self.hub.db(), &self.room.code, to).await?;
        let host_before = self.room.host;
        self.room.hand_ownership(by, to)?;
        self.broadcast(&ServerMsg::Owner { owner: Some(to) });
        if self.room.host != host_before {
            self.broadcast(&ServerMsg::Host {
                host: self.room.host,
            });
        }
        self.viewers_changed();
        tracing::info!(room = %self.code(), %by, %to, "ownership handed on");
        Ok(())
    }

    async fn kick(&mut self, by: ClientId, target: ClientId) -> Result<(), Denied> {
        let host_before = self.room.host;
        let until = self.room.kick(by, target, now_ms())?;
        let kick = self.room.kick_of(target).unwrap_or(Kick {
            until,
            address: None,
        });
        if let Err(error) = db::rooms::save_kick(self.hub.db(), &self.room.code, target, kick).await
        {
            // Kept in memory all the same: the kick holds while the room is loaded.
            tracing::error!(room = %self.code(), %error, "could not save a kick");
        }
        let _ = self.kicks.send(target);
        self.broadcast(&ServerMsg::Kicked {
            client_id: target,
            until,
        });
        if self.room.host != host_before {
            self.broadcast(&ServerMsg::Host {
                host: self.room.host,
            });
        }
        tracing::info!(room = %self.code(), %by, %target, "client kicked");
        Ok(())
    }

    /// Hands the host role on when the host has been gone for the grace period.
    fn check_host(&mut self) {
        if let Some(host) = self.room.reassign_host_if_gone(now_ms()) {
            self.broadcast(&ServerMsg::Host { host: Some(host) });
            tracing::info!(room = %self.code(), %host, "host reassigned");
        }
    }

    /// Stores `video` as the current one, then shows it; false when the room's row is gone.
    async fn set_video(&mut self, video: Video) -> sqlx::Result<bool> {
        let now = now_ms();
        let shared = self.hub.shared();
        let replaced =
            db::videos::replace_room_video(&shared.db, &self.room.code, &video, now).await?;
        let Some(previous) = replaced else {
            return Ok(false);
        };
        if let Some(file_name) = video.file_name() {
            shared.media.register(file_name, &self.room.code);
        }
        if let Some(previous) = previous {
            shared.media.remove(&previous);
        }
        tracing::info!(room = %self.code(), kind = video.kind(), file = ?video.file_name(), "video changed");
        if self.room.set_video(Some(video), now) {
            self.wait_over(WaitOver::Cancelled, now);
        }
        // Stored as it is now (paused at 0) by the same transaction.
        self.playback_dirty = false;
        self.broadcast(&ServerMsg::Video {
            video: self.room.video.as_ref().map(VideoView::from),
            playback: self.room.playback.into(),
        });
        self.drop_subtitles();
        Ok(true)
    }

    async fn queue_add(&mut self, by: ClientId, video: Video) -> Result<QueueItemView, Denied> {
        self.may_control(by)?;
        self.room.check_queue_room()?;
        let item = QueueItem {
            video,
            added_by: by,
            added_by_name: self.room.name_of(by),
            added_at: now_ms(),
        };
        let shared = self.hub.shared();
        db::queue::add(&shared.db, &self.room.code, &item).await?;
        if let Some(file_name) = item.video.file_name() {
            shared.media.register(file_name, &self.room.code);
        }
        let view = QueueItemView::from(&item);
        self.room.enqueue(item)?;
        self.queue_changed();
        Ok(view)
    }

    async fn queue_remove(&mut self, by: ClientId, video_id: i64) -> Result<(), Denied> {
        self.may_control(by)?;
        if !self
            .room
            .queue()
            .iter()
            .any(|item| item.video.id == video_id)
        {
            return Err(QueueError::NoSuchItem.into());
        }
        let shared = self.hub.shared();
        if let Some(file) = db::queue::remove(&shared.db, video_id).await? {
            shared.media.remove(&file);
        }
        self.room.dequeue(video_id)?;
        self.queue_changed();
        Ok(())
    }

    async fn queue_reorder(&mut self, by: ClientId, ids: Vec<i64>) -> Result<(), Denied> {
        self.may_control(by)?;
        // Checked first, so the database is only told a valid order.
        self.room.check_order(&ids)?;
        db::queue::reorder(self.hub.db(), &self.room.code, &ids).await?;
        self.room.reorder_queue(&ids)?;
        self.queue_changed();
        Ok(())
    }

    /// Makes the next queued video current, playing from its start when `play`; false when the
    /// queue is empty.
    async fn advance(&mut self, by: ClientId, play: bool) -> Result<bool, Denied> {
        let Some(next) = self.room.queue().first().cloned() else {
            return Ok(false);
        };
        let now = now_ms();
        let shared = self.hub.shared();
        let Some(previous) =
            db::queue::promote(&shared.db, &self.room.code, next.video.id, now).await?
        else {
            return Ok(false);
        };
        if let Some(previous) = previous {
            shared.media.remove(&previous);
        }
        self.room.take_next();
        tracing::info!(room = %self.code(), video = next.video.id, "next in the queue");
        if self.room.set_video(Some(next.video), now) {
            self.wait_over(WaitOver::Cancelled, now);
        }
        self.broadcast(&ServerMsg::Video {
            video: self.room.video.as_ref().map(VideoView::from),
            playback: self.room.playback.into(),
        });
        self.drop_subtitles();
        self.find_subtitles();
        self.queue_changed();
        if play {
            self.room.command(PlaybackAction::Play, 0.0, now);
            self.broadcast(&ServerMsg::playback(
                PlaybackAction::Play,
                &self.room.playback,
                Some(by),
                now,
            ));
            self.playback_dirty = true;
        }
        Ok(true)
    }

    /// Tells everyone what changed about the room's wait for buffering viewers (already applied
    /// to its playback), and sets the deadline's timer. A catch-up is for the reporting socket
    /// alone: its caller answers it.
    fn wait_changed(&mut self, change: WaitChange<ClientId>, now: u64) {
        match change {
            WaitChange::Started(wait) => {
                self.broadcast(&ServerMsg::playback(
                    PlaybackAction::Pause,
                    &self.room.playback,
                    None,
                    now,
                ));
                self.broadcast(&ServerMsg::wait_of(&self.room, &wait));
                let left = Duration::from_millis(wait.until.saturating_sub(now));
                self.wait_deadline_at = Some(Instant::now() + left);
                self.playback_dirty = true;
                tracing::info!(room = %self.code(), waiting_for = ?wait.waiting_for, "waiting for buffering viewers");
            }
            WaitChange::Changed(wait) => self.broadcast(&ServerMsg::wait_of(&self.room, &wait)),
            WaitChange::Over(reason) => self.wait_over(reason, now),
            WaitChange::CatchUp => {}
        }
    }

    /// The wait ended (the room's playback already says so): everyone hears why, then, unless a
    /// person's command ended it, the scheduled start.
    fn wait_over(&mut self, reason: WaitOver, now: u64) {
        self.wait_deadline_at = None;
        self.broadcast(&ServerMsg::WaitOver {
            reason: reason.as_str(),
        });
        if reason.resumes() {
            self.broadcast(&ServerMsg::playback(
                PlaybackAction::Play,
                &self.room.playback,
                None,
                now,
            ));
            self.playback_dirty = true;
        }
        tracing::info!(room = %self.code(), reason = reason.as_str(), "wait over");
    }

    /// The deadline's timer fired: the wait ends, unless the server clock says it is a little
    /// early yet (the timer runs on another clock), then the timer is set again.
    fn wait_deadline(&mut self) {
        let now = now_ms();
        if let Some(change) = self.room.wait_deadline(now) {
            self.wait_changed(change, now);
            return;
        }
        self.wait_deadline_at = self.room.wait().map(|wait| {
            Instant::now() + Duration::from_millis(wait.until.saturating_sub(now).max(1))
        });
    }

    /// The recheck's timer fired: a stall reported within a start's grace makes the room wait if it
    /// still goes on; the timer is set again when the room started anew in between.
    fn recheck_buffering(&mut self) {
        let now = now_ms();
        if let Some(change) = self.room.recheck_buffering(now) {
            self.wait_changed(change, now);
        }
        self.arm_buffering_recheck(now);
    }

    fn arm_buffering_recheck(&mut self, now: u64) {
        self.buffering_recheck_at = self
            .room
            .buffering_recheck_at()
            .map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now).max(1)));
    }

    fn queue_changed(&self) {
        self.broadcast(&ServerMsg::Queue {
            queue: QueueItemView::list(&self.room),
        });
    }

    /// Asks every viewer to reload the current video; an uploaded file gets a query that gets past
    /// any cached copy.
    fn refresh(&self) -> bool {
        let Some(video) = &self.room.video else {
            return false;
        };
        let url = match video.file_name() {
            Some(_) => format!("{}?v={}", video.url(), now_ms()),
            None => video.url(),
        };
        self.broadcast(&ServerMsg::Refresh { url });
        true
    }

    async fn rename(&mut self, name: Option<String>) -> sqlx::Result<()> {
        db::rooms::set_name(self.hub.db(), &self.room.code, name.as_deref()).await?;
        self.room.name = name.clone();
        self.broadcast(&ServerMsg::RoomName { name });
        Ok(())
    }

    /// Announces the viewer list soon, once for every change made in the next [`VIEWERS_BATCH`]
    /// (longer in a large room, see [`VIEWERS_BATCH_PER_VIEWER`]).
    fn viewers_changed(&mut self) {
        if self.announce_at.is_some() {
            return;
        }
        let viewers = self.room.viewer_count() as u32;
        let window = (VIEWERS_BATCH_PER_VIEWER * viewers).clamp(VIEWERS_BATCH, VIEWERS_BATCH_MAX);
        self.announce_at = Some(Instant::now() + window);
    }

    /// Announces the viewer list with a changed status, like [`Self::viewers_changed`] but at
    /// most once per [`STATUS_ANNOUNCE_GAP`].
    fn status_changed(&mut self) {
        self.viewers_changed();
        if let (Some(at), Some(last)) = (self.announce_at, self.announced_at) {
            self.announce_at = Some(at.max(last + STATUS_ANNOUNCE_GAP));
        }
    }

    fn announce_viewers(&mut self) {
        self.announce_at = None;
        self.announced_at = Some(Instant::now());
        self.broadcast(&ServerMsg::viewers_of(&self.room));
    }

    /// Writes changed playback state (which also renews the activity time), or renews the activity
    /// time alone while people watch.
    async fn persist(&mut self) {
        let now = now_ms();
        if self.playback_dirty {
            let saved =
                db::rooms::save_playback(self.hub.db(), &self.room.code, &self.room.playback, now)
                    .await;
            match saved {
                Ok(()) => {
                    self.playback_dirty = false;
                    self.activity_written = Instant::now();
                }
                Err(error) => {
                    tracing::error!(room = %self.code(), %error, "could not save playback state");
                }
            }
        } else if self.room.viewer_count() > 0 && self.activity_written.elapsed() >= ACTIVITY_PERIOD
        {
            self.write_activity(now).await;
        }
    }

    async fn write_activity(&mut self, at: u64) {
        match db::rooms::touch(self.hub.db(), &self.room.code, at).await {
            Ok(()) => self.activity_written = Instant::now(),
            Err(error) => {
                tracing::warn!(room = %self.code(), %error, "could not note room activity");
            }
        }
    }

    /// Leaves memory when nobody has come since the room went quiet and no upload is running;
    /// otherwise looks again after another while.
    async fn unload_if_idle(&mut self) -> bool {
        let unload_after = self.hub.shared().settings.unload_after;
        if self.room.viewer_count() > 0 {
            self.unload_at = None;
            return false;
        }
        if self.uploads.in_flight() > 0 {
            self.unload_at = Some(Instant::now() + unload_after);
            return false;
        }
        self.persist().await;
        if self.playback_dirty {
            // Not saved: stay, so nothing is lost, and try again later.
            self.unload_at = Some(Instant::now() + unload_after);
            return false;
        }
        tracing::debug!(room = %self.code(), "room left memory");
        true
    }

    /// Deletes the room with its rows and files if nobody was active in it since `cutoff`: no
    /// socket, no playback change, no upload bytes, and an older activity time in the database.
    async fn expire_if_idle(&mut self, cutoff: u64) -> sqlx::Result<bool> {
        let now = now_ms();
        if self.room.viewer_count() > 0 {
            self.write_activity(now).await;
            return Ok(false);
        }
        let uploaded_at = self.uploads.last_progress();
        if uploaded_at >= cutoff {
            self.write_activity(uploaded_at).await;
            return Ok(false);
        }
        self.persist().await;
        let shared = self.hub.shared();
        if !db::rooms::is_idle(&shared.db, &self.room.code, cutoff).await? {
            return Ok(false);
        }
        let files = db::rooms::delete(&shared.db, &self.room.code).await?;
        self.hub.note_protected(&self.room.code, false);
        for file in files {
            shared.media.remove(&file);
        }
        tracing::info!(room = %self.code(), "deleted a room nobody watched");
        Ok(true)
    }
}

/// Points `sleep` at `deadline`, or far away when there is none.
fn rearm(sleep: &mut Pin<Box<Sleep>>, deadline: Option<Instant>, far: Instant) {
    let deadline = deadline.unwrap_or(far);
    if sleep.deadline() != deadline {
        sleep.as_mut().reset(deadline);
    }
}
