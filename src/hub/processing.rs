//! A room's uploads being made playable: the room's task keeps where each job stands, so a late
//! joiner's snapshot lists them, and decides who may cancel one (its uploader, the host, the owner).

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use super::handle::Denied;
use crate::{client::ClientId, view::ProcessingView};

#[derive(Default)]
pub(super) struct RoomJobs {
    /// Running and queued jobs by ID (IDs grow, so this is oldest first).
    jobs: BTreeMap<u64, RoomJob>,
}

struct RoomJob {
    view: ProcessingView,
    cancel: CancellationToken,
}

impl RoomJobs {
    /// Notes a job's new state; a job that is over is forgotten.
    pub(super) fn update(&mut self, view: ProcessingView, cancel: CancellationToken) {
        if view.state.is_final() {
            self.jobs.remove(&view.job);
        } else {
            self.jobs.insert(view.job, RoomJob { view, cancel });
        }
    }

    pub(super) fn views(&self) -> Vec<ProcessingView> {
        self.jobs.values().map(|job| job.view.clone()).collect()
    }

    /// Cancels job `id` for `by`, who may when they uploaded it or when `manages` (host or owner).
    pub(super) fn cancel(&self, id: u64, by: ClientId, manages: bool) -> Result<(), Denied> {
        let job = self.jobs.get(&id).ok_or(Denied::NoSuchJob)?;
        if job.view.by != by && !manages {
            return Err(Denied::NotAllowed);
        }
        job.cancel.cancel();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::JobState;

    fn view(job: u64, by: ClientId, state: JobState) -> ProcessingView {
        ProcessingView {
            job,
            name: "film.mkv".into(),
            state,
            percent: 0.0,
            reason: None,
            by,
            kind: "transcode".into(),
            queue: false,
        }
    }

    #[test]
    fn the_uploader_or_a_manager_may_cancel_and_finished_jobs_are_gone() {
        let uploader = ClientId(uuid::Uuid::from_u128(1));
        let other = ClientId(uuid::Uuid::from_u128(2));
        let mut jobs = RoomJobs::default();
        let token = CancellationToken::new();
        jobs.update(view(7, uploader, JobState::Queued), token.clone());
        jobs.update(view(7, uploader, JobState::Progress), token.clone());
        assert_eq!(jobs.views().len(), 1);
        assert!(matches!(
            jobs.cancel(7, other, false),
            Err(Denied::NotAllowed)
        ));
        assert!(!token.is_cancelled());
        assert!(matches!(
            jobs.cancel(8, uploader, true),
            Err(Denied::NoSuchJob)
        ));
        jobs.cancel(7, other, true).unwrap();
        assert!(token.is_cancelled());
        jobs.update(view(7, uploader, JobState::Cancelled), token);
        assert!(jobs.views().is_empty());
        assert!(matches!(
            jobs.cancel(7, uploader, false),
            Err(Denied::NoSuchJob)
        ));
    }
}
