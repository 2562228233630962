//! Nodes joined over Redis (`redis_url`): this node's name and address, room leases, the
//! broadcasts an owner publishes and the requests nodes send each other. It knows nothing of rooms
//! beyond their codes: `hub/remote.rs` decides what travels.
//!
//! One Redis connection (multiplexed, RESP3) carries everything: commands, publishing, and the
//! subscriptions, whose messages come back as pushes that one task routes. It reconnects by itself
//! and subscribes again; while Redis is away, publishing and requests fail fast, and the node goes
//! on serving the rooms it owns (`hub/remote.rs`).
//!
//! Keys and channels:
//! - `goblet:lease:{room}`: the owning node's name, with an expiry the owner renews.
//! - `goblet:node:{name}`: the node's URL while it lives (renewed with the leases' rhythm).
//! - `goblet:room:{room}`: the owner's broadcasts, each a [`rules::Frame`].
//! - `goblet:node:{name}:in`: requests and replies for a node, as JSON [`Message`]s.

pub mod rules;

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use redis::{PushInfo, PushKind, Script, aio::ConnectionManager};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, health::ClusterHealth, metrics::Metrics};
use rules::{Change, Reachability, Renewal};

/// How long one Redis command may take before it counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// Takes the lease when nobody holds it; answers who holds it now.
const TAKE: &str = r"
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder";

/// Renews the lease if it is ours, or takes it again if Redis lost it (restarted empty): 1; held
/// by another node: 0.
const RENEW: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0";

/// The URL of the node holding the lease, unless it is this one or nobody (then this node may
/// take it) or the holder stopped heartbeating.
const OWNER_URL: &str = r"
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
  return false
end
return redis.call('GET', 'goblet:node:' .. holder)";

/// Deletes the lease only if it is still ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// What nodes send each other on their `:in` channels.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// `id` 0: no reply is wanted.
    Request {
        id: u64,
        from: String,
        room: String,
        body: serde_json::Value,
    },
    Reply {
        id: u64,
        body: serde_json::Value,
    },
}

/// A request another node sent this one.
#[derive(Debug)]
pub struct Incoming {
    pub id: u64,
    pub from: String,
    pub room: String,
    pub body: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("no answer in time")]
    Timeout,
}

#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    url: String,
    lease: Duration,
    redis: ConnectionManager,
    take: Script,
    renew: Script,
    release: Script,
    owner_url: Script,
    /// Rooms this node relays: their frames go to the room's relay.
    relays: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
    /// Requests waiting for their reply.
    pending: Mutex<HashMap<u64, oneshot::Sender<serde_json::Value>>>,
    next_id: AtomicU64,
    reachability: Mutex<Reachability>,
    /// Counts failed Redis calls for `GET /metrics`.
    metrics: Arc<Metrics>,
    /// Publishing goes through one task, so messages leave in the order they were made.
    outbox: mpsc::UnboundedSender<(String, String)>,
}

impl Cluster {
    /// Connects to Redis and starts the tasks that route its messages, publish, and keep this
    /// node's heartbeat; requests for this node come out of the receiver.
    pub async fn connect(
        config: &Config,
        shutdown: CancellationToken,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<(Self, mpsc::UnboundedReceiver<Incoming>)> {
        let node = config.node_name();
        let url = resp3(config.redis_url.expose());
        let client = redis::Client::open(url).context("while reading redis_url")?;
        let (pushes, push_rx) = mpsc::unbounded_channel();
        let manager = redis::aio::ConnectionManagerConfig::new()
            .set_push_sender(pushes)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let mut redis = client
            .get_connection_manager_with_config(manager)
            .await
            .context("while connecting to Redis")?;
        redis
            .subscribe(inbox(&node))
            .await
            .context("while subscribing to this node's channel")?;
        let (outbox, outbox_rx) = mpsc::unbounded_channel();
        let cluster = Self {
            inner: Arc::new(Inner {
                node,
                url: config.node_url(),
                lease: Duration::from_millis(config.room_lease_ms),
                redis,
                take: Script::new(TAKE),
                renew: Script::new(RENEW),
                release: Script::new(RELEASE),
                owner_url: Script::new(OWNER_URL),
                relays: Mutex::default(),
                pending: Mutex::default(),
                next_id: AtomicU64::new(1),
                reachability: Mutex::default(),
                metrics,
                outbox,
            }),
        };
        let (incoming, incoming_rx) = mpsc::unbounded_channel();
        tokio::spawn(cluster.clone().route(push_rx, incoming));
        tokio::spawn(cluster.clone().publish_in_order(outbox_rx));
        tokio::spawn(cluster.clone().heartbeat(shutdown));
        tracing::info!(node = %cluster.node(), url = %cluster.inner.url, "joined the cluster");
        Ok((cluster, incoming_rx))
    }

    pub fn node(&self) -> &str {
        &self.inner.node
    }

    pub fn lease(&self) -> Duration {
        self.inner.lease
    }

    /// For `/healthz`: reached or lost.
    pub fn health(&self) -> ClusterHealth {
        match self.inner.reachability.lock().unwrap().is_lost() {
            true => ClusterHealth::Unreachable,
            false => ClusterHealth::Ok,
        }
    }

    fn conn(&self) -> ConnectionManager {
        self.inner.redis.clone()
    }

    /// Notes whether Redis answered, logging a change once.
    fn note<T>(&self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if result.is_err() {
            self.inner.metrics.redis_error();
        }
        let change = self.inner.reachability.lock().unwrap().note(result.is_ok());
        match (change, &result) {
            (Some(Change::Lost), Err(error)) => tracing::error!(
                %error,
                "Redis is unreachable: serving the rooms this node owns on its own until it is back"
            ),
            (Some(Change::Back), _) => tracing::info!("Redis is back: the cluster is whole again"),
            _ => {}
        }
        result
    }

    /// Takes the room's lease if nobody holds it; the name of the node holding it now.
    pub async fn take_lease(&self, room: &str) -> redis::RedisResult<String> {
        let holder = self
            .inner
            .take
            .key(lease_key(room))
            .arg(self.node())
            .arg(self.lease_ms())
            .invoke_async(&mut self.conn())
            .await;
        self.note(holder)
    }

    /// Where to pass a request about `room`: the owning node's URL when another node owns it.
    pub async fn owner_url(&self, room: &str) -> redis::RedisResult<Option<String>> {
        let url = self
            .inner
            .owner_url
            .key(lease_key(room))
            .arg(self.node())
            .invoke_async(&mut self.conn())
            .await;
        self.note(url)
    }

    pub async fn renew_lease(&self, room: &str) -> redis::RedisResult<Renewal> {
        let answer: redis::RedisResult<i64> = self
            .inner
            .renew
            .key(lease_key(room))
            .arg(self.node())
            .arg(self.lease_ms())
            .invoke_async(&mut self.conn())
            .await;
        self.note(answer).map(Renewal::of)
    }

    pub async fn release_lease(&self, room: &str) {
        let released: redis::RedisResult<i64> = self
            .inner
            .release
            .key(lease_key(room))
            .arg(self.node())
            .invoke_async(&mut self.conn())
            .await;
        if let Err(error) = self.note(released) {
            tracing::warn!(room, %error, "could not release a room's lease; it lapses by itself");
        }
    }

    /// Whether the node's heartbeat is still in Redis.
    pub async fn node_alive(&self, node: &str) -> redis::RedisResult<bool> {
        let alive = redis::cmd("EXISTS")
            .arg(node_key(node))
            .query_async(&mut self.conn())
            .await;
        self.note(alive)
    }

    /// Publishes one of an owned room's broadcasts (in order with everything else published).
    pub fn publish(&self, room: &str, frame: String) {
        let _ = self.inner.outbox.send((room_channel(room), frame));
    }

    /// Starts relaying the room's frames to the receiver.
    pub async fn subscribe(
        &self,
        room: &str,
    ) -> redis::RedisResult<mpsc::UnboundedReceiver<String>> {
        let (frames, receiver) = mpsc::unbounded_channel();
        self.inner
            .relays
            .lock()
            .unwrap()
            .insert(room.to_string(), frames);
        let subscribed = self.conn().subscribe(room_channel(room)).await;
        self.note(subscribed).map(|()| receiver)
    }

    pub async fn unsubscribe(&self, room: &str) {
        self.inner.relays.lock().unwrap().remove(room);
        let unsubscribed = self.conn().unsubscribe(room_channel(room)).await;
        let _ = self.note(unsubscribed);
    }

    /// Sends a request to `node` about `room` and waits for the reply, `timeout` at most.
    pub async fn request(
        &self,
        node: &str,
        room: &str,
        body: serde_json::Value,
        timeout: Duration,
    ) -> Result<serde_json::Value, RequestError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        self.inner.pending.lock().unwrap().insert(id, reply);
        self.send_message(node, id, room, body);
        let answer = tokio::time::timeout(timeout, answer).await;
        self.inner.pending.lock().unwrap().remove(&id);
        match answer {
            Ok(Ok(body)) => Ok(body),
            _ => Err(RequestError::Timeout),
        }
    }

    /// Sends a request that wants no reply.
    pub fn tell(&self, node: &str, room: &str, body: serde_json::Value) {
        self.send_message(node, 0, room, body);
    }

    fn send_message(&self, node: &str, id: u64, room: &str, body: serde_json::Value) {
        let message = Message::Request {
            id,
            from: self.node().to_string(),
            room: room.to_string(),
            body,
        };
        self.send_to(node, &message);
    }

    pub fn reply(&self, node: &str, id: u64, body: serde_json::Value) {
        if id != 0 {
            self.send_to(node, &Message::Reply { id, body });
        }
    }

    fn send_to(&self, node: &str, message: &Message) {
        let text = serde_json::to_string(message).expect("messages serialise");
        let _ = self.inner.outbox.send((inbox(node), text));
    }

    fn lease_ms(&self) -> u64 {
        self.inner.lease.as_millis() as u64
    }

    /// Routes what Redis pushes: frames to their room's relay, requests to the hub, replies to
    /// whoever waits for them.
    async fn route(
        self,
        mut pushes: mpsc::UnboundedReceiver<PushInfo>,
        incoming: mpsc::UnboundedSender<Incoming>,
    ) {
        let own = inbox(self.node());
        while let Some(push) = pushes.recv().await {
            if push.kind == PushKind::Disconnection {
                let _ = self.note::<()>(Err(redis::RedisError::from((
                    redis::ErrorKind::Io,
                    "disconnected",
                ))));
                continue;
            }
            if push.kind != PushKind::Message {
                continue;
            }
            let mut data = push.data.into_iter();
            let (Some(channel), Some(payload)) = (data.next(), data.next()) else {
                continue;
            };
            let (Ok(channel), Ok(payload)) = (
                redis::from_redis_value::<String>(channel),
                redis::from_redis_value::<String>(payload),
            ) else {
                continue;
            };
            if channel == own {
                self.deliver(payload, &incoming);
            } else if let Some(room) = channel.strip_prefix("goblet:room:") {
                let relay = self.inner.relays.lock().unwrap().get(room).cloned();
                if let Some(relay) = relay {
                    let _ = relay.send(payload);
                }
            }
        }
    }

    fn deliver(&self, payload: String, incoming: &mpsc::UnboundedSender<Incoming>) {
        match serde_json::from_str(&payload) {
            Ok(Message::Request {
                id,
                from,
                room,
                body,
            }) => {
                let _ = incoming.send(Incoming {
                    id,
                    from,
                    room,
                    body,
                });
            }
            Ok(Message::Reply { id, body }) => {
                if let Some(waiting) = self.inner.pending.lock().unwrap().remove(&id) {
                    let _ = waiting.send(body);
                }
            }
            Err(error) => tracing::warn!(%error, "an unreadable message from another node"),
        }
    }

    async fn publish_in_order(self, mut outbox: mpsc::UnboundedReceiver<(String, String)>) {
        let mut redis = self.conn();
        while let Some((channel, payload)) = outbox.recv().await {
            // While Redis is away, waiting a timeout per message would pile them up, to be sent
            // stale later: they are dropped, and relays resync from the gap (the heartbeat notices
            // when Redis is back).
            if self.inner.reachability.lock().unwrap().is_lost() {
                continue;
            }
            let published: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(payload)
                .query_async(&mut redis)
                .await;
            // Lost while Redis is away: relays see the gap and resync when it is back.
            let _ = self.note(published);
        }
    }

    /// Keeps `goblet:node:{name}` alive while the node runs, so owners can tell which nodes'
    /// viewers are still there; deleted at shutdown.
    async fn heartbeat(self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(rules::renew_period(self.lease()));
        let ttl = rules::node_ttl(self.lease()).as_millis() as u64;
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let written: redis::RedisResult<()> = redis::cmd("SET")
                        .arg(node_key(self.node()))
                        .arg(&self.inner.url)
                        .arg("PX")
                        .arg(ttl)
                        .query_async(&mut self.conn())
                        .await;
                    let _ = self.note(written);
                }
                () = shutdown.cancelled() => break,
            }
        }
        let deleted: redis::RedisResult<()> = redis::cmd("DEL")
            .arg(node_key(self.node()))
            .query_async(&mut self.conn())
            .await;
        let _ = deleted;
    }
}

/// The URL with RESP3 asked for: subscriptions then arrive as pushes on the shared connection.
fn resp3(url: &str) -> String {
    if url.contains("protocol=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}protocol=resp3")
}

fn lease_key(room: &str) -> String {
    format!("goblet:lease:{room}")
}

fn node_key(node: &str) -> String {
    format!("goblet:node:{node}")
}

fn inbox(node: &str) -> String {
    format!("goblet:node:{node}:in")
}

fn room_channel(room: &str) -> String {
    format!("goblet:room:{room}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp3_is_asked_for_once() {
        assert_eq!(resp3("redis://h:1/"), "redis://h:1/?protocol=resp3");
        assert_eq!(
            resp3("redis://h:1/?db=2"),
            "redis://h:1/?db=2&protocol=resp3"
        );
        assert_eq!(
            resp3("redis://h/?protocol=resp3"),
            "redis://h/?protocol=resp3"
        );
    }
}
