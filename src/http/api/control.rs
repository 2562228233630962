use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, found};
use crate::{
    client::ClientId, error::ApiResult, room::Settings, state::AppState, view::SettingsView,
};

pub struct ControlApi {
    pub state: AppState,
}

#[derive(Object)]
struct Owner {
    owner: ClientId,
}

#[derive(Object)]
struct Target {
    /// The client to remove.
    client_id: ClientId,
}

#[derive(ApiResponse)]
enum Kicked {
    /// The client's sockets were closed; it is kept out for ten minutes.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Control")]
impl ControlApi {
    /// Who may drive the room.
    #[oai(path = "/rooms/:code/settings", method = "get")]
    async fn settings(&self, code: Path<String>) -> ApiResult<Json<SettingsView>> {
        let room = found(self.state.hub.view(&code, 0).await?)?;
        Ok(Json(room.settings))
    }

    /// Change who may drive the room (the owner only; 403 for anyone else). Every socket hears
    /// `settings`.
    #[oai(path = "/rooms/:code/settings", method = "put")]
    async fn change_settings(
        &self,
        code: Path<String>,
        settings: Json<SettingsView>,
        client: ClientId,
    ) -> ApiResult<Json<SettingsView>> {
        let settings = Settings::from(settings.0);
        found(
            self.state
                .hub
                .change_settings(&code, client, settings)
                .await?,
        )??;
        Ok(Json(settings.into()))
    }

    /// Hand the room to someone watching it (the owner only); they become host too.
    #[oai(path = "/rooms/:code/owner", method = "post")]
    async fn hand_ownership(
        &self,
        code: Path<String>,
        to: Json<Owner>,
        client: ClientId,
    ) -> ApiResult<Json<Owner>> {
        found(
            self.state
                .hub
                .hand_ownership(&code, client, to.owner)
                .await?,
        )??;
        Ok(Json(Owner { owner: to.owner }))
    }

    /// Remove a client from the room (the host or the owner; nobody removes the owner): its
    /// sockets close with a reason, and it may not come back for ten minutes.
    #[oai(path = "/rooms/:code/kick", method = "post")]
    async fn kick(
        &self,
        code: Path<String>,
        target: Json<Target>,
        client: ClientId,
    ) -> ApiResult<Kicked> {
        found(self.state.hub.kick(&code, client, target.client_id).await?)??;
        Ok(Kicked::Done)
    }
}
