use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{ApiTags, found};
use crate::{db, error::ApiResult, state::AppState, view::ChatView};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

pub struct ChatApi {
    pub state: AppState,
}

#[derive(Object)]
struct MessagePage {
    /// Oldest first.
    messages: Vec<ChatView>,
    /// Whether older messages exist before the first one here.
    has_more: bool,
}

#[OpenApi(tag = "ApiTags::Chat")]
impl ChatApi {
    /// A page of the room's chat: up to `limit` (default 50, at most 200) messages older than the
    /// message `before` (or the newest ones), oldest first. Messages are sent over the socket.
    #[oai(path = "/rooms/:code/messages", method = "get")]
    async fn messages(
        &self,
        code: Path<String>,
        before: Query<Option<i64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
    ) -> ApiResult<Json<MessagePage>> {
        found(self.state.hub.exists(&code).await?.then_some(()))?;
        let limit = limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE);
        // One more than asked tells whether there are older ones.
        let mut stored = db::messages::page(&self.state.db, &code, *before, limit + 1).await?;
        let has_more = stored.len() > limit as usize;
        if has_more {
            stored.remove(0);
        }
        Ok(Json(MessagePage {
            messages: stored
                .into_iter()
                .filter_map(ChatView::from_stored)
                .collect(),
            has_more,
        }))
    }
}
