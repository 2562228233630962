//! A representative room for the memory and join-storm figures: named viewers, and about 8 KB of
//! chat history that every joining socket is sent after its snapshot. An empty room with anonymous
//! viewers sends each socket a few hundred bytes, and would flatter both figures.

use std::net::SocketAddr;

use anyhow::{Context, bail, ensure};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::{client, stats::thousands};

/// Clients that fill the chat. Each stays within the server's default chat rate limit (5 messages
/// per 5 s per client), so the server runs with its defaults and nothing waits.
const CHATTERS: usize = 4;
const MESSAGES_EACH: usize = 5;
/// Text lengths cycle through these: a chat of longer messages, as when people discuss a scene.
const TEXT_LENGTHS: [usize; 5] = [280, 420, 350, 480, 310];
const SENTENCE: &str = "That cut to the harbour at night is the best shot of the film, and the \
    score under it does half the work. Wait for the part after the bridge, it gets better. ";

/// The room's code, the viewers' cookies (each already named), and what a join is sent.
pub struct Prepared {
    pub code: String,
    pub cookies: Vec<String>,
    /// The `history` message as a joining socket receives it.
    pub history_bytes: usize,
    pub history_messages: usize,
}

impl Prepared {
    /// One line for the figure block, so the output says what kind of room was measured.
    pub fn describe(&self) -> String {
        format!(
            "{} named viewers; the history message is {} bytes ({} chat messages by {CHATTERS} \
             named chatters, within the default chat rate limit)",
            thousands(self.cookies.len()),
            thousands(self.history_bytes),
            self.history_messages
        )
    }
}

/// Issues and names `viewers` client IDs, creates a room and fills its chat. Nothing here is timed.
pub async fn prepare(server: SocketAddr, viewers: usize) -> anyhow::Result<Prepared> {
    let mut cookies = client::fetch_cookies(server, viewers + CHATTERS).await?;
    let chatters = cookies.split_off(viewers);
    client::name_clients(server, &cookies, "viewer").await?;
    client::name_clients(server, &chatters, "chatter").await?;
    let code = client::create_room(server).await?;
    for (i, cookie) in chatters.iter().enumerate() {
        chat(server, &code, cookie, i).await?;
    }
    let (history_bytes, history_messages) = history(server, &code, &chatters[0]).await?;
    Ok(Prepared {
        code,
        cookies,
        history_bytes,
        history_messages,
    })
}

/// The `n`-th chatter joins, sends its messages and waits for each to come back (stored).
async fn chat(server: SocketAddr, code: &str, cookie: &str, n: usize) -> anyhow::Result<()> {
    let source = client::source_address(0, 1);
    let mut socket = client::connect(server, code, cookie, source).await?;
    for i in 0..MESSAGES_EACH {
        let len = TEXT_LENGTHS[(n * MESSAGES_EACH + i) % TEXT_LENGTHS.len()];
        let text: String = SENTENCE.chars().cycle().take(len).collect();
        let message = serde_json::json!({ "type": "chat", "text": text.trim() });
        socket.send(Message::text(message.to_string())).await?;
        loop {
            let reply = client::next_text(&mut socket)
                .await
                .context("the chatter's socket closed")??;
            if reply.starts_with(r#"{"type":"chat""#) {
                break;
            }
            if reply.starts_with(r#"{"type":"error""#) {
                bail!(
                    "the server refused a chat message: {reply:.200} (the bench needs the default \
                     chat rate limit of at least {MESSAGES_EACH} messages per client)"
                );
            }
        }
    }
    socket.close(None).await.ok();
    Ok(())
}

/// Joins once as `cookie` and returns the size and message count of the history it is sent.
async fn history(server: SocketAddr, code: &str, cookie: &str) -> anyhow::Result<(usize, usize)> {
    let source = client::source_address(0, 1);
    let mut socket = client::connect(server, code, cookie, source).await?;
    loop {
        let text = client::next_text(&mut socket)
            .await
            .context("the socket closed before its history")??;
        if text.starts_with(r#"{"type":"history""#) {
            let parsed: serde_json::Value = serde_json::from_str(&text)?;
            let messages = parsed["messages"].as_array().map_or(0, Vec::len);
            ensure!(messages > 0, "the history came empty: {text:.200}");
            socket.close(None).await.ok();
            return Ok((text.len(), messages));
        }
    }
}
