use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, check_position, find_room};
use crate::{
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    identity::ClientId,
    state::AppState,
};

pub struct SpotsApi {
    pub state: AppState,
}

#[derive(Object)]
struct NewSpot {
    /// Seconds into the room's current video.
    position: f64,
}

#[derive(Object)]
struct Spot {
    position: f64,
    video_id: i64,
    /// When it was saved, ms since the Unix epoch.
    saved_at: u64,
}

#[OpenApi(tag = "ApiTags::Spots")]
impl SpotsApi {
    /// Save where you are in the room's current video, to resume later (even after a restart).
    #[oai(path = "/rooms/:code/spot", method = "put")]
    async fn save(
        &self,
        code: Path<String>,
        spot: Json<NewSpot>,
        client: ClientId,
    ) -> ApiResult<Json<Spot>> {
        check_position(spot.position)?;
        let room = find_room(&self.state, &code).await?;
        let video_id = current_video(&room)?;
        let now = now_ms();
        db::spots::save(
            &self.state.db,
            &room.code,
            client,
            video_id,
            spot.position,
            now,
        )
        .await?;
        Ok(Json(Spot {
            position: spot.position,
            video_id,
            saved_at: now,
        }))
    }

    /// Your saved spot in the room's current video; 404 when you saved none.
    #[oai(path = "/rooms/:code/spot", method = "get")]
    async fn get(&self, code: Path<String>, client: ClientId) -> ApiResult<Json<Spot>> {
        let room = find_room(&self.state, &code).await?;
        let video_id = current_video(&room)?;
        let (position, saved_at) = db::spots::get(&self.state.db, &room.code, client, video_id)
            .await?
            .ok_or_else(|| {
                ApiError::not_found("no_spot", "you have no saved spot in this video")
            })?;
        Ok(Json(Spot {
            position,
            video_id,
            saved_at,
        }))
    }
}

fn current_video(room: &crate::hub::LiveRoom) -> ApiResult<i64> {
    room.with(|state| state.video.as_ref().map(|video| video.id))
        .ok_or_else(|| ApiError::conflict("no_video", "the room has no video yet"))
}
