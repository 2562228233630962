use poem_openapi::{
    ApiResponse, Object, OpenApi, param::Path, payload::Json, types::MaybeUndefined,
};

use super::{
    ApiTags, found,
    text::{PasswordRule, Text, password_ok},
};
use crate::{
    client::ClientId,
    error::{ApiError, ApiResult},
    http::peer::Peer,
    hub::{Denied, PasswordChange},
    password,
    room::{Controls, JoinRefused, Settings},
    state::AppState,
    view::{ControlsView, SettingsView},
};

/// A settings change: the controls and the cap as they are to be, and the password to set (a
/// string), clear (null) or keep (left out).
#[derive(Object)]
struct SettingsChange {
    controls: ControlsView,
    /// Most people watching at once (the owner always gets in); null for no cap.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "100000")))]
    max_viewers: Option<u32>,
    /// 1 to 128 characters to set, null to remove, left out to keep the current one.
    #[oai(nullable)]
    password: MaybeUndefined<Text<PasswordRule>>,
}

impl SettingsChange {
    fn settings(&self) -> Settings {
        Settings {
            controls: Controls::from(self.controls),
            max_viewers: self.max_viewers,
        }
    }
}

/// 400 unless `password` keeps the rule the document declares.
fn check_password(password: &str) -> ApiResult<()> {
    match password_ok(password) {
        true => Ok(()),
        false => Err(ApiError::bad_request(
            "bad_password",
            "passwords are 1 to 128 characters",
        )),
    }
}

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

#[derive(Object)]
struct Entry {
    password: Text<PasswordRule>,
}

#[derive(ApiResponse)]
enum Entered {
    /// You may enter the room from now on (also in other tabs, and after a reload).
    #[oai(status = 204)]
    Done,
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

    /// Change who may drive the room, its viewer cap and its password (the owner only; 403 for
    /// anyone else). The password is kept only as an Argon2 hash and never sent back; everyone
    /// watching when it is set may stay. Every socket hears `settings`.
    #[oai(path = "/rooms/:code/settings", method = "put")]
    async fn change_settings(
        &self,
        code: Path<String>,
        change: Json<SettingsChange>,
        client: ClientId,
    ) -> ApiResult<Json<SettingsView>> {
        // Hashing costs tens of milliseconds of CPU: nobody but the owner gets to spend them. (The
        // room checks again as it applies the change.)
        let room = found(self.state.hub.view(&code, 0).await?)?;
        if room.owner != Some(client) {
            return Err(Denied::NotAllowed.into());
        }
        let password = match &change.password {
            MaybeUndefined::Undefined => PasswordChange::Keep,
            MaybeUndefined::Null => PasswordChange::Clear,
            MaybeUndefined::Value(password) => {
                check_password(password)?;
                let password = password.to_string();
                let hashed = tokio::task::spawn_blocking(move || password::hash(&password))
                    .await
                    .map_err(|error| ApiError::internal("could not hash a password", error))?
                    .map_err(|error| ApiError::internal("could not hash a password", error))?;
                PasswordChange::Set(hashed)
            }
        };
        let settings = change.settings();
        found(
            self.state
                .hub
                .change_settings(&code, client, settings, password)
                .await?,
        )??;
        let room = found(self.state.hub.view(&code, 0).await?)?;
        Ok(Json(room.settings))
    }

    /// Give a room's password: from then on you may enter it (its state, socket and videos).
    /// A wrong password is 403 `wrong_password`; tries are limited per client and per address.
    #[oai(path = "/rooms/:code/join", method = "post")]
    async fn enter(
        &self,
        code: Path<String>,
        entry: Json<Entry>,
        client: ClientId,
        peer: Peer,
    ) -> ApiResult<Entered> {
        check_password(&entry.password)?;
        let limits = &self.state.limits;
        limits.password_clients.check(&client)?;
        limits.passwords.check(&peer.address)?;
        let entered = self
            .state
            .hub
            .enter_with_password(&code, (client, peer.address), entry.password.to_string())
            .await?;
        match found(entered)? {
            Ok(true) => Ok(Entered::Done),
            Ok(false) => Err(ApiError::forbidden(
                "wrong_password",
                "that is not the room's password",
            )),
            Err(JoinRefused::Kicked { .. }) => Err(ApiError::forbidden(
                "kicked",
                "you were removed from this room; try again later",
            )),
            Err(_) => Err(ApiError::room_not_found()),
        }
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
