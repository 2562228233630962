//! The fan-out floor: a bare WebSocket server that relays every text frame it receives to every
//! open socket, the sender included, and does nothing else. Measured the same way as Goblet, on
//! the same machine in the same run, it shows what fan-out costs here before any room logic:
//! Goblet's fan-out figure reads as a ratio to it.
//!
//! It is built the way Goblet delivers a room's messages, minus everything else, so the ratio
//! measures Goblet's own work and not a different design: the same tokio-tungstenite (0.27) and
//! socket settings (512-byte read buffer, no write buffer, no Nagle, a 4,096 backlog), a
//! `tokio::sync::broadcast` channel of the same capacity (256), and one task per socket that
//! selects between its client's frames and the channel, sending on the socket it read from.
//! Left out, because they are Goblet's job and not the machine's: parsing and applying a command,
//! serialising the echo (the host sends the finished frame, the floor relays it unchanged),
//! cookies, the database, keep-alive pings, send timeouts and shutdown.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::{
    net::{TcpSocket, TcpStream},
    sync::broadcast::{self, error::RecvError},
};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes, protocol::WebSocketConfig};

/// As Goblet's room channel: a socket this far behind loses messages (none do in the bench).
const CAPACITY: usize = 256;
/// As Goblet's listen backlog.
const BACKLOG: u32 = 4096;
/// As Goblet's socket read buffer.
const READ_BUFFER: usize = 512;
/// What a socket is sent first, so the client knows it is subscribed (Goblet sends a snapshot).
const HELLO: &str = r#"{"type":"snapshot"}"#;

/// Serves until the process is stopped.
pub async fn serve(bind: SocketAddr) -> anyhow::Result<()> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(bind)?;
    let listener = socket.listen(BACKLOG)?;
    let (tx, _) = broadcast::channel::<Utf8Bytes>(CAPACITY);
    loop {
        let (stream, _) = listener.accept().await?;
        let tx = tx.clone();
        tokio::spawn(async move {
            // A failed handshake or a vanished client ends only that socket.
            let _ = relay(stream, tx).await;
        });
    }
}

/// One socket's life: subscribe, say hello, then relay its frames to everyone and everyone's
/// frames to it.
async fn relay(stream: TcpStream, tx: broadcast::Sender<Utf8Bytes>) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0);
    let mut socket = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await?;
    let mut rx = tx.subscribe();
    socket.send(Message::text(HELLO)).await?;
    loop {
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    // Err only when nobody listens, and the sender itself does.
                    let _ = tx.send(text);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ok(()),
                Some(Ok(_)) => {}
            },
            message = rx.recv() => match message {
                Ok(text) => socket.send(Message::Text(text)).await?,
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}
