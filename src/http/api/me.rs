use poem_openapi::{Object, OpenApi, payload::Json};

use super::{
    ApiTags,
    text::{DisplayNameRule, Text},
};
use crate::{
    client::{ClientId, color_of},
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    room::chat::clean_name,
    state::AppState,
};

/// Rooms listed on the landing page.
const RECENT_ROOMS: u32 = 10;

pub struct MeApi {
    pub state: AppState,
}

#[derive(Object)]
struct Me {
    client_id: ClientId,
    #[oai(nullable)]
    name: Option<String>,
    /// Your name colour (CSS), the same on every page.
    color: String,
}

#[derive(Object)]
struct NewName {
    /// 1 to 32 characters after trimming; no control characters.
    name: Text<DisplayNameRule>,
}

#[derive(Object)]
struct RecentRoom {
    code: String,
    #[oai(nullable)]
    name: Option<String>,
    /// When you were last there, ms since the Unix epoch.
    visited_at: u64,
}

#[derive(Object)]
struct RecentRooms {
    rooms: Vec<RecentRoom>,
}

#[OpenApi(tag = "ApiTags::Me")]
impl MeApi {
    /// Your client ID (from your cookie), display name and colour.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, client: ClientId) -> ApiResult<Json<Me>> {
        let name = db::clients::name(&self.state.db, client).await?;
        Ok(Json(Me {
            client_id: client,
            name,
            color: color_of(client),
        }))
    }

    /// Set your display name; everyone in the rooms you are watching sees the change.
    #[oai(path = "/me", method = "put")]
    async fn rename(&self, client: ClientId, body: Json<NewName>) -> ApiResult<Json<Me>> {
        let name = clean_name(&body.name)
            .map_err(|error| ApiError::bad_request("bad_name", error.to_string()))?;
        db::clients::set_name(&self.state.db, client, &name, now_ms()).await?;
        self.state.hub.rename_client(client, &name).await;
        Ok(Json(Me {
            client_id: client,
            name: Some(name),
            color: color_of(client),
        }))
    }

    /// The rooms you were in lately, most recent first.
    #[oai(path = "/me/rooms", method = "get")]
    async fn rooms(&self, client: ClientId) -> ApiResult<Json<RecentRooms>> {
        let rooms = db::visits::recent(&self.state.db, client, RECENT_ROOMS).await?;
        Ok(Json(RecentRooms {
            rooms: rooms
                .into_iter()
                .map(|(code, name, visited_at)| RecentRoom {
                    code,
                    name,
                    visited_at: visited_at as u64,
                })
                .collect(),
        }))
    }
}
