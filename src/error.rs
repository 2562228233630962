//! One error type for the REST API. Each variant carries its status, so the spec lists them;
//! internal causes are logged and the client gets a plain message.

use poem_openapi::{ApiResponse, Object, payload::Json};

use crate::{
    hub::{Denied, HubError},
    limits::RetryAfter,
    media::{UploadError, probe::ProbeError},
    room::{QueueError, queue::MAX_QUEUE},
    subtitles::{MAX_TRACKS, TrackError},
};

#[derive(Object, Debug, Clone, PartialEq)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `room_not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// The request is malformed, or an upload is not what it should be (`bad_subtitles`).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The room asks for a password: give it with `POST /api/rooms/{code}/join`.
    #[oai(status = 401)]
    PasswordRequired(Json<ErrorBody>),
    /// The request came from another site, or the client's role in the room does not allow it.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such room, video or spot.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request does not fit the room's current state.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The upload stopped arriving (no byte for `upload_stall_secs`).
    #[oai(status = 408)]
    Timeout(Json<ErrorBody>),
    /// The upload is larger than the configured limit (a subtitle file: 2 MiB).
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// The upload is not a video container browsers play.
    #[oai(status = 415)]
    UnsupportedMedia(Json<ErrorBody>),
    /// Too many requests of this kind from this client, address or room; try again after
    /// `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// Something failed on the server; details are in its log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The server is shutting down, or could not load the room just now.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn body(code: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        code: code.into(),
        message: message.into(),
    })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::BadRequest(body(code, message))
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::NotFound(body(code, message))
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::Conflict(body(code, message))
    }

    /// 429 with `Retry-After: retry_secs`.
    pub fn too_many(code: &str, message: impl Into<String>, retry_secs: u64) -> Self {
        Self::TooManyRequests(body(code, message), retry_secs)
    }

    pub fn password_required() -> Self {
        Self::PasswordRequired(body(
            "password_required",
            "this room asks for a password: POST it to /api/rooms/{code}/join",
        ))
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::Forbidden(body(code, message))
    }

    pub fn room_not_found() -> Self {
        Self::not_found("room_not_found", "there is no room with this code")
    }

    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::Internal(body("internal", "something went wrong on the server"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal("database error", error)
    }
}

impl From<RetryAfter> for ApiError {
    fn from(retry: RetryAfter) -> Self {
        let seconds = retry.secs();
        Self::too_many(
            "rate_limited",
            format!("too many requests; try again in {seconds} s"),
            seconds,
        )
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::RateLimited(retry) => retry.into(),
            Denied::NotAllowed => Self::Forbidden(body(
                "not_allowed",
                "only the host or the room's owner may do that here",
            )),
            Denied::Queue(QueueError::Full) => Self::conflict(
                "queue_full",
                format!("the queue holds at most {MAX_QUEUE} videos"),
            ),
            Denied::Queue(QueueError::NoSuchItem) => {
                Self::not_found("no_such_item", "that video is not in the queue")
            }
            Denied::Queue(QueueError::BadOrder) => {
                Self::bad_request("bad_order", "a new order must name every queued video once")
            }
            Denied::Subtitles(error) => {
                let message = error.to_string();
                match error {
                    TrackError::NoSuchTrack => Self::not_found("no_such_subtitles", message),
                    TrackError::NoVideo => Self::conflict("no_video", message),
                    TrackError::TooMany => Self::conflict(
                        "too_many_subtitles",
                        format!("a video has at most {MAX_TRACKS} subtitle tracks"),
                    ),
                    TrackError::YouTube => Self::conflict("subtitles_unsupported", message),
                }
            }
            Denied::NoSuchJob => Self::not_found(
                "no_such_job",
                "no such processing job in this room (it may have ended)",
            ),
            Denied::Database(error) => error.into(),
            Denied::Unavailable => HubError::Unavailable.into(),
        }
    }
}

impl From<HubError> for ApiError {
    fn from(error: HubError) -> Self {
        match error {
            HubError::Database(error) => error.into(),
            HubError::Unavailable => Self::Unavailable(body(
                "unavailable",
                "the room is not available right now; try again in a moment",
            )),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> Self {
        let message = error.to_string();
        match error {
            UploadError::TooLarge { .. } => Self::TooLarge(body("too_large", message)),
            UploadError::NotAVideo => Self::UnsupportedMedia(body("not_a_video", message)),
            UploadError::NeedsFfmpeg(_) => Self::UnsupportedMedia(body("needs_ffmpeg", message)),
            UploadError::Interrupted(_) => Self::bad_request("upload_interrupted", message),
            UploadError::Stalled(_) => Self::Timeout(body("upload_stalled", message)),
            UploadError::Storage(error) => Self::internal("could not store an upload", error),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// An upload ffprobe could not read (or that holds no picture or sound).
impl From<ProbeError> for ApiError {
    fn from(error: ProbeError) -> Self {
        Self::UnsupportedMedia(body("unreadable_video", error.to_string()))
    }
}
