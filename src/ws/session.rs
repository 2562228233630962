//! One socket's life: a snapshot on joining, then a loop over the client's frames, the room's
//! broadcasts, a keep-alive timer and server shutdown. Every way out of the loop leaves the room,
//! so the viewer count never outlives the socket.

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use poem::web::websocket::{CloseCode, Message, WebSocketStream};
use tokio::{sync::broadcast::error::RecvError, time::timeout};
use tokio_util::sync::CancellationToken;

use crate::{
    client::ClientId,
    clock::now_ms,
    hub::{Denied, Hub, RESYNC, RoomHandle, Welcome},
    limits::{Limit, Rate},
    metrics::Metrics,
    protocol::{ClientMsg, ProtocolError, ServerMsg, status_of},
    room::{JoinRefused, PlaybackAction, control::KICK_MS},
};

/// How often the server pings an idle client.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A client silent this long (no frame, not even a pong) is gone without saying so.
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// A client whose commands are refused (over its rate) gets a fresh snapshot at most this often.
const RESYNC_EVERY: Duration = Duration::from_secs(1);
/// A client that cannot take a message within this time is too slow to stay.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Status reports one socket may send: two a second, four at once (a state change right after
/// a drift update is not a flood).
const STATUS_RATE: Rate = Rate {
    count: 4,
    per: Duration::from_secs(2),
};

pub struct Session {
    pub hub: Hub,
    pub code: String,
    pub client: ClientId,
    /// The client's address, for the limits an address shares.
    pub address: IpAddr,
    pub name: Option<String>,
    pub max_message_bytes: usize,
    pub shutdown: CancellationToken,
    pub metrics: Arc<Metrics>,
}

enum Next {
    Continue,
    Close(Option<(CloseCode, &'static str)>),
}

pub async fn run(mut socket: WebSocketStream, session: Session) {
    let Session {
        hub,
        code,
        client,
        address,
        name,
        max_message_bytes,
        shutdown,
        metrics,
    } = session;
    let (room, mut rx, mut kicks, mut outcome) = match hub
        .join(&code, (client, address), name)
        .await
    {
        Ok(Some((room, Ok(welcome)))) => {
            let Welcome {
                broadcasts,
                kicks,
                snapshot,
                history,
            } = welcome;
            // The snapshot and history are sent and dropped here, not kept: a value still alive
            // across the awaits below would sit in this socket's future for as long as it is open.
            let mut outcome = send(&mut socket, &metrics, snapshot).await;
            if let (Next::Continue, Some(history)) = (&outcome, history) {
                outcome = send(&mut socket, &metrics, history.to_string()).await;
            }
            (room, broadcasts, kicks, outcome)
        }
        Ok(Some((_, Err(refused)))) => {
            let (error, reason) = match refused {
                JoinRefused::Kicked { until } => (kicked_error(until), "removed from this room"),
                JoinRefused::Full { max } => (
                    ProtocolError::new("room_full", format!("the room is full ({max} people)")),
                    "the room is full",
                ),
                // The upgrade already checked; the password was set in between.
                JoinRefused::PasswordRequired => (
                    ProtocolError::new("password_required", "this room asks for a password"),
                    "password required",
                ),
            };
            if let Next::Continue =
                send(&mut socket, &metrics, ServerMsg::from(error).to_json()).await
            {
                close(&mut socket, Some((CloseCode::Policy, reason))).await;
            }
            return;
        }
        Ok(None) => {
            close(&mut socket, Some((CloseCode::Away, "room closed"))).await;
            return;
        }
        Err(error) => {
            tracing::warn!(room = %code, %error, "a socket could not join its room");
            close(&mut socket, Some((CloseCode::Again, "try again later"))).await;
            return;
        }
    };
    let _open = metrics.socket_opened();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    let mut last_resync: Option<Instant> = None;
    let statuses = Limit::new(STATUS_RATE);
    // Made once: a fresh one per turn of the loop would register with, and leave, the token every
    // socket shares, under its lock, for every message delivered.
    let shutting_down = shutdown.cancelled();
    tokio::pin!(shutting_down);
    // One socket, not split halves: select! drops the futures it raced before an arm's code runs,
    // so the arms can send on the socket the read came from, without a lock between two halves.
    while let Next::Continue = outcome {
        outcome = tokio::select! {
            frame = socket.next() => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) if text.len() > max_message_bytes => {
                        Next::Close(Some((CloseCode::Policy, "message too large")))
                    }
                    Some(Ok(Message::Text(text))) => match handle(&room, (client, address), &statuses, &text).await {
                        Ok(Answer::Nothing) => Next::Continue,
                        Ok(Answer::Reply(reply)) => send(&mut socket, &metrics, reply.to_json()).await,
                        Ok(Answer::Refused(error)) => {
                            let mut next = send(&mut socket, &metrics, error.to_json()).await;
                            // The page already moved: tell it where the room really is, at most
                            // once a second however fast it floods.
                            if matches!(next, Next::Continue)
                                && last_resync.is_none_or(|at| at.elapsed() >= RESYNC_EVERY)
                            {
                                last_resync = Some(Instant::now());
                                next = match room.snapshot(client).await {
                                    Some(snapshot) => send(&mut socket, &metrics, snapshot).await,
                                    None => Next::Close(Some((CloseCode::Away, "room closed"))),
                                };
                            }
                            next
                        }
                        Err(()) => Next::Close(Some((CloseCode::Away, "room closed"))),
                    },
                    Some(Ok(Message::Binary(_))) => {
                        let error = ProtocolError::new("bad_message", "send JSON text frames");
                        send(&mut socket, &metrics, ServerMsg::from(error).to_json()).await
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Next::Continue,
                    Some(Ok(Message::Close(_))) | None => Next::Close(None),
                    Some(Err(error)) => {
                        tracing::debug!(room = %code, %client, %error, "socket read failed");
                        Next::Close(Some((CloseCode::Policy, "unreadable frame")))
                    }
                }
            }
            broadcast = rx.recv() => match broadcast {
                // The room's owner changed or a relayed broadcast was missed (cluster mode).
                Ok(text) if &*text == RESYNC => match room.snapshot(client).await {
                    Some(snapshot) => send(&mut socket, &metrics, snapshot).await,
                    None => Next::Close(Some((CloseCode::Away, "room closed"))),
                },
                Ok(text) => send(&mut socket, &metrics, text.to_string()).await,
                // Fell behind: the missed messages are gone, so send the whole state instead.
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(room = %code, %client, missed, "socket lagged; resyncing");
                    match room.snapshot(client).await {
                        Some(snapshot) => send(&mut socket, &metrics, snapshot).await,
                        None => Next::Close(Some((CloseCode::Away, "room closed"))),
                    }
                }
                Err(RecvError::Closed) => Next::Close(Some((CloseCode::Away, "room closed"))),
            },
            kicked = kicks.recv() => match kicked {
                Ok(target) if target == client => {
                    let error = kicked_error(now_ms() + KICK_MS);
                    let _ = send(&mut socket, &metrics, ServerMsg::from(error).to_json()).await;
                    Next::Close(Some((CloseCode::Policy, "removed from this room")))
                }
                Ok(_) => Next::Continue,
                // Kicks this socket missed may name it: it reconnects, and the room says.
                Err(RecvError::Lagged(_)) => Next::Close(Some((CloseCode::Again, "try again"))),
                Err(RecvError::Closed) => Next::Close(Some((CloseCode::Away, "room closed"))),
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    Next::Close(None)
                } else {
                    send_message(&mut socket, Message::Ping(Vec::new())).await
                }
            }
            () = &mut shutting_down => Next::Close(Some((CloseCode::Away, "server shutting down"))),
        };
    }
    if let Next::Close(reason) = outcome {
        close(&mut socket, reason).await;
    }
    room.leave(client).await;
}

/// Sends the close frame (when there is someone to send it to), then closes.
async fn close(socket: &mut WebSocketStream, reason: Option<(CloseCode, &'static str)>) {
    if let Some((code, reason)) = reason {
        let _ = timeout(SEND_TIMEOUT, socket.send(Message::close_with(code, reason))).await;
    }
    let _ = timeout(SEND_TIMEOUT, socket.close()).await;
}

/// What a client message gets back on this socket alone.
enum Answer {
    Nothing,
    Reply(ServerMsg),
    /// A play, pause or seek over the client's rate: the error to send.
    Refused(ServerMsg),
}

/// Applies one client message; Err when the room is gone (the socket then closes).
async fn handle(
    room: &RoomHandle,
    (client, address): (ClientId, IpAddr),
    statuses: &Limit,
    text: &str,
) -> Result<Answer, ()> {
    let msg = match ClientMsg::parse(text) {
        Ok(msg) => msg,
        Err(error) => return Ok(Answer::Reply(error.into())),
    };
    let (action, position) = match msg {
        ClientMsg::Play { position } => (PlaybackAction::Play, position),
        ClientMsg::Pause { position } => (PlaybackAction::Pause, position),
        ClientMsg::Seek { position } => (PlaybackAction::Seek, position),
        ClientMsg::Heartbeat { position, playing } => {
            return match room.heartbeat(client, position, playing).await {
                true => Ok(Answer::Nothing),
                false => Err(()),
            };
        }
        ClientMsg::Ended { video_id, duration } => {
            return match room.video_ended(client, video_id, duration).await {
                true => Ok(Answer::Nothing),
                false => Err(()),
            };
        }
        ClientMsg::Chat { text } => {
            return match room.chat(client, address, text).await {
                Some(Ok(())) => Ok(Answer::Nothing),
                Some(Err(error)) => Ok(Answer::Reply(error.into())),
                None => Err(()),
            };
        }
        ClientMsg::Status {
            state,
            drift_ms,
            rtt_ms,
        } => {
            // Over the rate a report is only dropped: the next one says the same, newer.
            if let Err(retry) = statuses.check() {
                return Ok(Answer::Reply(ProtocolError::from(retry).into()));
            }
            let status = match status_of(&state, drift_ms, rtt_ms) {
                Ok(status) => status,
                Err(error) => return Ok(Answer::Reply(error.into())),
            };
            return match room.status(client, status).await {
                Some(false) => Ok(Answer::Nothing),
                Some(true) => Ok(Answer::Reply(ServerMsg::catch_up())),
                None => Err(()),
            };
        }
        ClientMsg::Ping { client_time } => {
            return Ok(Answer::Reply(ServerMsg::Pong {
                client_time,
                server_time: now_ms(),
            }));
        }
    };
    match room.playback(client, action, position).await {
        Some(Ok(_)) => Ok(Answer::Nothing),
        // Over the limit, or not this client's to do: this socket hears why; the room nothing.
        Some(Err(denied)) => Ok(Answer::Refused(refusal(denied).into())),
        None => Err(()),
    }
}

/// What a socket hears when the room refuses its command.
fn refusal(denied: Denied) -> ProtocolError {
    match denied {
        Denied::RateLimited(retry) => retry.into(),
        Denied::NotAllowed => ProtocolError::new(
            "not_allowed",
            "only the host or the room's owner may do that here",
        ),
        Denied::Queue(error) => ProtocolError::new("bad_queue", format!("{error:?}")),
        // Subtitles change over REST only.
        Denied::Subtitles(error) => ProtocolError::new("bad_subtitles", error.to_string()),
        Denied::NoSuchJob => ProtocolError::new("no_such_job", "no such processing job"),
        Denied::Unavailable => {
            ProtocolError::new("unavailable", "the room did not answer; try again")
        }
        Denied::Database(error) => {
            tracing::error!(%error, "a command could not be saved");
            ProtocolError::new("internal", "that could not be done; try again")
        }
    }
}

/// Told to a kicked client: when it may come back.
fn kicked_error(until: u64) -> ProtocolError {
    let minutes = until.saturating_sub(now_ms()).div_ceil(60_000);
    ProtocolError::new(
        "kicked",
        format!("you were removed from this room; you may come back in {minutes} min"),
    )
}

/// Sends a text message, counting it as delivered once the socket took it.
async fn send(socket: &mut WebSocketStream, metrics: &Metrics, text: String) -> Next {
    let next = send_message(socket, Message::Text(text)).await;
    if let Next::Continue = next {
        metrics.delivered(1);
    }
    next
}

async fn send_message(socket: &mut WebSocketStream, message: Message) -> Next {
    match timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Next::Continue,
        // The peer is gone or too slow: there is nobody to send a close frame to.
        Ok(Err(_)) | Err(_) => Next::Close(None),
    }
}
