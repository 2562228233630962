use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, check_position, find_room};
use crate::{error::ApiResult, identity::ClientId, room::PlaybackAction, view::PlaybackView};

pub struct PlaybackApi {
    pub state: crate::state::AppState,
}

#[derive(Object)]
struct Command {
    action: PlaybackAction,
    /// Seconds into the video.
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
        let room = find_room(&self.state, &code).await?;
        let playback = room.apply_playback(client, command.action, command.position);
        Ok(Json(playback.into()))
    }
}
