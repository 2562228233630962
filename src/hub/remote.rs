//! Rooms across nodes (cluster mode). A room's task on a node either owns the room (holds its
//! lease, runs `live.rs` and publishes its broadcasts) or relays it: it subscribes to the owner's
//! broadcasts and passes them to this node's sockets, and forwards their commands to the owner.
//! When the owner's lease lapses, a relaying task takes it and loads the room from the database;
//! its sockets keep their channels, so they see a fresh snapshot and no reconnection.
//!
//! The owner's side of a forwarded command is [`serve_requests`]: it puts the command on the room's
//! queue in the order it arrived, and replies once it is applied. Viewers joined through another
//! node are counted per node, and dropped when that node stops heartbeating.

use std::{
    collections::{HashMap, HashSet},
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use tokio::{
    sync::{mpsc, oneshot},
    time::{Instant, MissedTickBehavior},
};

use super::{
    handle::{Command, Denied, End, Welcome},
    live::{self, Channels, RESYNC, Rejoin},
    ownership::Ownership,
    registry::Hub,
};
use crate::{
    client::ClientId,
    cluster::{
        Cluster, Incoming,
        rules::{self, Delivery, Frame, Sequence},
    },
    limits::RetryAfter,
    protocol::ProtocolError,
    room::{JoinRefused, Playback, PlaybackAction, ViewerState, ViewerStatus},
};

/// A forwarded command waits this long for the owner's answer at most.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// What the hub keeps of the cluster.
pub(super) struct ClusterLink {
    pub(super) cluster: Cluster,
    /// Rooms this node owns now; requests for any other are answered `not_owner`.
    owned: Mutex<HashSet<String>>,
    /// Of each owned room: the viewers joined through other nodes, by node, with their sockets.
    remote_viewers: Mutex<HashMap<String, ViewersByNode>>,
}

/// Node name -> client -> sockets.
type ViewersByNode = HashMap<String, HashMap<ClientId, u32>>;

impl ClusterLink {
    pub(super) fn new(cluster: Cluster) -> Self {
        Self {
            cluster,
            owned: Mutex::default(),
            remote_viewers: Mutex::default(),
        }
    }

    pub(super) fn owns(&self, room: &str) -> bool {
        self.owned.lock().unwrap().contains(room)
    }

    fn count_viewer(&self, room: &str, node: &str, client: ClientId, joined: bool) {
        let mut rooms = self.remote_viewers.lock().unwrap();
        let sockets = rooms
            .entry(room.to_string())
            .or_default()
            .entry(node.to_string())
            .or_default()
            .entry(client)
            .or_default();
        match joined {
            true => *sockets += 1,
            false => *sockets = sockets.saturating_sub(1),
        }
        if *sockets == 0
            && let Some(nodes) = rooms.get_mut(room)
            && let Some(clients) = nodes.get_mut(node)
        {
            clients.remove(&client);
        }
    }
}

/// A command as it travels to the room's owner.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request {
    Join {
        client: ClientId,
        address: IpAddr,
        name: Option<String>,
    },
    Leave {
        client: ClientId,
    },
    Playback {
        by: ClientId,
        action: PlaybackAction,
        position: f64,
    },
    Heartbeat {
        by: ClientId,
        position: f64,
        playing: bool,
    },
    Status {
        client: ClientId,
        state: ViewerState,
        drift_ms: Option<f64>,
        rtt_ms: Option<f64>,
    },
    Ended {
        by: ClientId,
        video_id: i64,
        duration: f64,
    },
    Chat {
        client: ClientId,
        address: IpAddr,
        text: String,
    },
    Snapshot {
        client: ClientId,
    },
    Admit {
        client: ClientId,
    },
    ClaimHost {
        client: ClientId,
    },
    RenameViewer {
        client: ClientId,
        name: String,
    },
}

/// The owner's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
enum Answer {
    /// This node does not own the room (any more): the asker looks at the lease again.
    NotOwner,
    Welcome {
        snapshot: String,
        history: Option<String>,
    },
    Refused {
        refusal: Refusal,
    },
    Playback {
        playback: Playback,
    },
    Denied {
        denied: Refused,
    },
    Flag {
        value: bool,
    },
    Text {
        text: String,
    },
    Error {
        code: String,
        message: String,
    },
    Done,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
enum Refusal {
    Kicked { until: u64 },
    Full { max: u32 },
    PasswordRequired,
}

impl From<JoinRefused> for Refusal {
    fn from(refused: JoinRefused) -> Self {
        match refused {
            JoinRefused::Kicked { until } => Self::Kicked { until },
            JoinRefused::Full { max } => Self::Full { max },
            JoinRefused::PasswordRequired => Self::PasswordRequired,
        }
    }
}

impl From<Refusal> for JoinRefused {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Kicked { until } => Self::Kicked { until },
            Refusal::Full { max } => Self::Full { max },
            Refusal::PasswordRequired => Self::PasswordRequired,
        }
    }
}

/// Why the owner refused a command, as far as a socket on another node needs to know.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
enum Refused {
    RateLimited { retry_ms: u64 },
    NotAllowed,
    Failed,
}

impl From<Denied> for Refused {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::RateLimited(RetryAfter(after)) => Self::RateLimited {
                retry_ms: after.as_millis() as u64,
            },
            Denied::NotAllowed => Self::NotAllowed,
            other => {
                tracing::warn!(error = %other, "a forwarded command failed");
                Self::Failed
            }
        }
    }
}

impl From<Refused> for Denied {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::RateLimited { retry_ms } => {
                Self::RateLimited(RetryAfter(Duration::from_millis(retry_ms)))
            }
            Refused::NotAllowed => Self::NotAllowed,
            Refused::Failed => Self::Unavailable,
        }
    }
}

/// A chat error's code as the socket protocol spells it (codes are static there).
fn chat_code(code: &str) -> &'static str {
    match code {
        "message_too_long" => "message_too_long",
        "empty_message" => "empty_message",
        "rate_limited" => "rate_limited",
        _ => "internal",
    }
}

/// The room's task in cluster mode: owns the room while it holds the lease, relays it otherwise,
/// and switches as the lease moves.
pub(super) async fn run(
    hub: &Hub,
    link: Arc<ClusterLink>,
    code: &str,
    queue: &mut mpsc::Receiver<Command>,
) -> End {
    let cluster = link.cluster.clone();
    let mut channels = Channels::new();
    let mut rejoin = Vec::new();
    loop {
        if hub.shared().stopping.is_cancelled() {
            return End::Stopped;
        }
        let holder = match cluster.take_lease(code).await {
            Ok(holder) => holder,
            // Nobody can tell who owns it: not loaded here (rooms owned already stay).
            Err(_) => return End::Failed,
        };
        if holder == cluster.node() {
            link.owned.lock().unwrap().insert(code.to_string());
            tracing::info!(room = %code, "this node owns the room");
            hub.shared().metrics.lease_changed();
            let ownership = Ownership::new(cluster.clone());
            let rejoining = std::mem::take(&mut rejoin);
            let end = live::serve_here(
                hub,
                code,
                queue,
                channels.clone(),
                Some(ownership),
                rejoining,
            )
            .await;
            link.owned.lock().unwrap().remove(code);
            link.remote_viewers.lock().unwrap().remove(code);
            if end == End::Handover {
                // This node's sockets joined its own copy: they close and come back through
                // the new owner.
                tracing::warn!(room = %code, "another node took the room over");
                hub.shared().metrics.lease_changed();
                channels = Channels::new();
                continue;
            }
            cluster.release_lease(code).await;
            return end;
        }
        let relay = Relay {
            hub,
            cluster: &cluster,
            code,
            channels: &channels,
            owner: holder,
            locals: Arc::default(),
        };
        match relay.run(queue).await {
            Relayed::Take(locals) => rejoin = locals,
            Relayed::End(end) => return end,
        }
    }
}

/// This node's sockets in a relayed room: their client's address and name, and how many.
type Locals = Arc<Mutex<HashMap<ClientId, (IpAddr, Option<String>, u32)>>>;

struct Relay<'a> {
    hub: &'a Hub,
    cluster: &'a Cluster,
    code: &'a str,
    channels: &'a Channels,
    owner: String,
    locals: Locals,
}

enum Relayed {
    /// The owner's lease lapsed and this node took it: these sockets join the loaded room.
    Take(Vec<Rejoin>),
    End(End),
}

impl Relay<'_> {
    async fn run(mut self, queue: &mut mpsc::Receiver<Command>) -> Relayed {
        let Ok(mut frames) = self.cluster.subscribe(self.code).await else {
            return Relayed::End(End::Failed);
        };
        tracing::info!(room = %self.code, owner = %self.owner, "relaying the room");
        let mut sequence = Sequence::default();
        sequence.follow(&self.owner);
        let period = rules::check_period(self.cluster.lease());
        let mut check = tokio::time::interval_at(Instant::now() + period, period);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let unload_after = self.hub.shared().settings.unload_after;
        let unload = tokio::time::sleep(unload_after);
        tokio::pin!(unload);
        let stopping = self.hub.shared().stopping.clone();
        let end = loop {
            tokio::select! {
                command = queue.recv() => {
                    let Some(command) = command else { break Relayed::End(End::Unloaded) };
                    self.forward(command).await;
                    if self.locals.lock().unwrap().is_empty() {
                        unload.as_mut().reset(Instant::now() + unload_after);
                    }
                }
                frame = frames.recv() => {
                    let Some(text) = frame else { break Relayed::End(End::Failed) };
                    self.frame(&mut sequence, &text);
                }
                _ = check.tick() => match self.cluster.take_lease(self.code).await {
                    Ok(holder) if holder == self.cluster.node() => break Relayed::Take(self.rejoins()),
                    Ok(holder) if holder != self.owner => {
                        sequence.follow(&holder);
                        self.follow(holder);
                    }
                    _ => {}
                },
                () = &mut unload => {
                    if self.locals.lock().unwrap().is_empty() {
                        break Relayed::End(End::Unloaded);
                    }
                    unload.as_mut().reset(Instant::now() + unload_after);
                }
                () = stopping.cancelled() => break Relayed::End(End::Stopped),
            }
        };
        self.cluster.unsubscribe(self.code).await;
        end
    }

    fn rejoins(&self) -> Vec<Rejoin> {
        let locals = self.locals.lock().unwrap();
        locals
            .iter()
            .flat_map(|(client, (address, name, sockets))| {
                (0..*sockets).map(|_| (*client, *address, name.clone()))
            })
            .collect()
    }

    /// Another node owns the room now: this node's sockets join it, then ask for a snapshot.
    fn follow(&mut self, owner: String) {
        tracing::info!(room = %self.code, %owner, "the room has a new owner");
        self.owner = owner;
        for (client, address, name) in self.rejoins() {
            let join = Request::Join {
                client,
                address,
                name,
            };
            self.cluster.tell(&self.owner, self.code, to_json(&join));
        }
        let _ = self.channels.broadcasts.send(RESYNC.into());
    }

    fn frame(&mut self, sequence: &mut Sequence, text: &str) {
        let Some(frame) = Frame::decode(text) else {
            return;
        };
        let delivery = sequence.note(frame.owner, frame.seq);
        if delivery == Delivery::NewOwner {
            self.follow(frame.owner.to_string());
        }
        let json: Arc<str> = frame.json.into();
        if json.starts_with(r#"{"type":"kicked""#)
            && let Ok(kicked) = serde_json::from_str::<Kicked>(&json)
        {
            let _ = self.channels.kicks.send(kicked.client_id);
        }
        let _ = self.channels.broadcasts.send(json);
        if delivery == Delivery::Gap {
            tracing::debug!(room = %self.code, "missed a broadcast; resyncing");
            let _ = self.channels.broadcasts.send(RESYNC.into());
        }
    }

    /// Sends a socket's command to the owner; the answer comes back in its own task, so the
    /// room's next command need not wait for it (the owner applies them in the order sent).
    async fn forward(&mut self, command: Command) {
        let cluster = self.cluster.clone();
        let owner = self.owner.clone();
        let code = self.code.to_string();
        let ask = move |request: Request| {
            let (cluster, owner, code) = (cluster.clone(), owner.clone(), code.clone());
            async move {
                let body = cluster
                    .request(&owner, &code, to_json(&request), REQUEST_TIMEOUT)
                    .await;
                body.ok()
                    .and_then(|body| serde_json::from_value::<Answer>(body).ok())
            }
        };
        let tell = |request: Request| self.cluster.tell(&self.owner, self.code, to_json(&request));
        let Some(request) = command.to_request() else {
            match command {
                // The owner holds the room: it is there.
                Command::Exists { reply } => {
                    let _ = reply.send(true);
                }
                // Another node's sweep met the room here first: its owner is active, and its own
                // sweep decides.
                Command::ExpireIfIdle { reply, .. } => {
                    let _ = reply.send(Ok(false));
                }
                // REST requests that change or read more of the room are served by its owner's
                // node alone; here the request hears that the room is unavailable (its reply is
                // dropped).
                _ => {}
            }
            return;
        };
        match command {
            Command::Join {
                client,
                address,
                name,
                reply,
            } => {
                let broadcasts = self.channels.broadcasts.subscribe();
                let kicks = self.channels.kicks.subscribe();
                let locals = self.locals.clone();
                let (cluster, owner, code) = (self.cluster.clone(), self.owner.clone(), self.code);
                let code = code.to_string();
                tokio::spawn(async move {
                    match ask(request).await {
                        Some(Answer::Welcome { snapshot, history }) => {
                            let welcome = Welcome {
                                broadcasts,
                                kicks,
                                snapshot,
                                history: history.map(Into::into),
                            };
                            if reply.send(Ok(welcome)).is_err() {
                                cluster.tell(&owner, &code, to_json(&Request::Leave { client }));
                                return;
                            }
                            let mut locals = locals.lock().unwrap();
                            locals.entry(client).or_insert((address, name, 0)).2 += 1;
                        }
                        Some(Answer::Refused { refusal }) => {
                            let _ = reply.send(Err(refusal.into()));
                        }
                        // No answer: the reply is dropped, and the socket is told to try again.
                        _ => {}
                    }
                });
            }
            Command::Leave { client } => {
                let mut locals = self.locals.lock().unwrap();
                if let Some(entry) = locals.get_mut(&client) {
                    entry.2 -= 1;
                    if entry.2 == 0 {
                        locals.remove(&client);
                    }
                }
                drop(locals);
                tell(request);
            }
            Command::Playback { reply, .. } => {
                tokio::spawn(async move {
                    let answer = match ask(request).await {
                        Some(Answer::Playback { playback }) => Ok(playback),
                        Some(Answer::Denied { denied }) => Err(denied.into()),
                        _ => Err(Denied::Unavailable),
                    };
                    let _ = reply.send(answer);
                });
            }
            Command::Status { reply, .. } => {
                tokio::spawn(async move {
                    let catch_up = matches!(ask(request).await, Some(Answer::Flag { value: true }));
                    let _ = reply.send(catch_up);
                });
            }
            Command::Chat { reply, .. } => {
                tokio::spawn(async move {
                    let answer = match ask(request).await {
                        Some(Answer::Done) => Ok(()),
                        Some(Answer::Error { code, message }) => {
                            Err(ProtocolError::new(chat_code(&code), message))
                        }
                        _ => Err(ProtocolError::new(
                            "unavailable",
                            "the message could not be sent; try again",
                        )),
                    };
                    let _ = reply.send(answer);
                });
            }
            Command::Snapshot { reply, .. } => {
                tokio::spawn(async move {
                    let snapshot = match ask(request).await {
                        Some(Answer::Text { text }) => text,
                        // Said instead of a snapshot; the next broadcast or resync brings one.
                        _ => crate::protocol::ServerMsg::from(ProtocolError::new(
                            "unavailable",
                            "the room did not answer; try again",
                        ))
                        .to_json(),
                    };
                    let _ = reply.send(snapshot);
                });
            }
            Command::Admit { reply, .. } => {
                tokio::spawn(async move {
                    let admitted = matches!(ask(request).await, Some(Answer::Flag { value: true }));
                    let _ = reply.send(admitted);
                });
            }
            Command::ClaimHost { reply, .. } => {
                tokio::spawn(async move {
                    let claimed = match ask(request).await {
                        Some(Answer::Flag { value }) => Ok(value),
                        Some(Answer::Denied { denied }) => Err(denied.into()),
                        _ => Err(Denied::Unavailable),
                    };
                    let _ = reply.send(claimed);
                });
            }
            // Heartbeat, Ended, RenameViewer: told, no answer awaited.
            _ => tell(request),
        }
    }
}

impl Command {
    /// What a command becomes on its way to the room's owner: the one list of the commands a
    /// relaying node forwards. None for those it answers itself or that only the owner's node
    /// serves.
    fn to_request(&self) -> Option<Request> {
        Some(match *self {
            Command::Join {
                client,
                address,
                ref name,
                ..
            } => Request::Join {
                client,
                address,
                name: name.clone(),
            },
            Command::Leave { client } => Request::Leave { client },
            Command::Playback {
                by,
                action,
                position,
                ..
            } => Request::Playback {
                by,
                action,
                position,
            },
            Command::Heartbeat {
                by,
                position,
                playing,
            } => Request::Heartbeat {
                by,
                position,
                playing,
            },
            Command::Status { client, status, .. } => Request::Status {
                client,
                state: status.state,
                drift_ms: status.drift_ms,
                rtt_ms: status.rtt_ms,
            },
            Command::Ended {
                by,
                video_id,
                duration,
            } => Request::Ended {
                by,
                video_id,
                duration,
            },
            Command::Chat {
                client,
                address,
                ref text,
                ..
            } => Request::Chat {
                client,
                address,
                text: text.clone(),
            },
            Command::Snapshot { client, .. } => Request::Snapshot { client },
            Command::Admit { client, .. } => Request::Admit { client },
            Command::ClaimHost { client, .. } => Request::ClaimHost { client },
            Command::RenameViewer { client, ref name } => Request::RenameViewer {
                client,
                name: name.clone(),
            },
            _ => return None,
        })
    }
}

#[derive(Deserialize)]
struct Kicked {
    client_id: ClientId,
}

fn to_json(request: &Request) -> serde_json::Value {
    serde_json::to_value(request).expect("requests serialise")
}

/// Applies the commands other nodes forward to the rooms this node owns, and drops the viewers of
/// nodes that stopped heartbeating.
pub(super) async fn serve_requests(hub: Hub, mut incoming: mpsc::UnboundedReceiver<Incoming>) {
    let Some(link) = hub.cluster_link() else {
        return;
    };
    let stopping = hub.shared().stopping.clone();
    let mut sweep = tokio::time::interval(link.cluster.lease());
    sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            request = incoming.recv() => {
                let Some(request) = request else { return };
                apply(&hub, &link, request).await;
            }
            _ = sweep.tick() => drop_departed_nodes(&hub, &link).await,
            () = stopping.cancelled() => return,
        }
    }
}

async fn apply(hub: &Hub, link: &Arc<ClusterLink>, incoming: Incoming) {
    let Incoming {
        id,
        from,
        room,
        body,
    } = incoming;
    let cluster = link.cluster.clone();
    let request = match serde_json::from_value::<Request>(body) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%from, %error, "an unreadable request from another node");
            return;
        }
    };
    let handle = match link.owns(&room) {
        true => hub.loaded_handle(&room),
        false => None,
    };
    let Some(handle) = handle else {
        cluster.reply(&from, id, to_answer(&Answer::NotOwner));
        return;
    };
    // Put on the room's queue now, in arrival order; the answer is awaited in its own task.
    macro_rules! ask {
        ($answer:ident, $command:expr, $convert:expr) => {{
            let (reply, $answer) = oneshot::channel();
            if handle.tell($command(reply)).await.is_err() {
                cluster.reply(&from, id, to_answer(&Answer::NotOwner));
                return;
            }
            let (cluster, from) = (cluster.clone(), from.clone());
            tokio::spawn(async move {
                let answer = match $answer.await {
                    Ok(value) => $convert(value),
                    Err(_) => Answer::NotOwner,
                };
                cluster.reply(&from, id, to_answer(&answer));
            });
        }};
    }
    match request {
        Request::Join {
            client,
            address,
            name,
        } => {
            link.count_viewer(&room, &from, client, true);
            let link = link.clone();
            let (room_code, node) = (room.clone(), from.clone());
            ask!(
                answer,
                |reply| Command::Join {
                    client,
                    address,
                    name,
                    reply,
                },
                |joined: Result<Welcome, JoinRefused>| match joined {
                    Ok(welcome) => Answer::Welcome {
                        snapshot: welcome.snapshot,
                        history: welcome.history.map(|history| history.to_string()),
                    },
                    Err(refused) => {
                        link.count_viewer(&room_code, &node, client, false);
                        Answer::Refused {
                            refusal: refused.into(),
                        }
                    }
                }
            );
        }
        Request::Leave { client } => {
            link.count_viewer(&room, &from, client, false);
            let _ = handle.tell(Command::Leave { client }).await;
        }
        Request::Playback {
            by,
            action,
            position,
        } => ask!(
            answer,
            |reply| Command::Playback {
                by,
                action,
                position,
                reply,
            },
            |applied: Result<Playback, Denied>| match applied {
                Ok(playback) => Answer::Playback { playback },
                Err(denied) => Answer::Denied {
                    denied: denied.into(),
                },
            }
        ),
        Request::Heartbeat {
            by,
            position,
            playing,
        } => {
            let _ = handle
                .tell(Command::Heartbeat {
                    by,
                    position,
                    playing,
                })
                .await;
        }
        Request::Status {
            client,
            state,
            drift_ms,
            rtt_ms,
        } => {
            let status = ViewerStatus {
                state,
                drift_ms,
                rtt_ms,
            };
            ask!(
                answer,
                |reply| Command::Status {
                    client,
                    status,
                    reply,
                },
                |value| Answer::Flag { value }
            );
        }
        Request::Ended {
            by,
            video_id,
            duration,
        } => {
            let _ = handle
                .tell(Command::Ended {
                    by,
                    video_id,
                    duration,
                })
                .await;
        }
        Request::Chat {
            client,
            address,
            text,
        } => ask!(
            answer,
            |reply| Command::Chat {
                client,
                address,
                text,
                reply,
            },
            |posted: Result<(), ProtocolError>| match posted {
                Ok(()) => Answer::Done,
                Err(error) => Answer::Error {
                    code: error.code.to_string(),
                    message: error.message,
                },
            }
        ),
        Request::Snapshot { client } => ask!(
            answer,
            |reply| Command::Snapshot { client, reply },
            |text| Answer::Text { text }
        ),
        Request::Admit { client } => {
            ask!(answer, |reply| Command::Admit { client, reply }, |value| {
                Answer::Flag { value }
            })
        }
        Request::ClaimHost { client } => ask!(
            answer,
            |reply| Command::ClaimHost { client, reply },
            |claimed: Result<bool, Denied>| match claimed {
                Ok(value) => Answer::Flag { value },
                Err(denied) => Answer::Denied {
                    denied: denied.into(),
                },
            }
        ),
        Request::RenameViewer { client, name } => {
            let _ = handle.tell(Command::RenameViewer { client, name }).await;
        }
    }
}

fn to_answer(answer: &Answer) -> serde_json::Value {
    serde_json::to_value(answer).expect("answers serialise")
}

/// The viewers of a node whose heartbeat lapsed (it died, or lost Redis) leave the rooms here.
async fn drop_departed_nodes(hub: &Hub, link: &ClusterLink) {
    let nodes: HashSet<String> = link
        .remote_viewers
        .lock()
        .unwrap()
        .values()
        .flat_map(|nodes| nodes.keys().cloned())
        .collect();
    for node in nodes {
        if !matches!(link.cluster.node_alive(&node).await, Ok(false)) {
            continue;
        }
        let departed: Vec<(String, HashMap<ClientId, u32>)> = link
            .remote_viewers
            .lock()
            .unwrap()
            .iter_mut()
            .filter_map(|(room, nodes)| nodes.remove(&node).map(|clients| (room.clone(), clients)))
            .collect();
        for (room, clients) in departed {
            let Some(handle) = hub.loaded_handle(&room) else {
                continue;
            };
            tracing::info!(%room, %node, viewers = clients.len(), "dropping the viewers of a node that stopped");
            for (client, sockets) in clients {
                for _ in 0..sockets {
                    let _ = handle.tell(Command::Leave { client }).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_denials_survive_the_trip() {
        for refused in [
            JoinRefused::Kicked { until: 7 },
            JoinRefused::Full { max: 3 },
            JoinRefused::PasswordRequired,
        ] {
            let wire = serde_json::to_value(Refusal::from(refused)).unwrap();
            let back: Refusal = serde_json::from_value(wire).unwrap();
            assert_eq!(JoinRefused::from(back), refused);
        }
        let limited = Refused::from(Denied::RateLimited(RetryAfter(Duration::from_secs(2))));
        assert!(matches!(
            Denied::from(limited),
            Denied::RateLimited(RetryAfter(after)) if after == Duration::from_secs(2)
        ));
        assert!(matches!(
            Denied::from(Refused::from(Denied::NoSuchJob)),
            Denied::Unavailable
        ));
    }

    #[test]
    fn chat_codes_are_kept_and_unknown_ones_become_internal() {
        assert_eq!(chat_code("rate_limited"), "rate_limited");
        assert_eq!(chat_code("message_too_long"), "message_too_long");
        assert_eq!(chat_code("something_new"), "internal");
    }

    #[test]
    fn requests_read_back_as_sent() {
        let client = ClientId(uuid::Uuid::new_v4());
        let request = Request::Playback {
            by: client,
            action: PlaybackAction::Seek,
            position: 4.5,
        };
        let text = serde_json::to_string(&request).unwrap();
        assert!(text.contains(r#""op":"playback""#), "{text}");
        let back: Request = serde_json::from_str(&text).unwrap();
        assert!(matches!(back, Request::Playback { position, .. } if position == 4.5));
    }
}
