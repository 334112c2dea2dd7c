//! [`ApiError`]: an error code, a message and, for `gone`, the reason and time; rendered as
//! the contract's `{"error", "message"[, "reason", "at"]}` with the code's status (and
//! `Retry-After` for `rate_limited`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use share_proto::relay::{ErrorBody, ErrorCode, GoneReason};

use crate::clock;
use crate::policy::Denial;

/// An error reply.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
    /// For `gone`.
    pub gone: Option<(GoneReason, i64)>,
    /// For `rate_limited`.
    pub retry_after: Option<u64>,
    /// Overrides the code's status (416 for an unsatisfiable range).
    pub status: Option<StatusCode>,
}

impl ApiError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            gone: None,
            retry_after: None,
            status: None,
        }
    }

    /// `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `not_found`.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such link, share or ticket")
    }

    /// `unavailable`, logging the cause (which is never sent).
    pub fn unavailable(cause: &anyhow::Error) -> Self {
        tracing::error!("storage failure: {cause:#}");
        Self::new(
            ErrorCode::Unavailable,
            "the relay's database or storage is not answering; try again later",
        )
    }

    /// `gone` with its reason and time.
    pub fn gone(reason: GoneReason, at: i64) -> Self {
        let when = clock::rfc3339(at);
        let message = match reason {
            GoneReason::Consumed => format!("this link was already used at {when}"),
            GoneReason::Expired => format!("this link expired at {when}"),
            GoneReason::Revoked => format!("this link was revoked at {when}"),
        };
        Self {
            gone: Some((reason, at)),
            ..Self::new(ErrorCode::Gone, message)
        }
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::NotFound => Self::not_found(),
            Denial::Gone(reason, at) => Self::gone(reason, at),
            Denial::IpNotAllowed => Self::new(
                ErrorCode::IpNotAllowed,
                "this share is bound to addresses that do not include yours",
            ),
            Denial::Policy(m) => Self::new(ErrorCode::Policy, m),
            Denial::TooLarge(m) => Self::new(ErrorCode::TooLarge, m),
            Denial::BadRequest(m) => Self::bad_request(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            reason: self.gone.map(|g| g.0),
            at: self.gone.map(|g| clock::rfc3339(g.1)),
        };
        let mut res = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
