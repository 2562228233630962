//! Asking a room to add or remove subtitle tracks, and the background search for subtitles inside
//! a newly uploaded video. The tracks change in the room's task (`live/subtitles.rs`).

use std::path::PathBuf;

use super::{Answer, Hub, handle::Command};
use crate::{
    client::ClientId,
    media::Tools,
    subtitles::{NewTrack, extract},
    view::SubtitleView,
};

impl Hub {
    /// `by` adds a subtitle track to the room's current video.
    pub async fn add_subtitles(
        &self,
        code: &str,
        by: ClientId,
        track: NewTrack,
    ) -> Answer<SubtitleView> {
        self.ask_answer(code, |reply| Command::AddSubtitles {
            by: Some(by),
            video_id: None,
            track: track.clone(),
            reply,
        })
        .await
    }

    /// `by` removes subtitle track `id` of the room's current video.
    pub async fn remove_subtitles(&self, code: &str, by: ClientId, id: i64) -> Answer<()> {
        self.ask_answer(code, |reply| Command::RemoveSubtitles { by, id, reply })
            .await
    }

    /// Looks for text subtitle streams in `file`, the upload of video `video_id`, in the
    /// background, and adds each to the room while that video is still its current one. Never
    /// makes anyone wait: the upload has been answered already.
    pub fn find_subtitles_in(&self, code: &str, video_id: i64, file: PathBuf, tools: Tools) {
        let hub = self.clone();
        let code = code.to_string();
        tokio::spawn(async move {
            let tracks = extract::extract(&tools, &file).await;
            hub.add_found_subtitles(&code, video_id, tracks).await;
        });
    }

    /// Adds `tracks`, found inside the file of video `video_id`, to the room while that video is
    /// still its current one.
    pub async fn add_found_subtitles(&self, code: &str, video_id: i64, tracks: Vec<NewTrack>) {
        for track in tracks {
            let label = track.label.clone();
            let added = self
                .ask_answer(code, |reply| Command::AddSubtitles {
                    by: None,
                    video_id: Some(video_id),
                    track: track.clone(),
                    reply,
                })
                .await;
            match added {
                Ok(Some(Ok(_))) => {}
                // The room or its video is gone, or it has all the tracks it may: stop.
                Ok(None | Some(Err(_))) | Err(_) => {
                    tracing::debug!(room = %code, video = video_id, %label, "found subtitles not added");
                    return;
                }
            }
        }
    }
}
