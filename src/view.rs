//! What clients see of a room: the shapes shared by REST answers (and so the OpenAPI spec) and
//! socket messages.

use poem_openapi::Object;
use serde::Serialize;

use crate::{
    identity::ClientId,
    room::{Playback, Room, Video, ViewerEntry},
};

#[derive(Debug, Clone, Serialize, Object)]
pub struct VideoView {
    pub id: i64,
    pub url: String,
    pub original_name: String,
    pub size: u64,
    pub mime: String,
}

impl From<&Video> for VideoView {
    fn from(video: &Video) -> Self {
        Self {
            id: video.id,
            url: video.url(),
            original_name: video.original_name.clone(),
            size: video.size,
            mime: video.mime.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Object)]
pub struct PlaybackView {
    pub playing: bool,
    /// Seconds into the video at `updated_at`.
    pub position: f64,
    pub rate: f64,
    /// Server time, ms since the Unix epoch.
    pub updated_at: u64,
}

impl From<Playback> for PlaybackView {
    fn from(p: Playback) -> Self {
        Self {
            playing: p.playing,
            position: p.position,
            rate: p.rate,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct ViewerView {
    pub client_id: ClientId,
    pub name: Option<String>,
    pub host: bool,
    pub connected_since: u64,
}

impl From<ViewerEntry> for ViewerView {
    fn from(v: ViewerEntry) -> Self {
        Self {
            client_id: v.client_id,
            name: v.name,
            host: v.is_host,
            connected_since: v.connected_since,
        }
    }
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct RoomView {
    pub code: String,
    pub name: Option<String>,
    pub video: Option<VideoView>,
    /// Projected to the snapshot's server time: a late joiner starts where the host is now.
    pub playback: PlaybackView,
    pub host: Option<ClientId>,
    pub viewer_count: usize,
    pub viewers: Vec<ViewerView>,
}

impl RoomView {
    pub fn of(room: &Room, now: u64, viewer_limit: usize) -> Self {
        Self {
            code: room.code.clone(),
            name: room.name.clone(),
            video: room.video.as_ref().map(VideoView::from),
            playback: room.playback.at(now).into(),
            host: room.host,
            viewer_count: room.viewer_count(),
            viewers: room
                .viewers(viewer_limit)
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}
