//! The cluster's pure rules: how a broadcast travels (the frame), how a relaying node notices a
//! missed one or a new owner, how often leases are renewed and looked at, and when a change of
//! Redis's reachability is worth a log line. No I/O, no clock.

use std::time::Duration;

/// One broadcast as the owner publishes it: who published it and its place in the room's
/// sequence, then the JSON every socket gets. JSON from serde never holds a raw newline, and node
/// names may not either (checked at start), so newlines part the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    pub seq: u64,
    pub owner: &'a str,
    pub json: &'a str,
}

impl<'a> Frame<'a> {
    pub fn encode(&self) -> String {
        format!("{}\n{}\n{}", self.seq, self.owner, self.json)
    }

    pub fn decode(text: &'a str) -> Option<Self> {
        let (seq, rest) = text.split_once('\n')?;
        let (owner, json) = rest.split_once('\n')?;
        Some(Self {
            seq: seq.parse().ok()?,
            owner,
            json,
        })
    }
}

/// What a relaying node does with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The next one: pass it on.
    InOrder,
    /// One or more were missed (or came twice): the sockets need a fresh snapshot.
    Gap,
    /// Another node publishes now: it owns the room since it loaded it from the database, so this
    /// node's viewers join it again and the sockets get a fresh snapshot.
    NewOwner,
}

/// A relaying node's place in its room's sequence.
#[derive(Debug, Default)]
pub struct Sequence {
    owner: Option<String>,
    last: Option<u64>,
}

impl Sequence {
    /// Starts over with a new owner (the relay joined it; its first frame is whatever comes next).
    pub fn follow(&mut self, owner: &str) {
        self.owner = Some(owner.to_string());
        self.last = None;
    }

    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    pub fn note(&mut self, owner: &str, seq: u64) -> Delivery {
        if self.owner.as_deref() != Some(owner) {
            self.owner = Some(owner.to_string());
            self.last = Some(seq);
            return Delivery::NewOwner;
        }
        let expected = self.last.map(|last| last + 1);
        self.last = Some(seq);
        match expected {
            // The first frame since following this owner: nothing to compare with.
            None => Delivery::InOrder,
            Some(expected) if expected == seq => Delivery::InOrder,
            Some(_) => Delivery::Gap,
        }
    }
}

/// How often an owner renews its lease: three tries before it lapses.
pub fn renew_period(lease: Duration) -> Duration {
    lease / 3
}

/// How often a relaying node looks at who holds its room's lease (and takes a lapsed one).
pub fn check_period(lease: Duration) -> Duration {
    lease / 4
}

/// How long a node's own heartbeat key lives; it is written every [`renew_period`].
pub fn node_ttl(lease: Duration) -> Duration {
    lease
}

/// The answer of the renewing script: 1 the lease is ours (renewed, or taken again after Redis
/// lost it), 0 another node holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    Held,
    Lost,
}

impl Renewal {
    pub fn of(answer: i64) -> Self {
        match answer {
            1 => Self::Held,
            _ => Self::Lost,
        }
    }
}

/// Whether Redis answers, remembered so that a change is logged once, not on every failure.
#[derive(Debug, Default)]
pub struct Reachability {
    lost: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Lost,
    Back,
}

impl Reachability {
    pub fn note(&mut self, answered: bool) -> Option<Change> {
        let change = match (self.lost, answered) {
            (false, false) => Some(Change::Lost),
            (true, true) => Some(Change::Back),
            _ => None,
        };
        self.lost = !answered;
        change
    }

    pub fn is_lost(&self) -> bool {
        self.lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_garbage_is_refused() {
        let frame = Frame {
            seq: 42,
            owner: "node-a:8080",
            json: r#"{"type":"chat","text":"a\nb"}"#,
        };
        let text = frame.encode();
        assert_eq!(Frame::decode(&text), Some(frame));
        assert_eq!(Frame::decode("x\nnode\n{}"), None);
        assert_eq!(Frame::decode("12 no newline"), None);
    }

    #[test]
    fn a_missed_or_repeated_frame_is_a_gap() {
        let mut seq = Sequence::default();
        seq.follow("a");
        assert_eq!(seq.note("a", 7), Delivery::InOrder);
        assert_eq!(seq.note("a", 8), Delivery::InOrder);
        assert_eq!(seq.note("a", 10), Delivery::Gap);
        assert_eq!(seq.note("a", 11), Delivery::InOrder);
        assert_eq!(seq.note("a", 11), Delivery::Gap);
    }

    #[test]
    fn another_publisher_is_a_new_owner() {
        let mut seq = Sequence::default();
        seq.follow("a");
        assert_eq!(seq.note("a", 1), Delivery::InOrder);
        assert_eq!(seq.note("b", 1), Delivery::NewOwner);
        assert_eq!(seq.owner(), Some("b"));
        assert_eq!(seq.note("b", 2), Delivery::InOrder);
    }

    #[test]
    fn leases_are_renewed_and_checked_well_before_they_lapse() {
        let lease = Duration::from_millis(5000);
        assert!(renew_period(lease) * 2 < lease);
        assert!(check_period(lease) < renew_period(lease));
        assert_eq!(Renewal::of(1), Renewal::Held);
        assert_eq!(Renewal::of(0), Renewal::Lost);
    }

    #[test]
    fn reachability_changes_are_reported_once() {
        let mut redis = Reachability::default();
        assert_eq!(redis.note(true), None);
        assert_eq!(redis.note(false), Some(Change::Lost));
        assert_eq!(redis.note(false), None);
        assert!(redis.is_lost());
        assert_eq!(redis.note(true), Some(Change::Back));
        assert_eq!(redis.note(true), None);
    }
}
