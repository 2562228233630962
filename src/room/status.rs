//! What a page reports about itself: its player's state, how far it is from where the room
//! should be, and its round trip to the server.

use serde::{Deserialize, Serialize};

/// Largest drift we accept, in ms (as long as the longest position): anything larger is a bad client.
pub const MAX_DRIFT_MS: f64 = 1.0e7;
/// Largest round trip we accept, in ms.
pub const MAX_RTT_MS: f64 = 60_000.0;

/// What [`ViewerStatus::new`] asks, in words for clients.
pub const STATUS_RULE: &str = "state must be ready, buffering, playing, paused or blocked; \
     drift_ms a number from -10000000 to 10000000 or null; rtt_ms a number from 0 to 60000 or null";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewerState {
    /// The video is loaded; the page could play.
    Ready,
    /// The page wants to play but has no data.
    Buffering,
    Playing,
    Paused,
    /// The browser refused to start playing until the person clicks.
    Blocked,
}

impl ViewerState {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "ready" => Self::Ready,
            "buffering" => Self::Buffering,
            "playing" => Self::Playing,
            "paused" => Self::Paused,
            "blocked" => Self::Blocked,
            _ => return None,
        })
    }
}

/// A page's latest report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewerStatus {
    pub state: ViewerState,
    /// How far the page is from where the room should be, in ms (positive: ahead).
    pub drift_ms: Option<f64>,
    /// The page's latest round trip to the server, in ms.
    pub rtt_ms: Option<f64>,
}

impl ViewerStatus {
    /// A report as sent; None when a value is not one [`STATUS_RULE`] allows.
    pub fn new(state: &str, drift_ms: Option<f64>, rtt_ms: Option<f64>) -> Option<Self> {
        let state = ViewerState::parse(state)?;
        let drift_ok = drift_ms.is_none_or(|d| d.is_finite() && d.abs() <= MAX_DRIFT_MS);
        let rtt_ok = rtt_ms.is_none_or(|r| r.is_finite() && (0.0..=MAX_RTT_MS).contains(&r));
        (drift_ok && rtt_ok).then_some(Self {
            state,
            drift_ms,
            rtt_ms,
        })
    }

    pub fn is_buffering(&self) -> bool {
        self.state == ViewerState::Buffering
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_checked() {
        let status = ViewerStatus::new("buffering", Some(-120.5), Some(80.0)).unwrap();
        assert!(status.is_buffering());
        assert_eq!(status.drift_ms, Some(-120.5));
        assert!(ViewerStatus::new("ready", None, None).is_some());
        assert!(ViewerStatus::new("blocked", Some(1.0e7), Some(60_000.0)).is_some());
        for (state, drift, rtt) in [
            ("dancing", None, None),
            ("Ready", None, None),
            ("ready", Some(f64::NAN), None),
            ("ready", Some(-1.0e7 - 1.0), None),
            ("ready", None, Some(-1.0)),
            ("ready", None, Some(60_001.0)),
            ("ready", None, Some(f64::INFINITY)),
        ] {
            assert_eq!(
                ViewerStatus::new(state, drift, rtt),
                None,
                "{state} {drift:?} {rtt:?}"
            );
        }
    }
}
