//! When a room waits for a buffering viewer: it pauses for everyone while one of them has no data,
//! and starts again when they are ready, or at a deadline. It never waits forever, and not again
//! and again for the same viewer: one who made it wait too often in the last few minutes catches
//! up on their own. Pure: callers pass the time (server ms) and the room's state.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    hash::Hash,
};

/// Waits a viewer may cause are counted over this window (ms).
pub const ALLOWANCE_WINDOW_MS: u64 = 5 * 60 * 1000;
/// A report this soon after a start (ms) is the start's own loading, not a viewer falling behind.
pub const START_GRACE_MS: u64 = 1000;

/// How a room waits, from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Whether the room waits at all.
    pub enabled: bool,
    /// How long a wait lasts at most (ms).
    pub deadline_ms: u64,
    /// Waits one viewer may cause within [`ALLOWANCE_WINDOW_MS`].
    pub max_waits: u32,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            deadline_ms: 8_000,
            max_waits: 2,
        }
    }
}

/// A wait going on: the viewers still buffering, in the order they started to, and when the room
/// plays again at the latest (server ms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait<V> {
    pub waiting_for: Vec<V>,
    pub until: u64,
}

/// Why a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOver {
    /// Everyone waited for has data again.
    Ready,
    Deadline,
    /// Everyone waited for left.
    Left,
    /// Someone played, paused or seeked themselves.
    Cancelled,
}

impl WaitOver {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Deadline => "deadline",
            Self::Left => "left",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the room plays again (scheduled) after this end.
    pub fn resumes(self) -> bool {
        self != Self::Cancelled
    }
}

/// What a report, a departure or the clock changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitChange<V> {
    /// The room is to pause and wait.
    Started(Wait<V>),
    /// Who is waited for changed.
    Changed(Wait<V>),
    Over(WaitOver),
    /// The viewer who reported is past their allowance: the room will not wait, and they are to
    /// catch up on their own.
    CatchUp,
}

#[derive(Debug)]
pub struct Buffering<V> {
    policy: WaitPolicy,
    wait: Option<Wait<V>>,
    /// When the waits each viewer caused started, oldest first, within the window.
    caused: HashMap<V, VecDeque<u64>>,
    /// Viewers left to catch up (past a deadline, or past their allowance and told): they start no
    /// wait until they report a state other than buffering.
    excused: HashSet<V>,
    /// Viewers who said they were buffering within the grace of the start they came in (when it
    /// took effect, server ms) and have said nothing else since: looked at again once the grace is
    /// over ([`Buffering::recheck`]), so a stall that began with the start is not missed until
    /// their next report.
    early: Vec<V>,
    early_start: Option<u64>,
}

impl<V: Copy + Eq + Hash> Buffering<V> {
    pub fn new(policy: WaitPolicy) -> Self {
        Self {
            policy,
            wait: None,
            caused: HashMap::new(),
            excused: HashSet::new(),
            early: Vec::new(),
            early_start: None,
        }
    }

    pub fn policy(&self) -> WaitPolicy {
        self.policy
    }

    /// The wait going on, if any.
    pub fn wait(&self) -> Option<&Wait<V>> {
        self.wait.as_ref()
    }

    /// `viewer`, who is watching, reported at `now` that it is buffering or not. `playing_since`
    /// is when the room's current start took effect while it plays (None while paused).
    pub fn report(
        &mut self,
        viewer: V,
        buffering: bool,
        playing_since: Option<u64>,
        now: u64,
    ) -> Option<WaitChange<V>> {
        if !buffering {
            self.excused.remove(&viewer);
            self.early.retain(|v| *v != viewer);
            let wait = self.wait.as_mut()?;
            let before = wait.waiting_for.len();
            wait.waiting_for.retain(|v| *v != viewer);
            return match wait.waiting_for.len() {
                0 => {
                    self.wait = None;
                    Some(WaitChange::Over(WaitOver::Ready))
                }
                n if n < before => Some(WaitChange::Changed(wait.clone())),
                _ => None,
            };
        }
        if !self.policy.enabled || self.excused.contains(&viewer) {
            return None;
        }
        if let Some(wait) = &self.wait {
            // The room is paused already: one more who is buffering is waited for too.
            if wait.waiting_for.contains(&viewer) {
                return None;
            }
        } else {
            let started = playing_since?;
            if now < started.saturating_add(START_GRACE_MS) {
                if self.early_start != Some(started) {
                    self.early.clear();
                    self.early_start = Some(started);
                }
                if !self.early.contains(&viewer) {
                    self.early.push(viewer);
                }
                return None;
            }
        }
        if !self.within_allowance(viewer, now) {
            self.excused.insert(viewer);
            return Some(WaitChange::CatchUp);
        }
        Some(self.wait_for(viewer, now))
    }

    /// When to call [`Buffering::recheck`] (server ms): the end of the grace of the start that
    /// `playing_since` says is going on, if someone said they were buffering within it.
    pub fn recheck_at(&self, playing_since: Option<u64>) -> Option<u64> {
        let started = playing_since?;
        (!self.early.is_empty() && self.early_start == Some(started))
            .then(|| started.saturating_add(START_GRACE_MS))
    }

    /// The grace of a start is over: who said they were buffering within it, and has not said
    /// otherwise since, is waited for now, as a report at this moment would have been. One past
    /// their allowance is left for their next report, which tells them to catch up. Nothing
    /// happens when the room paused or started again in between (those reports were about an
    /// earlier start), nor before the grace is over.
    pub fn recheck(&mut self, playing_since: Option<u64>, now: u64) -> Option<WaitChange<V>> {
        if self.early_start != playing_since || playing_since.is_none() {
            self.early.clear();
            self.early_start = None;
            return None;
        }
        if now < self.recheck_at(playing_since)? {
            return None;
        }
        self.early_start = None;
        let mut change = None;
        for viewer in std::mem::take(&mut self.early) {
            if !self.policy.enabled || self.excused.contains(&viewer) {
                continue;
            }
            if !self.within_allowance(viewer, now) {
                continue;
            }
            change = Some(match (change, self.wait_for(viewer, now)) {
                // Several at once: one wait that names them all.
                (Some(WaitChange::Started(_)), WaitChange::Changed(wait)) => {
                    WaitChange::Started(wait)
                }
                (_, next) => next,
            });
        }
        change
    }

    /// Adds `viewer` to the wait, starting one if there is none; it counts against their allowance.
    fn wait_for(&mut self, viewer: V, now: u64) -> WaitChange<V> {
        self.caused.entry(viewer).or_default().push_back(now);
        match &mut self.wait {
            Some(wait) => {
                wait.waiting_for.push(viewer);
                WaitChange::Changed(wait.clone())
            }
            None => {
                let wait = Wait {
                    waiting_for: vec![viewer],
                    until: now.saturating_add(self.policy.deadline_ms),
                };
                self.wait = Some(wait.clone());
                WaitChange::Started(wait)
            }
        }
    }

    /// `viewer` left the room (its last socket closed).
    pub fn left(&mut self, viewer: V) -> Option<WaitChange<V>> {
        self.excused.remove(&viewer);
        self.early.retain(|v| *v != viewer);
        let wait = self.wait.as_mut()?;
        if !wait.waiting_for.contains(&viewer) {
            return None;
        }
        wait.waiting_for.retain(|v| *v != viewer);
        if wait.waiting_for.is_empty() {
            self.wait = None;
            return Some(WaitChange::Over(WaitOver::Left));
        }
        Some(WaitChange::Changed(wait.clone()))
    }

    /// The wait ends at its deadline, if `now` is past it; whoever is still buffering is left to
    /// catch up.
    pub fn deadline(&mut self, now: u64) -> Option<WaitChange<V>> {
        if self.wait.as_ref().is_none_or(|wait| now < wait.until) {
            return None;
        }
        let wait = self.wait.take()?;
        self.excused.extend(wait.waiting_for);
        Some(WaitChange::Over(WaitOver::Deadline))
    }

    /// A person played, paused or seeked: the wait, if any, is over. Returns whether there was one.
    pub fn cancel(&mut self) -> bool {
        self.wait.take().is_some()
    }

    /// Whether `viewer` may make the room wait once more, forgetting waits older than the window.
    fn within_allowance(&mut self, viewer: V, now: u64) -> bool {
        let window_start = now.saturating_sub(ALLOWANCE_WINDOW_MS);
        let Some(times) = self.caused.get_mut(&viewer) else {
            return self.policy.max_waits > 0;
        };
        while times.front().is_some_and(|&at| at <= window_start) {
            times.pop_front();
        }
        if times.is_empty() {
            self.caused.remove(&viewer);
            return self.policy.max_waits > 0;
        }
        times.len() < self.policy.max_waits as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAYING_SINCE: Option<u64> = Some(0);

    fn buffering() -> Buffering<u32> {
        Buffering::new(WaitPolicy::default())
    }

    fn started(waiting_for: Vec<u32>, until: u64) -> Option<WaitChange<u32>> {
        Some(WaitChange::Started(Wait { waiting_for, until }))
    }

    #[test]
    fn a_buffering_viewer_starts_a_wait_that_ends_when_they_are_ready() {
        let mut b = buffering();
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, 5_000),
            started(vec![1], 13_000)
        );
        assert_eq!(b.report(1, true, None, 5_500), None, "already waited for");
        assert_eq!(
            b.report(2, false, None, 6_000),
            None,
            "someone else is fine"
        );
        assert_eq!(
            b.report(1, false, None, 7_000),
            Some(WaitChange::Over(WaitOver::Ready))
        );
        assert_eq!(b.wait(), None);
    }

    #[test]
    fn no_wait_while_paused_nor_for_the_loading_of_a_fresh_start() {
        let mut b = buffering();
        assert_eq!(b.report(1, true, None, 5_000), None, "paused");
        assert_eq!(
            b.report(1, true, Some(4_500), 5_000),
            None,
            "0.5 s after the start"
        );
        assert_eq!(b.report(1, true, Some(4_500), 5_499), None);
        assert_eq!(
            b.report(1, true, Some(4_500), 5_500),
            started(vec![1], 13_500)
        );
        // A start in the future (scheduled) has not begun either.
        let mut b = buffering();
        assert_eq!(b.report(1, true, Some(9_000), 5_000), None);
    }

    #[test]
    fn a_stall_said_within_a_starts_grace_makes_the_room_wait_when_the_grace_is_over() {
        let mut b = buffering();
        let since = Some(4_500);
        assert_eq!(b.recheck_at(since), None, "nobody buffering");
        assert_eq!(
            b.report(1, true, since, 4_800),
            None,
            "the start's own loading, so far"
        );
        assert_eq!(b.recheck_at(since), Some(5_500));
        assert_eq!(b.recheck(since, 5_499), None, "not yet");
        assert_eq!(b.recheck(since, 5_500), started(vec![1], 13_500));
        assert_eq!(b.recheck_at(since), None, "looked at once");
        assert_eq!(b.recheck(since, 6_000), None);
        assert_eq!(b.report(1, true, None, 6_000), None, "already waited for");
    }

    #[test]
    fn a_recheck_waits_for_everyone_still_buffering_at_once_and_for_nobody_else() {
        let mut b = buffering();
        let since = Some(4_500);
        b.report(1, true, since, 4_600);
        b.report(2, true, since, 4_700);
        b.report(3, true, since, 4_800);
        b.report(2, false, since, 5_000);
        b.report(3, true, since, 5_100);
        let both = Wait {
            waiting_for: vec![1, 3],
            until: 13_500,
        };
        assert_eq!(b.recheck(since, 5_500), Some(WaitChange::Started(both)));
    }

    #[test]
    fn no_recheck_after_a_recovery_a_departure_a_pause_or_a_new_start() {
        let mut b = buffering();
        b.report(1, true, Some(4_500), 4_800);
        b.report(1, false, Some(4_500), 5_000);
        assert_eq!(b.recheck_at(Some(4_500)), None, "recovered");
        assert_eq!(b.recheck(Some(4_500), 5_500), None);

        b.report(2, true, Some(4_500), 4_800);
        assert_eq!(b.left(2), None);
        assert_eq!(b.recheck(Some(4_500), 5_500), None, "left");

        b.report(3, true, Some(4_500), 4_800);
        assert_eq!(b.recheck_at(None), None);
        assert_eq!(b.recheck(None, 5_500), None, "the room paused");
        assert_eq!(b.recheck(Some(4_500), 5_500), None, "forgotten then");

        b.report(4, true, Some(4_500), 4_800);
        assert_eq!(b.recheck_at(Some(6_000)), None, "another start since");
        assert_eq!(b.recheck(Some(6_000), 7_000), None);
        // A report within the new start's grace is looked at at its end.
        b.report(4, true, Some(6_000), 6_200);
        assert_eq!(b.recheck(Some(6_000), 7_000), started(vec![4], 15_000));
    }

    #[test]
    fn a_recheck_spares_who_catches_up_alone_and_leaves_the_allowance_to_the_next_report() {
        let mut b = buffering();
        b.report(1, true, PLAYING_SINCE, 5_000);
        assert_eq!(
            b.deadline(13_000),
            Some(WaitChange::Over(WaitOver::Deadline))
        );
        b.report(1, true, Some(13_250), 13_500);
        assert_eq!(b.recheck(Some(13_250), 14_250), None, "left to catch up");

        let mut b = Buffering::new(WaitPolicy {
            max_waits: 0,
            ..WaitPolicy::default()
        });
        b.report(1, true, Some(4_500), 4_800);
        assert_eq!(b.recheck(Some(4_500), 5_500), None, "over the allowance");
        assert_eq!(
            b.report(1, true, Some(4_500), 5_800),
            Some(WaitChange::CatchUp),
            "told by the next report, which has a socket to answer"
        );

        let mut b = Buffering::new(WaitPolicy {
            enabled: false,
            ..WaitPolicy::default()
        });
        b.report(1, true, Some(4_500), 4_800);
        assert_eq!(
            b.recheck(Some(4_500), 5_500),
            None,
            "a room that does not wait"
        );
    }

    #[test]
    fn others_who_buffer_during_a_wait_are_waited_for_too() {
        let mut b = buffering();
        b.report(1, true, PLAYING_SINCE, 5_000);
        let both = Wait {
            waiting_for: vec![1, 2],
            until: 13_000,
        };
        assert_eq!(
            b.report(2, true, None, 6_000),
            Some(WaitChange::Changed(both))
        );
        let only_two = Wait {
            waiting_for: vec![2],
            until: 13_000,
        };
        assert_eq!(
            b.report(1, false, None, 7_000),
            Some(WaitChange::Changed(only_two))
        );
        assert_eq!(
            b.report(2, false, None, 8_000),
            Some(WaitChange::Over(WaitOver::Ready))
        );
    }

    #[test]
    fn the_deadline_ends_the_wait_and_who_still_buffers_catches_up_alone() {
        let mut b = buffering();
        b.report(1, true, PLAYING_SINCE, 5_000);
        assert_eq!(b.deadline(12_999), None, "not yet");
        assert_eq!(
            b.deadline(13_000),
            Some(WaitChange::Over(WaitOver::Deadline))
        );
        assert_eq!(b.deadline(14_000), None, "over already");
        // Still buffering after the deadline: no new wait, however often it says so.
        assert_eq!(b.report(1, true, Some(13_250), 20_000), None);
        assert_eq!(b.report(1, true, Some(13_250), 21_000), None);
        // Recovered: an ordinary viewer again, with one wait left in its allowance.
        assert_eq!(b.report(1, false, Some(13_250), 22_000), None);
        assert_eq!(
            b.report(1, true, Some(13_250), 30_000),
            started(vec![1], 38_000)
        );
    }

    #[test]
    fn the_third_wait_in_five_minutes_does_not_happen_and_the_viewer_catches_up() {
        let mut b = buffering();
        b.report(1, true, PLAYING_SINCE, 10_000);
        b.report(1, false, None, 11_000);
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, 60_000),
            started(vec![1], 68_000)
        );
        b.report(1, false, None, 61_000);
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, 90_000),
            Some(WaitChange::CatchUp)
        );
        assert_eq!(b.wait(), None);
        assert_eq!(b.report(1, true, PLAYING_SINCE, 91_000), None, "told once");
        assert_eq!(
            b.report(2, true, PLAYING_SINCE, 92_000),
            started(vec![2], 100_000),
            "others have their own allowance"
        );
        b.report(2, false, None, 93_000);
        b.report(1, false, None, 95_000);
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, 96_000),
            Some(WaitChange::CatchUp)
        );
        b.report(1, false, None, 97_000);
        // The first wait counts for five minutes, no longer.
        let almost = 9_999 + ALLOWANCE_WINDOW_MS;
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, almost),
            Some(WaitChange::CatchUp)
        );
        b.report(1, false, None, almost);
        let now = 10_000 + ALLOWANCE_WINDOW_MS;
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, now),
            started(vec![1], now + 8_000)
        );
    }

    #[test]
    fn a_waited_for_viewer_who_leaves_ends_the_wait() {
        let mut b = buffering();
        b.report(1, true, PLAYING_SINCE, 5_000);
        b.report(2, true, None, 5_100);
        assert_eq!(b.left(3), None, "not waited for");
        let only_two = Wait {
            waiting_for: vec![2],
            until: 13_000,
        };
        assert_eq!(b.left(1), Some(WaitChange::Changed(only_two)));
        assert_eq!(b.left(2), Some(WaitChange::Over(WaitOver::Left)));
        assert_eq!(b.deadline(13_000), None);
    }

    #[test]
    fn a_command_cancels_the_wait() {
        let mut b = buffering();
        assert!(!b.cancel(), "nothing to cancel");
        b.report(1, true, PLAYING_SINCE, 5_000);
        assert!(b.cancel());
        assert_eq!(b.wait(), None);
        assert_eq!(b.deadline(13_000), None);
        assert_eq!(b.report(1, false, None, 14_000), None);
    }

    #[test]
    fn a_room_that_does_not_wait_never_does() {
        let mut b = Buffering::new(WaitPolicy {
            enabled: false,
            ..WaitPolicy::default()
        });
        assert_eq!(b.report(1, true, PLAYING_SINCE, 5_000), None);
        assert_eq!(b.wait(), None);
        let mut b = Buffering::new(WaitPolicy {
            max_waits: 0,
            ..WaitPolicy::default()
        });
        assert_eq!(
            b.report(1, true, PLAYING_SINCE, 5_000),
            Some(WaitChange::CatchUp)
        );
    }
}
