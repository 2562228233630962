//! A room this node owns in cluster mode: the lease it renews, and its broadcasts published in
//! sequence for the nodes that relay it. The room's task queues each broadcast as it makes it and
//! publishes the batch once the command's changes are in the database (`live.rs`), so a node that
//! takes the room over loads at least what the others heard.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::cluster::{
    Cluster,
    rules::{self, Frame, Renewal},
};

pub(super) struct Ownership {
    cluster: Cluster,
    /// The last frame's place in the sequence; a new owner starts again from 1, and relays know
    /// it by its name.
    seq: u64,
    /// Made by the command being applied, not yet published.
    pending: Mutex<Vec<Arc<str>>>,
}

impl Ownership {
    pub(super) fn new(cluster: Cluster) -> Self {
        Self {
            cluster,
            seq: 0,
            pending: Mutex::default(),
        }
    }

    pub(super) fn renew_period(&self) -> Duration {
        rules::renew_period(self.cluster.lease())
    }

    pub(super) fn queue(&self, json: Arc<str>) {
        self.pending.lock().unwrap().push(json);
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.pending.lock().unwrap().is_empty()
    }

    pub(super) fn publish(&mut self, room: &str) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap());
        for json in pending {
            self.seq += 1;
            let frame = Frame {
                seq: self.seq,
                owner: self.cluster.node(),
                json: &json,
            };
            self.cluster.publish(room, frame.encode());
        }
    }

    /// Renews the lease; true when another node holds it now. While Redis is unreachable the
    /// room stays here (single-node fallback): nobody else can take the lease meanwhile.
    pub(super) async fn lost(&self, room: &str) -> bool {
        matches!(self.cluster.renew_lease(room).await, Ok(Renewal::Lost))
    }
}
