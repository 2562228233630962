//! What clients see of a room: the shapes shared by REST answers (and so the OpenAPI spec) and
//! socket messages.

use poem_openapi::Object;
use serde::Serialize;

use crate::{
    client::{ClientId, color_of},
    db::messages::StoredMessage,
    room::{Playback, QueueItem, Room, Video, VideoSource, ViewerEntry, ViewerStatus},
};

#[derive(Debug, Clone, Serialize, Object)]
pub struct VideoView {
    pub id: i64,
    /// `file` (uploaded), `url` (a direct media link) or `youtube`.
    pub kind: String,
    /// Where the player loads it from; for YouTube, the watch page.
    pub url: String,
    /// The YouTube video ID, for `youtube` videos.
    #[oai(nullable)]
    pub youtube_id: Option<String>,
    pub original_name: String,
    pub size: u64,
    pub mime: String,
}

impl From<&Video> for VideoView {
    fn from(video: &Video) -> Self {
        Self {
            id: video.id,
            kind: video.kind().to_string(),
            url: video.url(),
            youtube_id: match &video.source {
                VideoSource::YouTube { id } => Some(id.clone()),
                _ => None,
            },
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
    /// Server time, ms since the Unix epoch. In the future when a start is scheduled: the room
    /// holds at `position` until then.
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
    #[oai(nullable)]
    pub name: Option<String>,
    /// The client's name colour (CSS), the same everywhere.
    pub color: String,
    pub host: bool,
    /// The room's owner (it decides the settings).
    pub owner: bool,
    pub connected_since: u64,
    /// What the viewer's page last reported; null before its first report.
    #[oai(nullable)]
    pub status: Option<StatusView>,
}

/// A page's report of its player, as everyone sees it.
#[derive(Debug, Clone, Copy, Serialize, Object)]
pub struct StatusView {
    pub state: ViewerStateView,
    /// How far the page is from where the room should be, in ms (positive: ahead).
    #[oai(nullable)]
    pub drift_ms: Option<f64>,
    /// The page's latest round trip to the server, in ms.
    #[oai(nullable)]
    pub rtt_ms: Option<f64>,
}

impl From<ViewerStatus> for StatusView {
    fn from(status: ViewerStatus) -> Self {
        Self {
            state: status.state.into(),
            drift_ms: status.drift_ms,
            rtt_ms: status.rtt_ms,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(
    remote = "crate::room::ViewerState",
    rename = "ViewerState",
    rename_all = "snake_case"
)]
pub enum ViewerStateView {
    Ready,
    Buffering,
    Playing,
    Paused,
    Blocked,
}

impl ViewerView {
    fn of(viewer: ViewerEntry<ClientId>, owner: Option<ClientId>) -> Self {
        Self {
            client_id: viewer.client_id,
            color: color_of(viewer.client_id),
            owner: owner == Some(viewer.client_id),
            name: viewer.name,
            host: viewer.is_host,
            connected_since: viewer.connected_since,
            status: viewer.status.map(StatusView::from),
        }
    }

    /// The first `limit` viewers of `room` (host first, then by arrival).
    pub fn list(room: &Room<ClientId>, limit: usize) -> Vec<Self> {
        room.viewers(limit)
            .into_iter()
            .map(|viewer| Self::of(viewer, room.owner))
            .collect()
    }
}

/// Who may drive the room and who may come in, as clients see it.
#[derive(Debug, Clone, Copy, Serialize, Object)]
pub struct SettingsView {
    /// `everyone` may play, pause, seek, change and refresh the video, or only the `host` and
    /// the owner.
    pub controls: ControlsView,
    /// Most people watching at once (the owner always gets in); null for no cap.
    #[oai(nullable)]
    pub max_viewers: Option<u32>,
    /// Whether the room asks for a password (the password itself is never sent).
    pub has_password: bool,
}

impl SettingsView {
    pub fn of(room: &Room<ClientId>) -> Self {
        Self {
            controls: room.settings.controls.into(),
            max_viewers: room.settings.max_viewers,
            has_password: room.password.is_some(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(
    remote = "crate::room::Controls",
    rename = "Controls",
    rename_all = "snake_case"
)]
pub enum ControlsView {
    Everyone,
    Host,
}

/// A video waiting its turn.
#[derive(Debug, Clone, Serialize, Object)]
pub struct QueueItemView {
    pub video: VideoView,
    pub added_by: ClientId,
    /// Their name when they added it.
    #[oai(nullable)]
    pub added_by_name: Option<String>,
    /// Server time, ms since the Unix epoch.
    pub added_at: u64,
}

impl QueueItemView {
    /// The room's queue, next first.
    pub fn list(room: &Room<ClientId>) -> Vec<Self> {
        room.queue().iter().map(Self::from).collect()
    }
}

impl From<&QueueItem<ClientId>> for QueueItemView {
    fn from(item: &QueueItem<ClientId>) -> Self {
        Self {
            video: VideoView::from(&item.video),
            added_by: item.added_by,
            added_by_name: item.added_by_name.clone(),
            added_at: item.added_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct RoomView {
    pub code: String,
    #[oai(nullable)]
    pub name: Option<String>,
    #[oai(nullable)]
    pub video: Option<VideoView>,
    /// Projected to the snapshot's server time: a late joiner starts where the host is now.
    pub playback: PlaybackView,
    #[oai(nullable)]
    pub host: Option<ClientId>,
    #[oai(nullable)]
    pub owner: Option<ClientId>,
    pub settings: SettingsView,
    pub viewer_count: usize,
    pub viewers: Vec<ViewerView>,
    /// What plays next, in order.
    pub queue: Vec<QueueItemView>,
}

impl RoomView {
    pub fn of(room: &Room<ClientId>, now: u64, viewer_limit: usize) -> Self {
        Self {
            code: room.code.clone(),
            name: room.name.clone(),
            video: room.video.as_ref().map(VideoView::from),
            playback: room.playback.at(now).into(),
            host: room.host,
            owner: room.owner,
            settings: SettingsView::of(room),
            viewer_count: room.viewer_count(),
            viewers: ViewerView::list(room, viewer_limit),
            queue: QueueItemView::list(room),
        }
    }
}

/// A chat message as everyone sees it.
#[derive(Debug, Clone, Serialize, Object)]
pub struct ChatView {
    pub id: i64,
    pub client_id: ClientId,
    /// The author's name when it was sent.
    #[oai(nullable)]
    pub name: Option<String>,
    pub color: String,
    pub text: String,
    /// Server time (UTC), ms since the Unix epoch.
    pub sent_at: u64,
}

impl ChatView {
    /// None for a row whose client ID does not parse (never written by this server).
    pub fn from_stored(message: StoredMessage) -> Option<Self> {
        let client_id = ClientId(message.client_id.parse().ok()?);
        Some(Self {
            id: message.id,
            client_id,
            name: message.name,
            color: color_of(client_id),
            text: message.text,
            sent_at: message.sent_at as u64,
        })
    }
}
