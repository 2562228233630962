use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{
    ApiTags, found,
    text::{LinkRule, Text},
    videos::video_from_link,
};
use crate::{
    client::ClientId,
    error::{ApiError, ApiResult},
    state::AppState,
    view::QueueItemView,
};

pub struct QueueApi {
    pub state: AppState,
}

#[derive(Object)]
struct Queue {
    /// Next first.
    items: Vec<QueueItemView>,
}

#[derive(Object)]
struct QueuedLink {
    /// A YouTube link or a direct http(s) media URL.
    url: Text<LinkRule>,
}

#[derive(Object)]
struct Order {
    /// Every queued video's ID once, in the new order.
    ids: Vec<i64>,
}

#[derive(ApiResponse)]
enum Added {
    /// The video waits at the end of the queue; every socket got `queue`.
    #[oai(status = 201)]
    Item(Json<QueueItemView>),
}

#[derive(ApiResponse)]
enum Done {
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Queue")]
impl QueueApi {
    /// What plays next, in order. When the current video ends (the host's page says so, and the
    /// room is at its end), the first one plays for everyone.
    #[oai(path = "/rooms/:code/queue", method = "get")]
    async fn list(&self, code: Path<String>) -> ApiResult<Json<Queue>> {
        let room = found(self.state.hub.view(&code, 0).await?)?;
        Ok(Json(Queue { items: room.queue }))
    }

    /// Add a link at the end of the queue (an upload goes there with
    /// `POST /api/rooms/{code}/video?queue=true`). At most 50 videos wait.
    #[oai(path = "/rooms/:code/queue", method = "post")]
    async fn add(
        &self,
        code: Path<String>,
        link: Json<QueuedLink>,
        client: ClientId,
    ) -> ApiResult<Added> {
        let video = video_from_link(&self.state, &link.url).await?;
        let item = found(self.state.hub.queue_add(&code, client, video).await?)??;
        Ok(Added::Item(Json(item)))
    }

    /// Put the queue in a new order.
    #[oai(path = "/rooms/:code/queue", method = "put")]
    async fn reorder(
        &self,
        code: Path<String>,
        order: Json<Order>,
        client: ClientId,
    ) -> ApiResult<Json<Queue>> {
        let ids = order.0.ids;
        found(self.state.hub.queue_reorder(&code, client, ids).await?)??;
        self.list(code).await
    }

    /// Take a video out of the queue (an upload's file is deleted).
    #[oai(path = "/rooms/:code/queue/:id", method = "delete")]
    async fn remove(&self, code: Path<String>, id: Path<i64>, client: ClientId) -> ApiResult<Done> {
        found(self.state.hub.queue_remove(&code, client, *id).await?)??;
        Ok(Done::Done)
    }

    /// Skip to the next video in the queue (it plays if the room was playing); 409 when the queue
    /// is empty.
    #[oai(path = "/rooms/:code/queue/next", method = "post")]
    async fn next(&self, code: Path<String>, client: ClientId) -> ApiResult<Done> {
        if !found(self.state.hub.queue_next(&code, client).await?)?? {
            return Err(ApiError::conflict(
                "queue_empty",
                "nothing waits in the queue",
            ));
        }
        Ok(Done::Done)
    }
}
