use poem_openapi::{Enum, Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, check_position, found};
use crate::{client::ClientId, error::ApiResult, view::PlaybackView};

pub struct PlaybackApi {
    pub state: crate::state::AppState,
}

/// The room's [`crate::room::PlaybackAction`], as the API spells it.
#[derive(Clone, Copy, Enum)]
#[oai(
    remote = "crate::room::PlaybackAction",
    rename = "PlaybackAction",
    rename_all = "snake_case"
)]
enum Action {
    Play,
    Pause,
    Seek,
}

#[derive(Object)]
struct Command {
    action: Action,
    /// Seconds into the video.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
    position: f64,
}

#[OpenApi(tag = "ApiTags::Playback")]
impl PlaybackApi {
    /// Play, pause or seek, exactly as the socket message would: the room's state changes and every
    /// socket hears it. For scripts and clients without a socket.
    #[oai(path = "/rooms/:code/playback", method = "post")]
    async fn command(
        &self,
        code: Path<String>,
        command: Json<Command>,
        client: ClientId,
    ) -> ApiResult<Json<PlaybackView>> {
        check_position(command.position)?;
        let playback = self
            .state
            .hub
            .playback(&code, client, command.action.into(), command.position)
            .await?;
        Ok(Json(found(playback)??.into()))
    }
}
