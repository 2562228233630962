//! The authoritative playback state of a room and how commands change it.

use serde::{Deserialize, Serialize};

/// Longest position we accept, in seconds (a little over 115 days): anything larger is a bad client.
pub const MAX_POSITION: f64 = 1.0e7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaybackAction {
    Play,
    Pause,
    Seek,
}

/// "At server time `updated_at` (ms since the Unix epoch) the video was at `position` seconds,
/// `playing` or not, at `rate`."
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    pub playing: bool,
    pub position: f64,
    pub rate: f64,
    pub updated_at: u64,
}

impl Playback {
    pub fn paused_at_start(now: u64) -> Self {
        Self {
            playing: false,
            position: 0.0,
            rate: 1.0,
            updated_at: now,
        }
    }

    /// Where the video is at server time `now`.
    pub fn position_at(&self, now: u64) -> f64 {
        if !self.playing {
            return self.position;
        }
        let elapsed = now.saturating_sub(self.updated_at) as f64 / 1000.0;
        (self.position + elapsed * self.rate).min(MAX_POSITION)
    }

    /// The same state, restated as of `now`.
    pub fn at(&self, now: u64) -> Self {
        Self {
            position: self.position_at(now),
            updated_at: now.max(self.updated_at),
            ..*self
        }
    }

    /// Paused where it is at `now`, as of `now`. A start scheduled past `now` (stored just before
    /// the server stopped) has not begun: it stays at its position, and nothing is left dated in
    /// the future.
    pub fn paused_as_of(&self, now: u64) -> Self {
        Self {
            playing: false,
            position: self.position_at(now),
            updated_at: now,
            ..*self
        }
    }

    pub fn apply(&mut self, action: PlaybackAction, position: f64, now: u64) {
        self.playing = match action {
            PlaybackAction::Play => true,
            PlaybackAction::Pause => false,
            PlaybackAction::Seek => self.playing,
        };
        self.position = position;
        self.updated_at = now;
    }
}

/// What [`valid_position`] asks, in words for clients.
pub const POSITION_RULE: &str = "position must be a number of seconds from 0 to 10000000";

/// A position a client sent is usable when it is a finite, non-negative number of sane size.
pub fn valid_position(position: f64) -> bool {
    position.is_finite() && (0.0..=MAX_POSITION).contains(&position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playing_state_advances_with_server_time() {
        let mut playback = Playback::paused_at_start(1_000);
        assert_eq!(playback.position_at(60_000), 0.0);
        playback.apply(PlaybackAction::Play, 10.0, 2_000);
        assert_eq!(playback.position_at(2_000), 10.0);
        assert!((playback.position_at(4_500) - 12.5).abs() < 1e-9);
        playback.apply(PlaybackAction::Pause, 12.5, 4_500);
        assert_eq!(playback.position_at(100_000), 12.5);
    }

    #[test]
    fn seek_keeps_playing_or_paused() {
        let mut playback = Playback::paused_at_start(0);
        playback.apply(PlaybackAction::Seek, 30.0, 10);
        assert!(!playback.playing);
        playback.apply(PlaybackAction::Play, 30.0, 20);
        playback.apply(PlaybackAction::Seek, 7.0, 30);
        assert!(playback.playing);
        assert_eq!(playback.at(1_030).position, 8.0);
    }

    #[test]
    fn a_start_in_the_future_is_held_at_its_position() {
        let mut playback = Playback::paused_at_start(0);
        playback.apply(PlaybackAction::Play, 12.0, 5_000);
        assert_eq!(playback.position_at(4_000), 12.0, "never behind the start");
        assert_eq!(playback.at(4_000).updated_at, 5_000);
        assert_eq!(playback.position_at(6_000), 13.0);
        let loaded = playback.paused_as_of(4_000);
        assert!(!loaded.playing);
        assert_eq!((loaded.position, loaded.updated_at), (12.0, 4_000));
        let later = playback.paused_as_of(7_500);
        assert_eq!((later.position, later.updated_at), (14.5, 7_500));
    }

    #[test]
    fn positions_are_checked() {
        assert!(valid_position(0.0));
        assert!(valid_position(3600.5));
        assert!(!valid_position(-1.0));
        assert!(!valid_position(f64::NAN));
        assert!(!valid_position(f64::INFINITY));
        assert!(!valid_position(MAX_POSITION * 2.0));
    }
}
