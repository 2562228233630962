//! What plays next: a room's queue of videos, and when the current one has really ended.

use std::hash::Hash;

use super::{Room, Video};

/// Longest queue a room keeps: it travels in every snapshot.
pub const MAX_QUEUE: usize = 50;
/// How close to its end a video counts as ended (seconds): players stop a frame or two short.
const END_SLACK: f64 = 1.5;

#[derive(Clone, Debug, PartialEq)]
pub struct QueueItem<V> {
    pub video: Video,
    pub added_by: V,
    /// Their name when they added it.
    pub added_by_name: Option<String>,
    pub added_at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueError {
    Full,
    NoSuchItem,
    /// A new order must name every queued video once.
    BadOrder,
}

impl<V: Copy + Eq + Hash> Room<V> {
    pub fn queue(&self) -> &[QueueItem<V>] {
        &self.queue
    }

    pub fn check_queue_room(&self) -> Result<(), QueueError> {
        match self.queue.len() < MAX_QUEUE {
            true => Ok(()),
            false => Err(QueueError::Full),
        }
    }

    /// Adds `item` at the end.
    pub fn enqueue(&mut self, item: QueueItem<V>) -> Result<(), QueueError> {
        self.check_queue_room()?;
        self.queue.push(item);
        Ok(())
    }

    /// Takes the video with this ID out of the queue.
    pub fn dequeue(&mut self, video_id: i64) -> Result<QueueItem<V>, QueueError> {
        let at = self
            .queue
            .iter()
            .position(|item| item.video.id == video_id)
            .ok_or(QueueError::NoSuchItem)?;
        Ok(self.queue.remove(at))
    }

    /// Whether `ids` names every queued video once: a new order.
    pub fn check_order(&self, ids: &[i64]) -> Result<(), QueueError> {
        let mut sorted_new = ids.to_vec();
        sorted_new.sort_unstable();
        let mut sorted_old: Vec<i64> = self.queue.iter().map(|item| item.video.id).collect();
        sorted_old.sort_unstable();
        match sorted_new == sorted_old {
            true => Ok(()),
            false => Err(QueueError::BadOrder),
        }
    }

    /// Puts the queue in the order of `ids`, which must name every queued video once.
    pub fn reorder_queue(&mut self, ids: &[i64]) -> Result<(), QueueError> {
        self.check_order(ids)?;
        self.queue
            .sort_by_key(|item| ids.iter().position(|id| *id == item.video.id));
        Ok(())
    }

    /// The next video, out of the queue.
    pub fn take_next(&mut self) -> Option<QueueItem<V>> {
        (!self.queue.is_empty()).then(|| self.queue.remove(0))
    }

    /// Whether the host's report that video `video_id` ended (it lasts `duration` s) holds at
    /// `now`: it comes from the host, names the current video, and the room is at its end.
    pub fn has_ended(&self, by: V, video_id: i64, duration: f64, now: u64) -> bool {
        let current = self
            .video
            .as_ref()
            .is_some_and(|video| video.id == video_id);
        let plausible = duration.is_finite() && duration > 0.0;
        current
            && plausible
            && self.is_host(by)
            && self.playback.position_at(now) >= duration - END_SLACK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::{PlaybackAction, VideoSource};

    fn video(id: i64) -> Video {
        Video {
            id,
            source: VideoSource::File {
                file_name: format!("{id}.webm"),
            },
            original_name: format!("{id}.webm"),
            size: 1,
            mime: "video/webm".into(),
            info: Default::default(),
        }
    }

    fn item(id: i64) -> QueueItem<u32> {
        QueueItem {
            video: video(id),
            added_by: 1,
            added_by_name: None,
            added_at: 0,
        }
    }

    #[test]
    fn the_queue_adds_at_the_end_reorders_removes_and_hands_out_in_order() {
        let mut room: Room<u32> = Room::new("ABCDEFGH".into(), 0, 0);
        for id in [1, 2, 3] {
            room.enqueue(item(id)).unwrap();
        }
        assert_eq!(room.reorder_queue(&[3, 1]), Err(QueueError::BadOrder));
        assert_eq!(room.reorder_queue(&[3, 1, 1]), Err(QueueError::BadOrder));
        room.reorder_queue(&[3, 1, 2]).unwrap();
        assert_eq!(room.dequeue(9), Err(QueueError::NoSuchItem));
        assert_eq!(room.dequeue(1).unwrap().video.id, 1);
        let order: Vec<_> = room.queue().iter().map(|i| i.video.id).collect();
        assert_eq!(order, [3, 2]);
        assert_eq!(room.take_next().unwrap().video.id, 3);
        assert_eq!(room.take_next().unwrap().video.id, 2);
        assert_eq!(room.take_next(), None);
        for id in 0..MAX_QUEUE as i64 {
            room.enqueue(item(id)).unwrap();
        }
        assert_eq!(room.enqueue(item(99)), Err(QueueError::Full));
    }

    #[test]
    fn an_end_counts_from_the_host_at_the_end_of_the_current_video() {
        let mut room: Room<u32> = Room::new("ABCDEFGH".into(), 0, 0);
        room.join(1, None, 0).unwrap();
        room.join(2, None, 0).unwrap();
        room.set_video(Some(video(7)), 0);
        room.command(PlaybackAction::Play, 0.0, 1_000);
        assert!(!room.has_ended(1, 7, 10.0, 5_000), "4 s into a 10 s video");
        assert!(
            room.has_ended(1, 7, 10.0, 10_000),
            "within the slack of its end"
        );
        assert!(!room.has_ended(2, 7, 10.0, 12_000), "not the host");
        assert!(!room.has_ended(1, 6, 10.0, 12_000), "another video");
        assert!(!room.has_ended(1, 7, f64::NAN, 12_000));
        room.command(PlaybackAction::Pause, 10.0, 11_000);
        assert!(room.has_ended(1, 7, 10.0, 60_000), "paused at the end");
    }
}
