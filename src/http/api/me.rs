use poem_openapi::{Object, OpenApi, payload::Json};

use super::ApiTags;
use crate::{db, error::ApiResult, identity::ClientId, state::AppState};

pub struct MeApi {
    pub state: AppState,
}

#[derive(Object)]
struct Me {
    client_id: ClientId,
    name: Option<String>,
}

#[OpenApi(tag = "ApiTags::Me")]
impl MeApi {
    /// Your client ID (from your cookie) and display name.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, client: ClientId) -> ApiResult<Json<Me>> {
        let name = db::clients::name(&self.state.db, client).await?;
        Ok(Json(Me {
            client_id: client,
            name,
        }))
    }
}
