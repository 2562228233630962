//! The room task's part in subtitles: the current video's tracks, kept beside the room, changed
//! here in the same order as everything else (so `subtitles` reaches each socket after the
//! `video` it belongs to).

use super::LiveRoom;
use crate::{
    client::ClientId,
    clock::now_ms,
    db,
    hub::Denied,
    protocol::ServerMsg,
    room::VideoSource,
    subtitles::{MAX_TRACKS, NewTrack, Track, TrackError},
    view::SubtitleView,
};

impl LiveRoom {
    pub(super) fn subtitle_views(&self) -> Vec<SubtitleView> {
        SubtitleView::list(self.code(), &self.subtitles)
    }

    /// Adds `track` to the current video: for `by`, when they may change the video; or found in
    /// the file of video `video_id`, when that is still the current one.
    pub(super) async fn add_subtitles(
        &mut self,
        by: Option<ClientId>,
        video_id: Option<i64>,
        track: NewTrack,
    ) -> Result<SubtitleView, Denied> {
        if let Some(by) = by {
            self.may_control(by)?;
        }
        let video = self.room.video.as_ref().ok_or(TrackError::NoVideo)?;
        if video_id.is_some_and(|id| id != video.id) {
            return Err(TrackError::NoVideo.into());
        }
        if matches!(video.source, VideoSource::YouTube { .. }) {
            return Err(TrackError::YouTube.into());
        }
        if self.subtitles.len() >= MAX_TRACKS {
            return Err(TrackError::TooMany.into());
        }
        let video_id = video.id;
        let id = db::subtitles::insert(self.hub.db(), video_id, &track, by, now_ms()).await?;
        let track = Track {
            id,
            label: track.label,
            language: track.language,
            added_by: by,
        };
        let view = SubtitleView::of(self.code(), &track);
        tracing::info!(room = %self.code(), video = video_id, track = id, label = %track.label, "subtitles added");
        self.subtitles.push(track);
        self.subtitles_changed();
        Ok(view)
    }

    /// Removes track `id`: its uploader may, and the host and the owner, as long as they may
    /// change the video.
    pub(super) async fn remove_subtitles(&mut self, by: ClientId, id: i64) -> Result<(), Denied> {
        self.may_control(by)?;
        let at = self
            .subtitles
            .iter()
            .position(|track| track.id == id)
            .ok_or(TrackError::NoSuchTrack)?;
        let track = &self.subtitles[at];
        if track.added_by != Some(by) && !self.room.is_host(by) && !self.room.is_owner(by) {
            return Err(Denied::NotAllowed);
        }
        db::subtitles::delete(self.hub.db(), id).await?;
        self.subtitles.remove(at);
        tracing::info!(room = %self.code(), track = id, %by, "subtitles removed");
        self.subtitles_changed();
        Ok(())
    }

    /// The current video came from the queue: look for subtitles inside its file in the
    /// background, as for an upload made current at once (`http/api/videos.rs`).
    pub(super) fn find_subtitles(&self) {
        let Some(video) = &self.room.video else {
            return;
        };
        let media = &self.hub.shared().media;
        let Some(tools) = media.tools() else {
            return;
        };
        let Some(path) = video
            .file_name()
            .and_then(|file| media.registered_path(file))
        else {
            return;
        };
        self.hub
            .find_subtitles_in(self.code(), video.id, path, tools.clone());
    }

    /// The video changed: its tracks went with the old video's row.
    pub(super) fn drop_subtitles(&mut self) {
        if !self.subtitles.is_empty() {
            self.subtitles.clear();
            self.subtitles_changed();
        }
    }

    fn subtitles_changed(&self) {
        self.broadcast(&ServerMsg::Subtitles {
            tracks: self.subtitle_views(),
        });
    }
}
