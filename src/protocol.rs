//! The socket protocol: JSON objects tagged by `type`. Frames are parsed into [`ClientMsg`] before
//! anything acts on them; what does not parse becomes an `error` message, never a panic. The rooms
//! (`hub`) speak [`ServerMsg`]; the socket loop (`ws`) only carries it.

use serde::{Deserialize, Serialize};

use crate::{
    client::ClientId,
    limits::RetryAfter,
    room::{
        Playback, PlaybackAction, Room, ViewerStatus, Wait,
        playback::{POSITION_RULE, valid_position},
        status::STATUS_RULE,
    },
    view::{
        ChatView, PlaybackView, ProcessingView, QueueItemView, RoomView, SettingsView,
        SubtitleView, VideoView, ViewerView,
    },
};

/// Viewer lists pushed over sockets stop here; the REST endpoint has the whole list. Kept short
/// because every socket keeps a write buffer the size of the largest message it sent: 20 entries
/// are about 2 KB, 100 were 12 KB per viewer.
pub const PUSHED_VIEWERS_LIMIT: usize = 20;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Play {
        position: f64,
    },
    Pause {
        position: f64,
    },
    Seek {
        position: f64,
    },
    /// Sent by the host about once a second while playing.
    Heartbeat {
        position: f64,
        playing: bool,
    },
    Ping {
        client_time: f64,
    },
    Chat {
        text: String,
    },
    /// From the host: the current video (`video_id`, lasting `duration` s) played to its end.
    Ended {
        video_id: i64,
        duration: f64,
    },
    /// A page's report of its player (checked by [`status_of`]).
    Status {
        state: String,
        drift_ms: Option<f64>,
        rtt_ms: Option<f64>,
    },
}

/// The report a `status` message makes, or `bad_status` when a value is out of bounds.
pub fn status_of(
    state: &str,
    drift_ms: Option<f64>,
    rtt_ms: Option<f64>,
) -> Result<ViewerStatus, ProtocolError> {
    ViewerStatus::new(state, drift_ms, rtt_ms)
        .ok_or_else(|| ProtocolError::new("bad_status", STATUS_RULE))
}

impl ClientMsg {
    pub fn parse(text: &str) -> Result<Self, ProtocolError> {
        let msg: Self = serde_json::from_str(text)
            .map_err(|error| ProtocolError::new("bad_message", error.to_string()))?;
        match msg {
            Self::Play { position }
            | Self::Pause { position }
            | Self::Seek { position }
            | Self::Heartbeat { position, .. }
                if !valid_position(position) =>
            {
                Err(ProtocolError::new("bad_position", POSITION_RULE))
            }
            msg => Ok(msg),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub code: &'static str,
    pub message: String,
}

impl ProtocolError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Sent to a socket when it joins, and again when it fell behind the room's broadcasts.
    Snapshot {
        you: ClientId,
        server_time: u64,
        room: Box<RoomView>,
        /// Uploads being made playable in this room, oldest first.
        processing: Vec<ProcessingView>,
        /// The wait for buffering viewers under way, if any (as a `wait` message would say it).
        wait: Option<WaitView>,
    },
    /// A play, pause or seek, already applied to the room's state.
    Play(PlaybackEvent),
    Pause(PlaybackEvent),
    Seek(PlaybackEvent),
    Heartbeat {
        position: f64,
        playing: bool,
        by: ClientId,
        server_time: u64,
    },
    Video {
        video: Option<VideoView>,
        playback: PlaybackView,
    },
    /// Reload the current file from `url` (it carries a cache-busting query).
    Refresh {
        url: String,
    },
    Host {
        host: Option<ClientId>,
    },
    Viewers {
        count: usize,
        viewers: Vec<ViewerView>,
    },
    Pong {
        client_time: f64,
        server_time: u64,
    },
    Chat(ChatView),
    /// The room's latest messages, oldest first; sent after the snapshot when a socket joins.
    /// `has_more`: older ones can be paged in over REST.
    History {
        messages: Vec<ChatView>,
        has_more: bool,
    },
    /// A viewer changed their display name.
    Name {
        client_id: ClientId,
        name: String,
        color: String,
    },
    RoomName {
        name: Option<String>,
    },
    /// The owner changed who may drive the room.
    Settings {
        settings: SettingsView,
    },
    /// Ownership was handed on.
    Owner {
        owner: Option<ClientId>,
    },
    /// The queue changed: what plays next, in order.
    Queue {
        queue: Vec<QueueItemView>,
    },
    /// The current video's subtitle tracks changed (added, removed, or gone with the video).
    Subtitles {
        tracks: Vec<SubtitleView>,
    },
    /// The host or owner removed `client_id` from the room until `until` (server ms).
    Kicked {
        client_id: ClientId,
        until: u64,
    },
    /// The room paused because these viewers are buffering; it plays again by `until` (server ms)
    /// at the latest. Sent again when the list changes.
    Wait(WaitView),
    /// The wait ended: `ready`, `deadline`, `left` (a scheduled `play` follows) or `cancelled`
    /// (someone played, paused or seeked themselves).
    WaitOver {
        reason: &'static str,
    },
    /// To one viewer only: the room no longer waits for them; their page catches up on its own.
    CatchUp {
        message: String,
    },
    /// An upload being made playable: queued, progress (at most twice a second), then ready,
    /// failed or cancelled.
    Processing(ProcessingView),
    Error {
        code: &'static str,
        message: String,
    },
}

/// A wait for buffering viewers: who, and until when (server ms) at the latest.
#[derive(Debug, Clone, Serialize)]
pub struct WaitView {
    pub waiting_for: Vec<WaitingFor>,
    pub until: u64,
}

impl WaitView {
    pub fn of(room: &Room<ClientId>, wait: &Wait<ClientId>) -> Self {
        Self {
            waiting_for: wait
                .waiting_for
                .iter()
                .map(|&client_id| WaitingFor {
                    client_id,
                    name: room.name_of(client_id),
                })
                .collect(),
            until: wait.until,
        }
    }
}

/// A viewer the room waits for.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingFor {
    pub client_id: ClientId,
    pub name: Option<String>,
}

/// What everyone in the room hears about a play, pause or seek.
#[derive(Debug, Clone, Serialize)]
pub struct PlaybackEvent {
    pub position: f64,
    /// Whether the room is playing after the command (a seek keeps it as it was).
    pub playing: bool,
    /// The client that sent it; None when the server paused or resumed the room itself (a wait
    /// for a buffering viewer).
    pub by: Option<ClientId>,
    /// When the message was sent (server ms).
    pub server_time: u64,
    /// When the room is at `position` (server ms): for a start, a moment shortly ahead, so every
    /// page can begin together; otherwise `server_time`.
    pub at: u64,
}

impl ServerMsg {
    /// The event for `action`, applied to the room's `playback` (whose `updated_at` is its `at`).
    pub fn playback(
        action: PlaybackAction,
        playback: &Playback,
        by: Option<ClientId>,
        now: u64,
    ) -> Self {
        let event = PlaybackEvent {
            position: playback.position,
            playing: playback.playing,
            by,
            server_time: now,
            at: playback.updated_at,
        };
        match action {
            PlaybackAction::Play => Self::Play(event),
            PlaybackAction::Pause => Self::Pause(event),
            PlaybackAction::Seek => Self::Seek(event),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }

    /// The `wait` message for the room's current wait, naming who it waits for.
    pub fn wait_of(room: &Room<ClientId>, wait: &Wait<ClientId>) -> Self {
        Self::Wait(WaitView::of(room, wait))
    }

    /// To a viewer who made the room wait too often lately.
    pub fn catch_up() -> Self {
        Self::CatchUp {
            message: "the room no longer waits for you: it waited several times in the last few \
                      minutes; your player catches up on its own"
                .into(),
        }
    }

    pub fn viewers_of(room: &Room<ClientId>) -> Self {
        Self::Viewers {
            count: room.viewer_count(),
            viewers: ViewerView::list(room, PUSHED_VIEWERS_LIMIT),
        }
    }
}

/// A message over a rate limit: the socket stays open.
impl From<RetryAfter> for ProtocolError {
    fn from(retry: RetryAfter) -> Self {
        Self::new(
            "rate_limited",
            format!("you are sending too fast; wait {} s", retry.secs()),
        )
    }
}

impl From<ProtocolError> for ServerMsg {
    fn from(error: ProtocolError) -> Self {
        Self::Error {
            code: error.code,
            message: error.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(
            ClientMsg::parse(r#"{"type":"seek","position":7.5}"#),
            Ok(ClientMsg::Seek { position: 7.5 })
        );
        assert_eq!(
            ClientMsg::parse(r#"{"type":"heartbeat","position":1,"playing":true}"#),
            Ok(ClientMsg::Heartbeat {
                position: 1.0,
                playing: true
            })
        );
    }

    #[test]
    fn status_reports_are_parsed_then_checked() {
        let msg = ClientMsg::parse(
            r#"{"type":"status","state":"buffering","drift_ms":-40.5,"rtt_ms":null}"#,
        );
        let Ok(ClientMsg::Status {
            state,
            drift_ms,
            rtt_ms,
        }) = msg
        else {
            panic!("{msg:?}");
        };
        let status = status_of(&state, drift_ms, rtt_ms).unwrap();
        assert!(status.is_buffering());
        assert_eq!((status.drift_ms, status.rtt_ms), (Some(-40.5), None));
        assert_eq!(
            status_of("late", None, None).unwrap_err().code,
            "bad_status"
        );
        assert_eq!(
            status_of("ready", None, Some(1e6)).unwrap_err().code,
            "bad_status"
        );
    }

    #[test]
    fn wait_messages_name_who_is_waited_for() {
        let bob = ClientId(uuid::Uuid::nil());
        let mut room = Room::new("ABCDEFGH".into(), 0, 0);
        room.join(bob, Some("Bob".into()), 0).unwrap();
        let wait = Wait {
            waiting_for: vec![bob],
            until: 9_000,
        };
        assert_eq!(
            ServerMsg::wait_of(&room, &wait).to_json(),
            format!(
                r#"{{"type":"wait","waiting_for":[{{"client_id":"{bob}","name":"Bob"}}],"until":9000}}"#
            )
        );
        let over = ServerMsg::WaitOver { reason: "deadline" }.to_json();
        assert_eq!(over, r#"{"type":"wait_over","reason":"deadline"}"#);
        assert!(
            ServerMsg::catch_up()
                .to_json()
                .starts_with(r#"{"type":"catch_up","message":""#)
        );
    }

    #[test]
    fn refuses_malformed_input_with_a_code() {
        for (text, code) in [
            ("not json", "bad_message"),
            (r#"{"type":"dance"}"#, "bad_message"),
            (r#"{"type":"seek"}"#, "bad_message"),
            (r#"{"type":"seek","position":"7"}"#, "bad_message"),
            (r#"{"type":"seek","position":-3}"#, "bad_position"),
            (r#"{"type":"play","position":1e300}"#, "bad_position"),
            (
                r#"{"type":"seek","position":1,"extra":true}"#,
                "bad_message",
            ),
        ] {
            assert_eq!(ClientMsg::parse(text).unwrap_err().code, code, "{text}");
        }
    }

    #[test]
    fn server_messages_are_tagged() {
        let json = ServerMsg::Host { host: None }.to_json();
        assert_eq!(json, r#"{"type":"host","host":null}"#);
        let by = ClientId(uuid::Uuid::nil());
        let mut playback = Playback::paused_at_start(0);
        playback.apply(PlaybackAction::Seek, 7.0, 42);
        let json = ServerMsg::playback(PlaybackAction::Seek, &playback, Some(by), 42).to_json();
        assert_eq!(
            json,
            format!(
                r#"{{"type":"seek","position":7.0,"playing":false,"by":"{by}","server_time":42,"at":42}}"#
            )
        );
        playback.apply(PlaybackAction::Play, 7.0, 400);
        let json = ServerMsg::playback(PlaybackAction::Play, &playback, None, 100).to_json();
        assert_eq!(
            json,
            r#"{"type":"play","position":7.0,"playing":true,"by":null,"server_time":100,"at":400}"#
        );
    }
}
