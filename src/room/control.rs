//! Who may drive a room: its owner (the client that created it), the `controls` setting, the
//! viewer cap and kicks. Pure like the rest of `room`: callers pass the time.

use std::hash::Hash;

use super::Room;

/// A kick keeps the client out this long (ms).
pub const KICK_MS: u64 = 10 * 60 * 1000;

/// Who may play, pause, seek, change the video and refresh it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controls {
    Everyone,
    /// Only the host and the owner.
    Host,
}

impl Controls {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Host => "host",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "everyone" => Some(Self::Everyone),
            "host" => Some(Self::Host),
            _ => None,
        }
    }
}

/// What the owner decides about the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub controls: Controls,
    /// Most people watching at once (the owner always gets in); None for no cap.
    pub max_viewers: Option<u32>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            controls: Controls::Everyone,
            max_viewers: None,
        }
    }
}

/// Why a socket may not join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinRefused {
    /// The client was kicked; they may come back at `until` (server ms).
    Kicked { until: u64 },
    /// The room has its maximum of viewers.
    Full { max: u32 },
}

/// The client's role does not allow that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAllowed;

impl<V: Copy + Eq + Hash> Room<V> {
    pub fn is_owner(&self, client: V) -> bool {
        self.owner == Some(client)
    }

    /// Whether `client` may play, pause, seek, change the video or refresh it.
    pub fn may_control(&self, client: V) -> bool {
        self.settings.controls == Controls::Everyone
            || self.is_host(client)
            || self.is_owner(client)
    }

    /// Whether `client` may take the host role: anyone watching, unless only the host and the
    /// owner drive the room (then the owner alone: otherwise a claim would get round the lock).
    pub fn may_claim_host(&self, client: V) -> bool {
        self.settings.controls == Controls::Everyone || self.is_owner(client)
    }

    /// Whether a new socket of `client` may join at `now`. Forgets kicks that ran out.
    pub(super) fn admits(&mut self, client: V, now: u64) -> Result<(), JoinRefused> {
        self.kicked.retain(|_, until| *until > now);
        if let Some(until) = self.kicked.get(&client) {
            return Err(JoinRefused::Kicked { until: *until });
        }
        let new_viewer = !self.is_watching(client);
        if let Some(max) = self.settings.max_viewers
            && new_viewer
            && !self.is_owner(client)
            && self.viewer_count() >= max as usize
        {
            return Err(JoinRefused::Full { max });
        }
        Ok(())
    }

    /// `by` (the host or the owner) removes `target` from the room until `now + KICK_MS`; the
    /// target's sockets are to be closed by the caller. A kicked host hands the role to `by`.
    /// Returns when the kick ends.
    pub fn kick(&mut self, by: V, target: V, now: u64) -> Result<u64, NotAllowed> {
        let allowed =
            (self.is_host(by) || self.is_owner(by)) && by != target && !self.is_owner(target);
        if !allowed {
            return Err(NotAllowed);
        }
        let until = now + KICK_MS;
        self.kicked.insert(target, until);
        if self.is_host(target) {
            self.host = Some(by);
            self.host_away_since = (!self.is_watching(by)).then_some(now);
        }
        Ok(until)
    }

    /// The clients kicked and when each may come back, for storing.
    pub fn kicks(&self) -> impl Iterator<Item = (V, u64)> + '_ {
        self.kicked.iter().map(|(client, until)| (*client, *until))
    }

    /// Restores a stored kick.
    pub fn restore_kick(&mut self, client: V, until: u64) {
        self.kicked.insert(client, until);
    }

    /// The owner hands ownership to `to`, who must be watching; the new owner becomes host.
    pub fn hand_ownership(&mut self, by: V, to: V) -> Result<(), NotAllowed> {
        if !self.is_owner(by) || !self.is_watching(to) {
            return Err(NotAllowed);
        }
        self.owner = Some(to);
        self.host = Some(to);
        self.host_away_since = None;
        Ok(())
    }

    /// The owner changes the settings.
    pub fn change_settings(&mut self, by: V, settings: Settings) -> Result<(), NotAllowed> {
        if !self.is_owner(by) {
            return Err(NotAllowed);
        }
        self.settings = settings;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> Room<u32> {
        let mut room = Room::new("ABCDEFGH".into(), 0, 5_000);
        room.owner = Some(1);
        room
    }

    #[test]
    fn with_host_controls_only_the_host_and_owner_drive() {
        let mut room = room();
        room.join(2, None, 10).unwrap();
        room.join(1, None, 20).unwrap();
        room.join(3, None, 30).unwrap();
        assert_eq!(room.host, Some(1), "the owner is host when present");
        assert!(room.may_control(3));
        room.change_settings(
            1,
            Settings {
                controls: Controls::Host,
                max_viewers: None,
            },
        )
        .unwrap();
        assert!(room.may_control(1));
        assert!(!room.may_control(3));
        assert!(!room.may_claim_host(3), "a claim would get round the lock");
        assert!(room.may_claim_host(1));
        assert_eq!(
            room.change_settings(3, Settings::default()),
            Err(NotAllowed),
            "only the owner"
        );
    }

    #[test]
    fn the_cap_refuses_new_viewers_but_not_more_tabs_nor_the_owner() {
        let mut room = room();
        room.settings.max_viewers = Some(2);
        room.join(2, None, 10).unwrap();
        room.join(3, None, 20).unwrap();
        assert_eq!(room.join(4, None, 30), Err(JoinRefused::Full { max: 2 }));
        assert!(room.join(3, None, 40).is_ok(), "another tab");
        assert!(room.join(1, None, 50).is_ok(), "the owner");
        assert_eq!(room.viewer_count(), 3);
    }

    #[test]
    fn a_kick_keeps_the_client_out_for_ten_minutes_and_moves_the_host() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(2, None, 20).unwrap();
        assert!(room.claim_host(2));
        assert_eq!(room.kick(3, 2, 100), Err(NotAllowed), "a guest cannot kick");
        assert_eq!(
            room.kick(2, 1, 100),
            Err(NotAllowed),
            "nobody kicks the owner"
        );
        let until = room.kick(1, 2, 100).unwrap();
        assert_eq!(until, 100 + KICK_MS);
        assert_eq!(
            room.host,
            Some(1),
            "the kicked host's role goes to who kicked"
        );
        room.leave(2, 110);
        assert_eq!(room.join(2, None, 200), Err(JoinRefused::Kicked { until }));
        assert!(room.join(2, None, until).is_ok(), "back after ten minutes");
        assert_eq!(room.kicks().count(), 0, "expired kicks are forgotten");
    }

    #[test]
    fn ownership_goes_to_someone_watching_who_becomes_host() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(2, None, 20).unwrap();
        assert_eq!(room.hand_ownership(2, 2), Err(NotAllowed));
        assert_eq!(room.hand_ownership(1, 9), Err(NotAllowed), "not watching");
        room.hand_ownership(1, 2).unwrap();
        assert!(room.is_owner(2));
        assert_eq!(room.host, Some(2));
    }
}
