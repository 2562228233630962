//! A room's chat as its task keeps it: the flood limit, storing and sending a message, and the
//! history a joining socket is sent (read once and kept until the next message, so a crowd
//! arriving at once reads the database once, not once each).

use std::{net::IpAddr, sync::Arc};

use crate::{
    client::{ClientId, color_of},
    db::{self, Db},
    limits::{KeyedLimit, Rate},
    protocol::{ProtocolError, ServerMsg},
    room::chat::{TextError, clean_message},
    view::ChatView,
};

/// Chat messages a socket is sent when it joins; older ones are paged in over REST.
const JOIN_HISTORY: u32 = 50;
/// ...and at most about this many bytes of them: a socket keeps a write buffer as large as the
/// largest message it ever sent, so 50 long messages would cost every viewer 100 KB or more.
const JOIN_HISTORY_BYTES: usize = 8 * 1024;

/// A message as it arrives.
pub(super) struct Posted<'a> {
    pub client: ClientId,
    pub address: IpAddr,
    /// The author's name now, kept with the message.
    pub name: Option<String>,
    pub text: &'a str,
    pub now: u64,
}

pub(super) struct Chat {
    /// Messages per client in this room.
    limit: KeyedLimit<ClientId>,
    /// The join history as sent, until the next message.
    join_history: Option<Arc<str>>,
}

impl Chat {
    pub(super) fn new(rate: Rate) -> Self {
        Self {
            limit: KeyedLimit::new(rate),
            join_history: None,
        }
    }

    /// Checks and stores a message; returns it as everyone sees it. `per_address` is the limit all
    /// of an address's clients share.
    pub(super) async fn post(
        &mut self,
        db: &Db,
        code: &str,
        per_address: &KeyedLimit<IpAddr>,
        message: Posted<'_>,
    ) -> Result<ChatView, ProtocolError> {
        let Posted {
            client,
            address,
            name,
            text: raw,
            now,
        } = message;
        let text = clean_message(raw).map_err(|error| {
            let code = match error {
                TextError::MessageTooLong => "message_too_long",
                _ => "empty_message",
            };
            ProtocolError::new(code, error.to_string())
        })?;
        self.limit
            .check(&client)
            .and_then(|()| per_address.check(&address))
            .map_err(ProtocolError::from)?;
        let id = db::messages::insert(db, code, client, name.as_deref(), &text, now)
            .await
            .map_err(|error| {
                tracing::error!(room = %code, %error, "could not store a chat message");
                ProtocolError::new("internal", "the message could not be saved")
            })?;
        self.join_history = None;
        Ok(ChatView {
            id,
            client_id: client,
            name,
            color: color_of(client),
            text,
            sent_at: now,
        })
    }

    /// The `history` message for a socket that just joined, as JSON.
    pub(super) async fn join_history(&mut self, db: &Db, code: &str) -> sqlx::Result<Arc<str>> {
        if let Some(json) = &self.join_history {
            return Ok(json.clone());
        }
        let stored = db::messages::page(db, code, None, JOIN_HISTORY).await?;
        let full_page = stored.len() >= JOIN_HISTORY as usize;
        let messages: Vec<_> = stored
            .into_iter()
            .filter_map(ChatView::from_stored)
            .collect();
        let (messages, cut) = newest_within(messages, JOIN_HISTORY_BYTES);
        let history = ServerMsg::History {
            messages,
            has_more: full_page || cut,
        };
        let json: Arc<str> = history.to_json().into();
        self.join_history = Some(json.clone());
        Ok(json)
    }
}

/// The newest of `messages` (oldest first) whose JSON fits in `budget` bytes, always at least the
/// newest one; and whether any were left out.
fn newest_within(mut messages: Vec<ChatView>, budget: usize) -> (Vec<ChatView>, bool) {
    let mut used = 0;
    let mut keep = 0;
    for message in messages.iter().rev() {
        used += serde_json::to_string(message).map_or(0, |json| json.len() + 1);
        if keep > 0 && used > budget {
            break;
        }
        keep += 1;
    }
    let cut = messages.len() - keep;
    (messages.split_off(cut), cut > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, text: &str) -> ChatView {
        ChatView {
            id,
            client_id: ClientId(uuid::Uuid::nil()),
            name: None,
            color: String::new(),
            text: text.to_string(),
            sent_at: 0,
        }
    }

    #[test]
    fn join_history_keeps_the_newest_messages_that_fit() {
        let short: Vec<_> = (0..5).map(|id| message(id, "hi")).collect();
        let (kept, cut) = newest_within(short, 8 * 1024);
        assert_eq!(kept.len(), 5);
        assert!(!cut);

        let long = "x".repeat(2000);
        let messages: Vec<_> = (0..10).map(|id| message(id, &long)).collect();
        let (kept, cut) = newest_within(messages, 8 * 1024);
        let ids: Vec<_> = kept.iter().map(|m| m.id).collect();
        assert_eq!(
            ids,
            [7, 8, 9],
            "three messages of about 2.1 KB fit in 8 KiB"
        );
        assert!(cut);
    }

    #[test]
    fn join_history_always_has_the_newest_message() {
        let huge = "x".repeat(20_000);
        let (kept, cut) = newest_within(vec![message(1, "a"), message(2, &huge)], 8 * 1024);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, 2);
        assert!(cut);
        let (kept, cut) = newest_within(Vec::new(), 8 * 1024);
        assert!(kept.is_empty() && !cut);
    }
}
