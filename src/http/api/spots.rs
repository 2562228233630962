use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, check_position, found};
use crate::{
    client::ClientId,
    clock::now_ms,
    db,
    error::{ApiError, ApiResult},
    state::AppState,
};

pub struct SpotsApi {
    pub state: AppState,
}

#[derive(Object)]
struct NewSpot {
    /// Seconds into the room's current video.
    #[oai(validator(minimum(value = "0"), maximum(value = "10000000")))]
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
        let video_id = self.current_video(&code).await?;
        let now = now_ms();
        db::spots::save(&self.state.db, &code, client, video_id, spot.position, now).await?;
        Ok(Json(Spot {
            position: spot.position,
            video_id,
            saved_at: now,
        }))
    }

    /// Your saved spot in the room's current video; 404 when you saved none.
    #[oai(path = "/rooms/:code/spot", method = "get")]
    async fn get(&self, code: Path<String>, client: ClientId) -> ApiResult<Json<Spot>> {
        let video_id = self.current_video(&code).await?;
        let (position, saved_at) = db::spots::get(&self.state.db, &code, client, video_id)
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

impl SpotsApi {
    /// The ID of the room's current video; 404 without the room, 409 without a video.
    async fn current_video(&self, code: &str) -> ApiResult<i64> {
        let room = found(self.state.hub.view(code, 0).await?)?;
        room.video
            .map(|video| video.id)
            .ok_or_else(|| ApiError::conflict("no_video", "the room has no video yet"))
    }
}
