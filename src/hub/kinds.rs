//! The name each room command is counted under in `goblet_room_commands_total`.

use super::handle::Command;
use crate::room::PlaybackAction;

impl Command {
    /// A short, fixed label: the metrics keep one series per name, so no value from a client
    /// may end up here.
    pub(super) fn kind(&self) -> &'static str {
        // Variants added later are counted as "other" until they are named here.
        #[allow(unreachable_patterns)]
        match self {
            Command::Playback { action, .. } => match action {
                PlaybackAction::Play => "play",
                PlaybackAction::Pause => "pause",
                PlaybackAction::Seek => "seek",
            },
            Command::Join { .. } => "join",
            Command::Leave { .. } => "leave",
            Command::Admit { .. } | Command::PasswordHash { .. } | Command::AddMember { .. } => {
                "admission"
            }
            Command::Heartbeat { .. } => "heartbeat",
            Command::Status { .. } => "status",
            Command::ClaimHost { .. } => "claim_host",
            Command::SetVideo { .. } | Command::Refresh { .. } | Command::Ended { .. } => "video",
            Command::Rename { .. } | Command::RenameViewer { .. } => "rename",
            Command::ChangeSettings { .. }
            | Command::HandOwnership { .. }
            | Command::Kick { .. } => "control",
            Command::Chat { .. } => "chat",
            Command::Snapshot { .. } | Command::View { .. } | Command::Viewers { .. } => "read",
            Command::QueueAdd { .. }
            | Command::QueueRemove { .. }
            | Command::QueueReorder { .. }
            | Command::QueueNext { .. } => "queue",
            Command::AddSubtitles { .. } | Command::RemoveSubtitles { .. } => "subtitles",
            Command::BeginUpload { .. }
            | Command::Processing { .. }
            | Command::CancelProcessing { .. } => "upload",
            Command::ExpireIfIdle { .. } => "expiry",
            _ => "other",
        }
    }
}
