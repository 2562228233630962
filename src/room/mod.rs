//! Pure room logic: who is watching, who is host, what is playing. No I/O, no clock of its own and
//! nothing of the web: callers pass the server time (ms since the Unix epoch), so tests can use any
//! time they like, and viewers are any copyable ID (`V`; the server uses its client IDs).

pub mod buffering;
pub mod chat;
pub mod control;
pub mod lead;
pub mod playback;
pub mod queue;
pub mod status;
pub mod video;

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    net::IpAddr,
};

pub use buffering::{Wait, WaitChange, WaitOver, WaitPolicy};
pub use control::{Controls, JoinRefused, Kick, NotAllowed, Settings};
pub use playback::{Playback, PlaybackAction, valid_position};
pub use queue::{QueueError, QueueItem};
pub use status::{ViewerState, ViewerStatus};
pub use video::{Video, VideoInfo, VideoSource};

/// Heartbeats this soon after a command are stale: the host may not have applied it yet.
pub const HEARTBEAT_GRACE_MS: u64 = 1000;
/// The host sends a heartbeat about once a second; more often than this is a flood, and every one
/// relayed would go to every viewer.
pub const HEARTBEAT_MIN_GAP_MS: u64 = 250;

/// One client watching, however many tabs (sockets) it has open.
#[derive(Clone, Debug)]
struct Presence {
    name: Option<String>,
    sockets: u32,
    connected_since: u64,
    /// Breaks ties between clients that joined in the same millisecond.
    join_order: u64,
    /// Where the client connects from (the latest socket's), to keep a kicked address out.
    address: Option<IpAddr>,
    /// Its pages' latest report (any tab's), None before the first.
    status: Option<ViewerStatus>,
    /// The round trips its pages reported lately, for the lead of scheduled starts.
    rtt: lead::RecentRtt,
}

/// A viewer as shown in lists.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewerEntry<V> {
    pub client_id: V,
    pub name: Option<String>,
    pub is_host: bool,
    pub connected_since: u64,
    pub status: Option<ViewerStatus>,
}

/// What a play, pause or seek did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commanded {
    /// When it takes effect (server ms).
    pub at: u64,
    /// It ended a wait for buffering viewers.
    pub wait_cancelled: bool,
}

/// What a status report changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported<V> {
    /// What the viewer lists show.
    pub list_changed: bool,
    /// The room's wait, already applied to its playback: paused for a [`WaitChange::Started`],
    /// scheduled to play again for a [`WaitChange::Over`] that [`WaitOver::resumes`].
    pub wait: Option<WaitChange<V>>,
}

/// What a new socket changed.
#[derive(Debug, Default, PartialEq)]
pub struct Joined {
    /// The client had no other socket open: the viewer list changed.
    pub new_viewer: bool,
    /// The client became host on joining.
    pub became_host: bool,
    /// The room had no owner (it was made before rooms had owners): the first to come owns it.
    pub became_owner: bool,
}

#[derive(Debug)]
pub struct Room<V> {
    pub code: String,
    pub name: Option<String>,
    pub video: Option<Video>,
    pub playback: Playback,
    pub host: Option<V>,
    /// The client that created the room (or was handed it): it decides the settings, and is host
    /// when present.
    pub owner: Option<V>,
    pub settings: Settings,
    /// The password's hash (Argon2 PHC string), when the room has one.
    pub password: Option<String>,
    /// Clients who gave the password (or were watching when it was set).
    members: HashSet<V>,
    /// Kicked clients: when they may come back, and where they were.
    kicked: HashMap<V, control::Kick>,
    /// Videos waiting their turn, next first.
    queue: Vec<QueueItem<V>>,
    /// How long a host whose last socket closed keeps the role (ms): a reload is not a departure.
    host_grace_ms: u64,
    /// When the host's last socket closed; None while the host is here.
    host_away_since: Option<u64>,
    viewers: HashMap<V, Presence>,
    joins: u64,
    /// When the last play, pause, seek or new video took effect (server ms): for a scheduled
    /// start, its `at`, which may be in the future.
    last_command_at: u64,
    /// When the last heartbeat was accepted (server ms).
    last_heartbeat_at: Option<u64>,
    /// Whether, and for whom, the room waits while someone buffers.
    buffering: buffering::Buffering<V>,
}

impl<V: Copy + Eq + Hash> Room<V> {
    pub fn new(code: String, now: u64, host_grace_ms: u64) -> Self {
        Self {
            code,
            name: None,
            video: None,
            playback: Playback::paused_at_start(now),
            host: None,
            owner: None,
            settings: Settings::default(),
            password: None,
            members: HashSet::new(),
            kicked: HashMap::new(),
            queue: Vec::new(),
            host_grace_ms,
            host_away_since: None,
            viewers: HashMap::new(),
            joins: 0,
            last_command_at: 0,
            last_heartbeat_at: None,
            buffering: buffering::Buffering::new(WaitPolicy::default()),
        }
    }

    pub fn set_wait_policy(&mut self, policy: WaitPolicy) {
        self.buffering = buffering::Buffering::new(policy);
    }

    /// A socket of `client` opened, unless it is kicked or the room is full. The owner, and
    /// otherwise the first viewer of an empty room, becomes host. A host who left keeps the role
    /// for the grace period, so one who reloads the page does not lose it; after that the host
    /// check hands it on, or the next viewer of an empty room takes it.
    pub fn join(
        &mut self,
        client: V,
        name: Option<String>,
        now: u64,
    ) -> Result<Joined, JoinRefused> {
        self.admits(client, now)?;
        let became_owner = self.owner.is_none();
        if became_owner {
            self.owner = Some(client);
        }
        self.joins += 1;
        let joins = self.joins;
        let nobody_else = self.viewers.keys().all(|id| *id == client);
        let presence = self.viewers.entry(client).or_insert_with(|| Presence {
            name: None,
            sockets: 0,
            connected_since: now,
            join_order: joins,
            address: None,
            status: None,
            rtt: lead::RecentRtt::default(),
        });
        presence.sockets += 1;
        presence.name = name;
        let new_viewer = presence.sockets == 1;
        let became_host = self.host != Some(client)
            && (self.host.is_none()
                || self.is_owner(client)
                || (nobody_else && self.host_grace_over(now)));
        if became_host || self.host == Some(client) {
            self.host = Some(client);
            self.host_away_since = None;
        }
        Ok(Joined {
            new_viewer,
            became_host,
            became_owner,
        })
    }

    /// A socket of `client` closed at `now`. Returns true when that was its last one (it left).
    pub fn leave(&mut self, client: V, now: u64) -> bool {
        let Some(presence) = self.viewers.get_mut(&client) else {
            return false;
        };
        presence.sockets = presence.sockets.saturating_sub(1);
        if presence.sockets > 0 {
            return false;
        }
        self.viewers.remove(&client);
        if self.host == Some(client) {
            self.host_away_since = Some(now);
        }
        true
    }

    pub fn is_watching(&self, client: V) -> bool {
        self.viewers.contains_key(&client)
    }

    pub fn is_host(&self, client: V) -> bool {
        self.host == Some(client)
    }

    pub fn viewer_count(&self) -> usize {
        self.viewers.len()
    }

    /// Whether an absent host's grace period is over (true when it was never started: a host
    /// restored without a socket).
    fn host_grace_over(&self, now: u64) -> bool {
        self.host_away_since
            .is_none_or(|since| now >= since.saturating_add(self.host_grace_ms))
    }

    /// When the host has had no open socket for the grace period, hands the role to the owner
    /// when watching, else to the longest-connected viewer. Returns the new host when it changed.
    pub fn reassign_host_if_gone(&mut self, now: u64) -> Option<V> {
        if let Some(host) = self.host
            && (self.viewers.contains_key(&host) || !self.host_grace_over(now))
        {
            return None;
        }
        let owner = self.owner.filter(|owner| self.is_watching(*owner));
        let next = owner.or_else(|| {
            self.viewers
                .iter()
                .min_by_key(|(_, p)| (p.connected_since, p.join_order))
                .map(|(id, _)| *id)
        })?;
        self.host = Some(next);
        self.host_away_since = None;
        Some(next)
    }

    /// A watching client takes the host role. Returns false when the client is not watching.
    pub fn claim_host(&mut self, client: V) -> bool {
        if !self.is_watching(client) {
            return false;
        }
        self.host = Some(client);
        self.host_away_since = None;
        true
    }

    /// The display name a watching client joined with (or changed to).
    pub fn name_of(&self, client: V) -> Option<String> {
        self.viewers.get(&client).and_then(|p| p.name.clone())
    }

    pub fn rename_viewer(&mut self, client: V, name: Option<String>) -> bool {
        match self.viewers.get_mut(&client) {
            Some(presence) => {
                presence.name = name;
                true
            }
            None => false,
        }
    }

    /// A page of `client` reported its state at `now`: kept for the viewer lists, its round trip
    /// for the lead, and whether it is buffering for the room's wait. Nothing changes when the
    /// client is not watching.
    pub fn report_status(&mut self, client: V, status: ViewerStatus, now: u64) -> Reported<V> {
        let Some(presence) = self.viewers.get_mut(&client) else {
            return Reported {
                list_changed: false,
                wait: None,
            };
        };
        if let Some(rtt) = status.rtt_ms {
            presence.rtt.record(now, rtt);
        }
        let list_changed = presence.status.replace(status) != Some(status);
        let playing_since = self.playing_since();
        let wait = self
            .buffering
            .report(client, status.is_buffering(), playing_since, now)
            .map(|change| self.apply_wait(change, now));
        Reported { list_changed, wait }
    }

    /// The host, then the others in the order they arrived; at most `limit` of them.
    pub fn viewers(&self, limit: usize) -> Vec<ViewerEntry<V>> {
        let order =
            |(id, p): &(&V, &Presence)| (!self.is_host(**id), p.connected_since, p.join_order);
        if limit == 0 {
            return Vec::new();
        }
        let mut list: Vec<_> = self.viewers.iter().collect();
        // Only the first `limit` need sorting: a list of 20 from a room of 10,000 is a linear pass.
        if limit < list.len() {
            list.select_nth_unstable_by_key(limit, order);
            list.truncate(limit);
        }
        list.sort_by_key(order);
        list.into_iter()
            .map(|(id, p)| ViewerEntry {
                client_id: *id,
                name: p.name.clone(),
                is_host: self.is_host(*id),
                connected_since: p.connected_since,
                status: p.status,
            })
            .collect()
    }

    /// Makes `video` the current one, paused at its start. Returns whether that ended a wait.
    pub fn set_video(&mut self, video: Option<Video>, now: u64) -> bool {
        let wait_cancelled = self.buffering.cancel();
        self.video = video;
        self.playback = Playback::paused_at_start(now);
        self.last_command_at = now;
        wait_cancelled
    }

    /// Applies a play, pause or seek from anyone; it ends any wait for buffering viewers (the
    /// person decided). Returns when it takes effect (`at`, server ms): a start (a play, or a seek
    /// while playing) is scheduled [`Room::lead_ms`] ahead, so every page hears it before it
    /// begins; a pause or a seek while paused takes effect now. A seek during a wait counts as one
    /// while playing: the wait's pause was nobody's choice, and kept it would leave the room
    /// paused with no wait to end it.
    pub fn command(&mut self, action: PlaybackAction, position: f64, now: u64) -> Commanded {
        let wait_cancelled = self.buffering.cancel();
        let plays = match action {
            PlaybackAction::Play => true,
            PlaybackAction::Pause => false,
            PlaybackAction::Seek => self.playback.playing || wait_cancelled,
        };
        let at = match plays {
            true => now.saturating_add(self.lead_ms(now)),
            false => now,
        };
        // What the room does from `at` (a seek's own rule is `plays`, decided above).
        let state = match plays {
            true => PlaybackAction::Play,
            false => PlaybackAction::Pause,
        };
        self.playback.apply(state, position, at);
        self.last_command_at = at;
        Commanded { at, wait_cancelled }
    }

    /// The wait for buffering viewers going on, if any.
    pub fn wait(&self) -> Option<&Wait<V>> {
        self.buffering.wait()
    }

    /// Ends the wait if its deadline has come by `now` (the room then plays again, scheduled).
    pub fn wait_deadline(&mut self, now: u64) -> Option<WaitChange<V>> {
        let change = self.buffering.deadline(now)?;
        Some(self.apply_wait(change, now))
    }

    /// When a buffering report that came within a start's grace is to be looked at again (server
    /// ms), if there is one: see [`Room::recheck_buffering`].
    pub fn buffering_recheck_at(&self) -> Option<u64> {
        self.buffering.recheck_at(self.playing_since())
    }

    /// The grace of the current start is over by `now`: a viewer who said they were buffering
    /// within it, and nothing else since, makes the room wait now rather than on their next report.
    pub fn recheck_buffering(&mut self, now: u64) -> Option<WaitChange<V>> {
        let change = self.buffering.recheck(self.playing_since(), now)?;
        Some(self.apply_wait(change, now))
    }

    /// When the room's current start took effect, while it plays.
    fn playing_since(&self) -> Option<u64> {
        self.playback.playing.then_some(self.last_command_at)
    }

    /// A client left (its last socket closed, [`Room::leave`] said true): the room stops waiting
    /// for it, and plays again when it was the last one waited for.
    pub fn stop_waiting_for(&mut self, client: V, now: u64) -> Option<WaitChange<V>> {
        let change = self.buffering.left(client)?;
        Some(self.apply_wait(change, now))
    }

    /// Pauses the room where it is for a wait that starts, or schedules it to play again from
    /// where it paused when a wait ends (not when a person's command cancelled it).
    fn apply_wait(&mut self, change: WaitChange<V>, now: u64) -> WaitChange<V> {
        match &change {
            WaitChange::Started(_) => {
                let position = self.playback.position_at(now);
                self.playback.apply(PlaybackAction::Pause, position, now);
                self.last_command_at = now;
            }
            WaitChange::Over(reason) if reason.resumes() => {
                let at = now.saturating_add(self.lead_ms(now));
                let position = self.playback.position;
                self.playback.apply(PlaybackAction::Play, position, at);
                self.last_command_at = at;
            }
            _ => {}
        }
        change
    }

    /// How far ahead a start is scheduled: twice the highest round trip reported in the last
    /// [`lead::RTT_MEMORY_MS`] by a viewer still here, within the bounds of [`lead::lead_ms`].
    pub fn lead_ms(&self, now: u64) -> u64 {
        let highest = self
            .viewers
            .values()
            .filter_map(|p| p.rtt.highest(now))
            .reduce(f64::max);
        lead::lead_ms(highest)
    }

    /// The host's report of its position. Refused from anyone else; refused when it disagrees
    /// about playing or paused, or arrives before a command took effect (a scheduled start's `at`)
    /// or within [`HEARTBEAT_GRACE_MS`] after: then it may have been sent before the host applied
    /// that command, and commands, not heartbeats, decide where the room is. Refused too within
    /// [`HEARTBEAT_MIN_GAP_MS`] of the last one.
    pub fn heartbeat(&mut self, by: V, position: f64, playing: bool, now: u64) -> bool {
        let fresh = now >= self.last_command_at.saturating_add(HEARTBEAT_GRACE_MS);
        let spaced = self
            .last_heartbeat_at
            .is_none_or(|last| now >= last.saturating_add(HEARTBEAT_MIN_GAP_MS));
        if !self.is_host(by) || self.playback.playing != playing || !fresh || !spaced {
            return false;
        }
        self.playback.position = position;
        self.playback.updated_at = now;
        self.last_heartbeat_at = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Viewers in these tests are plain numbers.
    type TestRoom = Room<u32>;

    const GRACE: u64 = 5_000;

    fn room() -> TestRoom {
        Room::new("ABCDEFGH".into(), 0, GRACE)
    }

    #[test]
    fn first_viewer_is_host_and_tabs_count_once() {
        let mut room = room();
        let joined = room.join(1, None, 10).unwrap();
        assert_eq!(
            joined,
            Joined {
                new_viewer: true,
                became_host: true,
                became_owner: true,
            }
        );
        let second_tab = room.join(1, None, 20).unwrap();
        assert_eq!(second_tab, Joined::default());
        assert!(!room.join(2, None, 30).unwrap().became_host);
        assert_eq!(room.viewer_count(), 2);
        assert!(!room.leave(1, 40), "one tab is still open");
        assert!(room.leave(1, 50));
        assert_eq!(room.viewer_count(), 1);
        assert!(!room.leave(9, 60), "unknown client");
    }

    #[test]
    fn absent_host_is_replaced_by_longest_connected_viewer_after_the_grace() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(3, None, 30).unwrap();
        room.join(2, None, 20).unwrap();
        assert_eq!(room.reassign_host_if_gone(40), None, "host still here");
        room.leave(1, 1_000);
        assert_eq!(room.reassign_host_if_gone(1_000), None, "just left");
        assert_eq!(room.reassign_host_if_gone(5_999), None, "within the grace");
        assert_eq!(room.host, Some(1));
        assert_eq!(room.reassign_host_if_gone(6_000), Some(2));
        assert_eq!(room.reassign_host_if_gone(9_000), None);
    }

    #[test]
    fn ties_in_join_time_go_to_who_joined_first() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(5, None, 20).unwrap();
        room.join(4, None, 20).unwrap();
        room.leave(1, 30);
        assert_eq!(room.reassign_host_if_gone(30 + GRACE), Some(5));
    }

    #[test]
    fn empty_room_keeps_its_host_through_the_grace_then_the_next_joiner_takes_it() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.leave(1, 100);
        assert_eq!(
            room.reassign_host_if_gone(100 + GRACE),
            None,
            "nobody to hand it to"
        );
        assert!(
            !room.join(2, None, 200).unwrap().became_host,
            "the host may be reloading"
        );
        assert_eq!(room.host, Some(1));
        room.leave(2, 300);
        assert!(room.join(2, None, 100 + GRACE).unwrap().became_host);
    }

    #[test]
    fn host_who_reloads_keeps_the_role_while_others_watch() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(2, None, 20).unwrap();
        // Many reloads, each shorter than the grace, with host checks in between.
        let mut now = 100;
        for _ in 0..20 {
            room.leave(1, now);
            assert_eq!(room.reassign_host_if_gone(now + 1_000), None);
            now += 1_500;
            assert!(
                !room.join(1, None, now).unwrap().became_host,
                "already host"
            );
            assert_eq!(room.host, Some(1));
        }
        assert_eq!(
            room.reassign_host_if_gone(now + 10 * GRACE),
            None,
            "back for good"
        );
    }

    #[test]
    fn only_watching_clients_can_claim_host() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        assert!(!room.claim_host(2));
        room.join(2, Some("Bo".into()), 20).unwrap();
        assert!(room.claim_host(2));
        let list = room.viewers(10);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].client_id, 2, "the host comes first");
        assert!(list[0].is_host);
        assert_eq!(list[0].name.as_deref(), Some("Bo"));
        assert!(!list[1].is_host);
        assert_eq!(room.viewers(1).len(), 1);
        assert!(room.viewers(0).is_empty());
    }

    #[test]
    fn a_cut_viewer_list_has_the_host_then_the_earliest_arrivals() {
        let mut room = room();
        for n in 1..=50 {
            room.join(n, None, 1000 - u64::from(n)).unwrap();
        }
        // Arrival times run against join order: client 50 has the earliest.
        assert!(room.claim_host(20));
        let ids: Vec<_> = room.viewers(4).iter().map(|v| v.client_id).collect();
        assert_eq!(ids, [20, 50, 49, 48]);
        assert_eq!(room.viewers(100).len(), 50);
    }

    #[test]
    fn heartbeats_come_from_the_host_and_never_undo_a_fresh_command() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(2, None, 20).unwrap();
        // With no round trip reported, a play starts 250 ms after it arrives.
        assert_eq!(room.command(PlaybackAction::Play, 5.0, 1_000).at, 1_250);
        assert!(
            !room.heartbeat(1, 4.0, true, 1_500),
            "sent before the play landed"
        );
        assert_eq!(room.playback.position_at(1_500), 5.25);
        assert!(
            !room.heartbeat(1, 5.9, true, 2_249),
            "within the grace after the start"
        );
        assert!(room.heartbeat(1, 6.1, true, 2_250));
        assert_eq!(room.playback.position_at(2_250), 6.1);
        assert!(
            !room.heartbeat(1, 6.2, true, 2_400),
            "a flood of heartbeats"
        );
        assert_eq!(room.playback.position_at(2_250), 6.1);
        assert!(!room.heartbeat(2, 99.0, true, 3_000), "not the host");
        assert!(
            !room.heartbeat(1, 7.0, false, 3_000),
            "disagrees about playing"
        );
        assert_eq!(room.command(PlaybackAction::Seek, 60.0, 4_000).at, 4_250);
        assert!(!room.heartbeat(1, 8.0, true, 5_249));
        assert_eq!(room.playback.position_at(5_249), 60.999);
        assert!(room.heartbeat(1, 61.0, true, 5_250));
        assert_eq!(
            room.command(PlaybackAction::Pause, 61.5, 6_000).at,
            6_000,
            "a pause takes effect at once"
        );
        assert_eq!(
            room.command(PlaybackAction::Seek, 10.0, 7_000).at,
            7_000,
            "so does a seek while paused"
        );
    }

    fn status(state: &str, rtt_ms: Option<f64>) -> ViewerStatus {
        ViewerStatus::new(state, Some(0.0), rtt_ms).unwrap()
    }

    #[test]
    fn the_lead_covers_the_slowest_present_viewer_of_the_last_thirty_seconds() {
        let mut room = room();
        room.join(1, None, 0).unwrap();
        room.join(2, None, 0).unwrap();
        assert_eq!(room.lead_ms(1_000), 250, "nobody reported a round trip");
        assert!(
            room.report_status(1, status("playing", Some(90.0)), 1_000)
                .list_changed
        );
        assert!(
            room.report_status(2, status("playing", Some(300.0)), 2_000)
                .list_changed
        );
        assert!(
            !room
                .report_status(9, status("playing", Some(900.0)), 2_000)
                .list_changed,
            "not here"
        );
        assert_eq!(room.lead_ms(2_000), 600);
        assert_eq!(room.command(PlaybackAction::Play, 1.0, 3_000).at, 3_600);
        // A later, smaller round trip does not hide the larger one while it counts.
        room.report_status(2, status("playing", Some(100.0)), 10_000);
        assert_eq!(room.lead_ms(31_999), 600);
        assert_eq!(room.lead_ms(32_000), 250, "the 300 ms report is 30 s old");
        room.report_status(2, status("playing", Some(450.0)), 33_000);
        assert_eq!(room.lead_ms(33_000), 900);
        room.leave(2, 34_000);
        assert_eq!(room.lead_ms(34_000), 250, "who left does not count");
        room.report_status(1, status("playing", Some(800.0)), 35_000);
        assert_eq!(room.lead_ms(35_000), 1_000, "at most a second");
    }

    #[test]
    fn a_wait_pauses_the_room_where_it_is_and_resumes_it_scheduled() {
        let mut room = room();
        room.join(1, None, 0).unwrap();
        room.join(2, None, 0).unwrap();
        room.report_status(1, status("playing", Some(200.0)), 0);
        let at = room.command(PlaybackAction::Play, 10.0, 1_000).at;
        assert_eq!(at, 1_400);
        let reported = room.report_status(2, status("buffering", None), 3_400);
        let wait = Wait {
            waiting_for: vec![2],
            until: 11_400,
        };
        assert_eq!(reported.wait, Some(WaitChange::Started(wait.clone())));
        assert_eq!(room.wait(), Some(&wait));
        assert!(!room.playback.playing);
        assert_eq!(room.playback.position_at(9_000), 12.0, "paused 2 s in");
        // Bob has data again: everyone starts together, a lead ahead.
        let reported = room.report_status(2, status("ready", None), 5_000);
        assert_eq!(reported.wait, Some(WaitChange::Over(WaitOver::Ready)));
        assert!(room.playback.playing);
        assert_eq!(room.playback.updated_at, 5_400);
        assert_eq!(room.playback.position_at(6_400), 13.0);
        assert!(
            !room.heartbeat(1, 99.0, true, 6_000),
            "a heartbeat before the resume took effect"
        );
    }

    #[test]
    fn a_wait_ends_at_its_deadline_and_a_late_recovery_is_shown_like_any_report() {
        let mut room = room();
        room.set_wait_policy(WaitPolicy {
            deadline_ms: 3_000,
            ..WaitPolicy::default()
        });
        room.join(1, None, 0).unwrap();
        room.join(2, None, 0).unwrap();
        room.command(PlaybackAction::Play, 0.0, 0);
        room.report_status(2, status("buffering", None), 2_000);
        assert_eq!(room.wait_deadline(4_999), None);
        assert_eq!(
            room.wait_deadline(5_000),
            Some(WaitChange::Over(WaitOver::Deadline))
        );
        assert!(room.playback.playing, "plays on without Bob");
        assert_eq!(room.playback.updated_at, 5_250);
        let still = room.report_status(2, status("buffering", None), 7_000);
        assert_eq!(still.wait, None, "left to catch up, no new wait");
        let recovered = room.report_status(2, status("playing", Some(40.0)), 9_000);
        assert_eq!(recovered.wait, None);
        assert!(recovered.list_changed);
        let bob = room
            .viewers(10)
            .into_iter()
            .find(|v| v.client_id == 2)
            .unwrap();
        assert_eq!(bob.status.unwrap().state, ViewerState::Playing);
    }

    #[test]
    fn a_person_cancels_the_wait_and_a_leaver_ends_it() {
        let mut room = room();
        room.join(1, None, 0).unwrap();
        room.join(2, None, 0).unwrap();
        room.command(PlaybackAction::Play, 0.0, 0);
        room.report_status(2, status("buffering", None), 2_000);
        let sought = room.command(PlaybackAction::Seek, 30.0, 3_000);
        assert_eq!(
            sought,
            Commanded {
                at: 3_250,
                wait_cancelled: true
            },
            "a seek during the wait plays from there, scheduled"
        );
        assert!(room.playback.playing);
        assert_eq!(room.wait(), None);
        assert!(
            !room
                .command(PlaybackAction::Play, 30.0, 4_000)
                .wait_cancelled
        );

        room.report_status(2, status("buffering", None), 6_000);
        assert!(room.wait().is_some());
        assert!(room.leave(2, 7_000));
        assert_eq!(
            room.stop_waiting_for(2, 7_000),
            Some(WaitChange::Over(WaitOver::Left))
        );
        assert!(room.playback.playing);
        assert_eq!(room.playback.updated_at, 7_250);

        room.join(3, None, 8_000).unwrap();
        room.report_status(3, status("buffering", None), 9_500);
        assert!(room.wait().is_some());
        assert!(
            room.set_video(None, 10_000),
            "a new video ends the wait too"
        );
    }

    #[test]
    fn a_room_set_not_to_wait_plays_on() {
        let mut room = room();
        room.set_wait_policy(WaitPolicy {
            enabled: false,
            ..WaitPolicy::default()
        });
        room.join(1, None, 0).unwrap();
        room.command(PlaybackAction::Play, 0.0, 0);
        let reported = room.report_status(1, status("buffering", None), 5_000);
        assert_eq!(reported.wait, None);
        assert!(reported.list_changed, "the list still shows it");
        assert!(room.playback.playing);
    }

    #[test]
    fn statuses_show_in_the_viewer_list() {
        let mut room = room();
        room.join(1, None, 0).unwrap();
        assert_eq!(room.viewers(10)[0].status, None, "before the first report");
        let report = status("buffering", None);
        assert!(room.report_status(1, report, 10).list_changed);
        assert!(
            !room.report_status(1, report, 20).list_changed,
            "nothing new to show"
        );
        assert_eq!(room.viewers(10)[0].status, Some(report));
    }

    #[test]
    fn a_scheduled_start_holds_the_position_until_it_begins() {
        let mut room = room();
        room.join(1, None, 0).unwrap();
        let at = room.command(PlaybackAction::Play, 30.0, 1_000).at;
        assert_eq!(room.playback.updated_at, at);
        // Before `at` the room is still at the position it starts from, never behind it.
        assert_eq!(room.playback.position_at(1_000), 30.0);
        assert_eq!(room.playback.at(1_100).position, 30.0);
        assert_eq!(room.playback.at(1_100).updated_at, at, "stays scheduled");
        assert_eq!(room.playback.position_at(at + 2_000), 32.0);
    }

    #[test]
    fn new_video_starts_paused_at_zero() {
        let mut room = room();
        room.command(PlaybackAction::Play, 40.0, 5);
        let video = Video {
            id: 3,
            source: VideoSource::File {
                file_name: "3.webm".into(),
            },
            original_name: "clip.webm".into(),
            size: 10,
            mime: "video/webm".into(),
            info: Default::default(),
        };
        room.set_video(Some(video), 100);
        assert!(!room.playback.playing);
        assert_eq!(room.playback.position_at(10_000), 0.0);
        assert_eq!(room.video.as_ref().unwrap().url(), "/media/3.webm");
    }
}
