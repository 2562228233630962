//! Live rooms. Each loaded room is owned by one task ([`live`]) that applies the room's commands one
//! at a time, each with its database write, its change in memory and its broadcast, so the order
//! every socket hears is the order the room changed in, and the database and memory always agree.
//! Everything else holds a [`RoomHandle`]: a sender to that task.
//!
//! - [`registry`]: the [`Hub`]: which rooms are loaded, loading them on first use, and the requests
//!   that find a room by its code (retrying when it had just left memory).
//! - [`handle`]: the handle and the commands it sends ([`kinds`]: their names in the metrics).
//! - [`live`]: the task that owns one room: commands, the host check, saving playback, viewer
//!   announcements, leaving memory when idle, expiry.
//! - [`chat`]: posting a message and the join history.
//! - [`uploads`]: uploads in progress, which keep their room awake.
//! - [`subtitles`]: asking a room to add or remove subtitle tracks, and finding those inside an
//!   uploaded video in the background.
//! - [`processing`]: a room's uploads being made playable, and who may cancel them.
//! - [`expiry`]: the background sweep that deletes rooms nobody watched for the TTL.
//! - [`remote`] (cluster mode): owning a room under a lease or relaying it from its owner, and
//!   applying the commands other nodes forward; [`ownership`]: the owner's lease and publishing.

mod chat;
pub mod expiry;
mod handle;
mod kinds;
mod live;
mod ownership;
mod processing;
mod registry;
mod remote;
mod subtitles;
mod uploads;

pub use handle::{Denied, PasswordChange, RoomHandle, Welcome};
pub use live::RESYNC;
pub use registry::{Answer, Hub, HubError, HubSettings, is_valid_code};
pub use uploads::UploadGuard;
