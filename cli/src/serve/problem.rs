//! An error answer of the service: a 4xx (or 503) status with the JSON
//! body `{"error": "...", "reason": "..."}`, `reason` a stable code.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProblemBody {
    /// What went wrong, in words.
    pub error: String,
    /// A stable code: `invalid_request`, `unauthorized`, `forbidden`,
    /// `not_found`, `method_not_allowed`, `payload_too_large`,
    /// `unsupported_media_type`, `request_timeout`, `trust_list_stale`,
    /// `replay_guard_unavailable`.
    pub reason: &'static str,
}

/// An error answer, and the reason the request log shows for it.
#[derive(Debug)]
pub(crate) struct Problem {
    pub status: StatusCode,
    pub reason: &'static str,
    pub error: String,
}

/// The reason of an answer, for the request log (never a code or identifier).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogReason(pub &'static str);

impl Problem {
    pub(crate) fn new(status: StatusCode, reason: &'static str, error: impl Into<String>) -> Self {
        Problem {
            status,
            reason,
            error: error.into(),
        }
    }

    /// `400 invalid_request`.
    pub(crate) fn invalid(error: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_request", error)
    }

    /// The problem a bare status of the framework or a layer stands for.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        let (reason, error) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "method not allowed on this route")
            }
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body is over this route's limit",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ("unsupported_media_type", "unsupported content type")
            }
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long"),
            StatusCode::UNAUTHORIZED => ("unauthorized", "a valid API key is required"),
            _ if status.is_server_error() => ("internal", "internal error"),
            _ => ("invalid_request", "invalid request"),
        };
        Problem::new(status, reason, error)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ProblemBody {
                error: self.error,
                reason: self.reason,
            }),
        )
            .into_response();
        response.extensions_mut().insert(LogReason(self.reason));
        response
    }
}
