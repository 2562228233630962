//! Who may drive a room: its owner (the client that created it), the `controls` setting, the
//! viewer cap and kicks. Pure like the rest of `room`: callers pass the time.

use std::{hash::Hash, net::IpAddr};

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

/// A client kept out until `until` (server ms). Its `address` is kept out of a password room for
/// as long: a new cookie there would need the password, but must not get back in with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kick {
    pub until: u64,
    pub address: Option<IpAddr>,
}

/// Why a socket may not join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinRefused {
    /// The client was kicked; they may come back at `until` (server ms).
    Kicked { until: u64 },
    /// The room has its maximum of viewers.
    Full { max: u32 },
    /// The room has a password this client has not given.
    PasswordRequired,
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

    /// Whether `client` may see the room: always without a password; with one, the owner and
    /// the members.
    pub fn may_enter(&self, client: V) -> bool {
        self.password.is_none() || self.is_owner(client) || self.members.contains(&client)
    }

    /// Sets (a hash) or clears the password. Everyone watching when it is set stays a member.
    pub fn set_password(&mut self, hash: Option<String>) {
        match hash {
            Some(_) => self.members.extend(self.viewers.keys().copied()),
            None => self.members.clear(),
        }
        self.password = hash;
    }

    /// The clients who may enter a password room (for storing).
    pub fn members(&self) -> impl Iterator<Item = V> + '_ {
        self.members.iter().copied()
    }

    /// Restores a stored member.
    pub fn restore_member(&mut self, client: V) {
        self.members.insert(client);
    }

    /// `client`, at `address`, gave the right password at `now`: a member from now on, unless it
    /// (or, in a password room, its address) was kicked.
    pub fn admit_member(
        &mut self,
        client: V,
        address: IpAddr,
        now: u64,
    ) -> Result<(), JoinRefused> {
        self.forget_old_kicks(now);
        let kicked = self.kicked.get(&client).or_else(|| {
            self.kicked
                .values()
                .find(|kick| kick.address == Some(address))
        });
        if let Some(kick) = kicked {
            return Err(JoinRefused::Kicked { until: kick.until });
        }
        self.members.insert(client);
        Ok(())
    }

    /// Notes where `client`'s latest socket connects from.
    pub fn note_address(&mut self, client: V, address: IpAddr) {
        if let Some(presence) = self.viewers.get_mut(&client) {
            presence.address = Some(address);
        }
    }

    fn forget_old_kicks(&mut self, now: u64) {
        self.kicked.retain(|_, kick| kick.until > now);
    }

    /// Whether a new socket of `client` may join at `now`. Forgets kicks that ran out.
    pub(super) fn admits(&mut self, client: V, now: u64) -> Result<(), JoinRefused> {
        self.forget_old_kicks(now);
        if let Some(kick) = self.kicked.get(&client) {
            return Err(JoinRefused::Kicked { until: kick.until });
        }
        if !self.may_enter(client) {
            return Err(JoinRefused::PasswordRequired);
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
        let address = self.viewers.get(&target).and_then(|p| p.address);
        self.kicked.insert(target, Kick { until, address });
        self.members.remove(&target);
        if self.is_host(target) {
            self.host = Some(by);
            self.host_away_since = (!self.is_watching(by)).then_some(now);
        }
        Ok(until)
    }

    /// The kick keeping `client` out, if any.
    pub fn kick_of(&self, client: V) -> Option<Kick> {
        self.kicked.get(&client).copied()
    }

    /// Restores a stored kick.
    pub fn restore_kick(&mut self, client: V, kick: Kick) {
        self.kicked.insert(client, kick);
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
        assert_eq!(room.kick_of(2), None, "expired kicks are forgotten");
    }

    #[test]
    fn a_password_room_lets_in_its_owner_and_members_only() {
        let mut room = room();
        room.join(1, None, 10).unwrap();
        room.join(2, None, 20).unwrap();
        room.set_password(Some("hash".into()));
        assert!(room.may_enter(2), "watching when the password was set");
        assert!(!room.may_enter(3));
        assert_eq!(room.join(3, None, 30), Err(JoinRefused::PasswordRequired));
        let address: IpAddr = [192, 0, 2, 3].into();
        room.admit_member(3, address, 40).unwrap();
        assert!(room.join(3, None, 50).is_ok(), "a member from now on");
        room.note_address(3, address);
        room.kick(1, 3, 60).unwrap();
        assert!(!room.may_enter(3), "a kick ends membership");
        assert_eq!(room.kick_of(3).unwrap().address, Some(address));
        // A fresh cookie from the same address does not get back in with the password.
        assert_eq!(
            room.admit_member(4, address, 70),
            Err(JoinRefused::Kicked {
                until: 60 + KICK_MS
            })
        );
        assert!(room.admit_member(4, [192, 0, 2, 4].into(), 70).is_ok());
        room.set_password(None);
        assert!(room.may_enter(5), "no password, no question");
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
