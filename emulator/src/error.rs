//! Typed errors for the two HTTP surfaces.
//!
//! The Bot API and the control API fail differently on purpose: Bot API errors
//! must look byte-for-byte like Telegram's (`{"ok":false,"error_code":..,
//! "description":..}`) because bot libraries parse them, while control API errors
//! are for people and tests, so they carry a plain `error` message.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde_json::json;

/// An error answered by a Bot API method, shaped like Telegram's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The token in the URL is not the emulated bot's token.
    #[error("Unauthorized")]
    Unauthorized,
    /// The method does not exist (or is not emulated).
    #[error("Not Found: method not found")]
    MethodNotFound,
    /// Bad parameters; the text follows `Bad Request: `.
    #[error("Bad Request: {0}")]
    BadRequest(String),
    /// The bot may not do this; the text follows `Forbidden: `.
    #[error("Forbidden: {0}")]
    Forbidden(String),
    /// Conflicting use of updates (webhook vs getUpdates, two pollers).
    #[error("Conflict: {0}")]
    Conflict(String),
    /// Flood control: retry after this many seconds.
    #[error("Too Many Requests: retry after {0}")]
    TooManyRequests(u32),
}

impl ApiError {
    /// Shorthand for a 400 with the given description tail.
    pub(crate) fn bad(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    /// The `error_code` Telegram would send.
    pub fn code(&self) -> u16 {
        match self {
            ApiError::Unauthorized => 401,
            ApiError::MethodNotFound => 404,
            ApiError::BadRequest(_) => 400,
            ApiError::Forbidden(_) => 403,
            ApiError::Conflict(_) => 409,
            ApiError::TooManyRequests(_) => 429,
        }
    }

    /// The JSON body Telegram would send.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code(),
            "description": self.to_string(),
        });
        if let ApiError::TooManyRequests(retry_after) = self {
            body["parameters"] = json!({ "retry_after": retry_after });
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.body())
    }
}

/// An error answered by a control API endpoint: `{"error": "..."}` with a
/// meaningful HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// Unknown user, chat, message, update, callback query, invoice...
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The simulated user may not do this (banned, private channel...).
    #[error("{0}")]
    Forbidden(String),
    /// The world is not in a state that allows this (already paid...).
    #[error("{0}")]
    Conflict(String),
    /// A long-poll ended without the awaited event.
    #[error("{0}")]
    Timeout(String),
}

impl ControlError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        ControlError::NotFound(what.into())
    }
}

impl ResponseError for ControlError {
    fn status_code(&self) -> StatusCode {
        match self {
            ControlError::NotFound(_) => StatusCode::NOT_FOUND,
            ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ControlError::Forbidden(_) => StatusCode::FORBIDDEN,
            ControlError::Conflict(_) => StatusCode::CONFLICT,
            ControlError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(json!({ "error": self.to_string() }))
    }
}
