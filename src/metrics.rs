//! The server's counters and gauges, and their text for `GET /metrics` (OpenMetrics, which
//! Prometheus scrapes). Each is moved at the one place its event happens: the room task, a
//! socket's loop, the end of an upload; the cluster code moves the lease and Redis counters.
//!
//! `prometheus-client` is the Prometheus project's own Rust client: typed metrics that are plain
//! atomics (an increment takes no lock), a registry encoded on demand, and no global state, so
//! every server in a test process keeps its own figures.

use std::fmt;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, info::Info},
    registry::{Metric, Registry},
};

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A new metric, registered under `name`; the registry keeps a clone (they share one value).
fn registered<M: Metric + Clone + Default>(registry: &mut Registry, name: &str, help: &str) -> M {
    let metric = M::default();
    registry.register(name, help, metric.clone());
    metric
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// What became of an upload that arrived whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    /// It plays as it is and is the room's video, or in its queue.
    Stored,
    /// It went to ffmpeg to be made playable.
    Processing,
    /// It was refused or could not be kept (the file is gone).
    Failed,
}

impl UploadOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Processing => "processing",
            Self::Failed => "failed",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    rooms: Gauge,
    sockets: Gauge,
    delivered: Counter,
    commands: Family<KindLabel, Counter>,
    uploads: Family<OutcomeLabel, Counter>,
    upload_bytes: Counter,
    lease_changes: Counter,
    redis_errors: Counter,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("goblet");
        registry.register(
            "build",
            "The running version",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        let r = &mut registry;
        Self {
            rooms: registered(
                r,
                "rooms_live",
                "Rooms in this process's memory (each with its own task)",
            ),
            sockets: registered(r, "sockets_open", "Room sockets open"),
            delivered: registered(r, "messages_delivered", "Messages written to room sockets"),
            commands: registered(
                r,
                "room_commands",
                "Commands the room tasks took in, by kind (refused ones too)",
            ),
            uploads: registered(
                r,
                "uploads_finished",
                "Uploads received whole, by what became of them",
            ),
            upload_bytes: registered(r, "upload_bytes", "Bytes of uploads received whole"),
            lease_changes: registered(
                r,
                "lease_changes",
                "Room leases this node took or lost (cluster mode)",
            ),
            redis_errors: registered(r, "redis_errors", "Failed Redis calls (cluster mode)"),
            registry,
        }
    }

    /// A room's task started; the gauge goes down when the guard is dropped, however it ends.
    pub fn room_loaded(&self) -> Live {
        Live::new(&self.rooms)
    }

    /// A socket joined its room; the gauge goes down when the guard is dropped.
    pub fn socket_opened(&self) -> Live {
        Live::new(&self.sockets)
    }

    /// `n` messages were written to sockets.
    pub fn delivered(&self, n: u64) {
        self.delivered.inc_by(n);
    }

    /// A room task applied a command of this kind.
    pub fn command(&self, kind: &'static str) {
        self.commands.get_or_create(&KindLabel { kind }).inc();
    }

    /// An upload of `bytes` arrived whole and ended as `outcome`.
    pub fn upload_finished(&self, bytes: u64, outcome: UploadOutcome) {
        let outcome = outcome.label();
        self.uploads.get_or_create(&OutcomeLabel { outcome }).inc();
        self.upload_bytes.inc_by(bytes);
    }

    /// This node took a room's lease or lost it.
    pub fn lease_changed(&self) {
        self.lease_changes.inc();
    }

    /// A Redis call failed.
    pub fn redis_error(&self) {
        self.redis_errors.inc();
    }

    /// Every series, as `GET /metrics` answers ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// One room or socket counted in its gauge for as long as this lives.
#[must_use = "the gauge goes back down when this is dropped"]
pub struct Live(Gauge);

impl Live {
    fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line `series` (name and labels as written), if present.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.parse().unwrap())
    }

    #[test]
    fn a_fresh_registry_shows_every_series_at_zero() {
        let text = Metrics::new().render();
        for series in [
            "goblet_rooms_live",
            "goblet_sockets_open",
            "goblet_messages_delivered_total",
            "goblet_upload_bytes_total",
            "goblet_lease_changes_total",
            "goblet_redis_errors_total",
        ] {
            assert_eq!(sample(&text, series), Some(0.0), "{series} in {text}");
        }
        let version = format!(
            "goblet_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(sample(&text, &version), Some(1.0), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn counters_add_up_by_label() {
        let metrics = Metrics::new();
        metrics.command("playback");
        metrics.command("playback");
        metrics.command("chat");
        metrics.upload_finished(100, UploadOutcome::Stored);
        metrics.upload_finished(20, UploadOutcome::Failed);
        metrics.delivered(3);
        metrics.lease_changed();
        metrics.redis_error();
        let text = metrics.render();
        let commands = "goblet_room_commands_total";
        assert_eq!(
            sample(&text, &format!("{commands}{{kind=\"playback\"}}")),
            Some(2.0)
        );
        assert_eq!(
            sample(&text, &format!("{commands}{{kind=\"chat\"}}")),
            Some(1.0)
        );
        let uploads = "goblet_uploads_finished_total";
        assert_eq!(
            sample(&text, &format!("{uploads}{{outcome=\"stored\"}}")),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, &format!("{uploads}{{outcome=\"failed\"}}")),
            Some(1.0)
        );
        assert_eq!(sample(&text, "goblet_upload_bytes_total"), Some(120.0));
        assert_eq!(sample(&text, "goblet_messages_delivered_total"), Some(3.0));
        assert_eq!(sample(&text, "goblet_lease_changes_total"), Some(1.0));
        assert_eq!(sample(&text, "goblet_redis_errors_total"), Some(1.0));
    }

    #[test]
    fn gauges_follow_their_guards() {
        let metrics = Metrics::new();
        let first = metrics.socket_opened();
        let second = metrics.socket_opened();
        let room = metrics.room_loaded();
        let text = metrics.render();
        assert_eq!(sample(&text, "goblet_sockets_open"), Some(2.0));
        assert_eq!(sample(&text, "goblet_rooms_live"), Some(1.0));
        drop((first, room));
        let text = metrics.render();
        assert_eq!(sample(&text, "goblet_sockets_open"), Some(1.0));
        assert_eq!(sample(&text, "goblet_rooms_live"), Some(0.0));
        drop(second);
        assert_eq!(sample(&metrics.render(), "goblet_sockets_open"), Some(0.0));
    }
}
