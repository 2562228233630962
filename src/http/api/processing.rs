use poem_openapi::{ApiResponse, OpenApi, param::Path};

use super::{ApiTags, found};
use crate::{client::ClientId, error::ApiResult, hub::Denied, state::AppState};

pub struct ProcessingApi {
    pub state: AppState,
}

#[derive(ApiResponse)]
enum Cancelled {
    /// The job stops; the room hears `processing` with `cancelled`, and its files are deleted.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Videos")]
impl ProcessingApi {
    /// Cancel an upload being made playable (queued or running): its uploader, the host or the
    /// owner may. 404 when the job is over or not this room's.
    #[oai(path = "/rooms/:code/processing/:job", method = "delete")]
    async fn cancel(
        &self,
        code: Path<String>,
        job: Path<i64>,
        client: ClientId,
    ) -> ApiResult<Cancelled> {
        // Signed, like the queue's IDs: the document then bounds it as every client can count.
        let job = u64::try_from(*job).map_err(|_| Denied::NoSuchJob)?;
        found(self.state.hub.cancel_processing(&code, client, job).await?)??;
        Ok(Cancelled::Done)
    }
}
