//! The retry policy shared by uploads and downloads: which failures may pass when tried
//! again, and how long the host asks to wait (`Retry-After`).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self};
use url::Url;

use crate::error::{Failure, Kind};
use crate::transport::network::{is_transient, transport_error};
/// The longest `Retry-After` honoured; a host asking for more is treated as failing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Why one attempt at an upload or a download request failed, and whether another
/// attempt may succeed.
pub struct AttemptFailure {
    /// What went wrong, as reported when no attempt is left.
    pub error: anyhow::Error,
    /// `Some` when retrying makes sense; the inner value is the host's `Retry-After`.
    pub retry: Option<Option<Duration>>,
}

impl AttemptFailure {
    pub(crate) fn fatal(error: anyhow::Error) -> Self {
        AttemptFailure { error, retry: None }
    }

    /// A request that failed before any reply: retried when the cause may pass (a refused,
    /// dropped or timed-out connection, a failed name lookup), not when it will not (a
    /// redirect that was refused, a certificate or TLS failure).
    pub(crate) fn transport(action: &str, url: &Url, err: &reqwest::Error) -> Self {
        AttemptFailure {
            error: transport_error(action, url, err),
            retry: is_transient(err).then_some(None),
        }
    }

    /// The host refused the `action` with this status: transient for 429 and the usual 5xx
    /// (unless the host asks for a longer wait than share allows), final otherwise.
    pub(crate) fn refused(action: &str, status: StatusCode, headers: &header::HeaderMap) -> Self {
        let error = Failure::new(
            Kind::Host,
            format!("the host refused the {action} ({status})"),
        )
        .hint("try again later")
        .into();
        let retry_after = retry_after(headers);
        let transient = matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
            && retry_after.is_none_or(|wait| wait <= MAX_RETRY_AFTER);
        AttemptFailure {
            error,
            retry: transient.then_some(retry_after),
        }
    }
}
/// `Retry-After` in seconds (the HTTP-date form is rare for these hosts and ignored).
pub(crate) fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
