//! Uploads in progress. One counts as activity: its room neither leaves memory nor expires while
//! bytes keep arriving. A stalled upload does not hold the room forever: the expiry sweep goes by
//! when the last bytes came, and an upload whose room was deleted meanwhile is refused at the end.

use std::sync::{
    Arc,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// Shared by a room's task and the guards of its uploads.
#[derive(Default)]
pub(super) struct UploadActivity {
    in_flight: AtomicUsize,
    /// Server ms of the last bytes received by any of the room's uploads; 0 before any.
    last_progress: AtomicU64,
}

impl UploadActivity {
    /// An upload starts at `now`; it counts until its guard is dropped.
    pub(super) fn begin(self: &Arc<Self>, now: u64) -> UploadGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.last_progress.fetch_max(now, Ordering::AcqRel);
        UploadGuard {
            activity: self.clone(),
        }
    }

    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub(super) fn last_progress(&self) -> u64 {
        self.last_progress.load(Ordering::Acquire)
    }
}

/// Held by an upload's request while it runs.
pub struct UploadGuard {
    activity: Arc<UploadActivity>,
}

impl UploadGuard {
    /// Bytes arrived at server time `now`.
    pub fn progress(&self, now: u64) {
        self.activity.last_progress.fetch_max(now, Ordering::AcqRel);
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_while_alive_and_note_the_latest_progress() {
        let activity = Arc::new(UploadActivity::default());
        let first = activity.begin(100);
        let second = activity.begin(50);
        assert_eq!(activity.in_flight(), 2);
        assert_eq!(activity.last_progress(), 100);
        second.progress(400);
        first.progress(300);
        assert_eq!(activity.last_progress(), 400, "never goes back");
        drop(first);
        drop(second);
        assert_eq!(activity.in_flight(), 0);
        assert_eq!(activity.last_progress(), 400);
    }
}
