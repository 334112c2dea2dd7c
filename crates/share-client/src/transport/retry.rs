//! The retry policy shared by uploads and downloads: which failures may pass when tried
//! again, and how long the host asks to wait (`Retry-After`).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self};
use url::Url;

use crate::error::{Error, Result};
use crate::transport::TransportError;
use crate::transport::network::{is_transient, transport_error};
/// The longest `Retry-After` honoured; a host asking for more is treated as failing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Why one attempt at an upload or a download request failed, and whether another
/// attempt may succeed.
pub struct AttemptFailure {
    /// What went wrong, as reported when no attempt is left.
    pub error: Error,
    /// `Some` when retrying makes sense; the inner value is the host's `Retry-After`.
    pub retry: Option<Option<Duration>>,
}

impl AttemptFailure {
    /// A failure that retrying cannot mend.
    pub fn fatal(error: impl Into<Error>) -> Self {
        AttemptFailure {
            error: error.into(),
            retry: None,
        }
    }

    /// A request that failed before any reply: retried when the cause may pass (a refused,
    /// dropped or timed-out connection, a failed name lookup), not when it will not (a
    /// redirect that was refused, a certificate or TLS failure).
    pub(crate) fn transport(action: &'static str, url: &Url, err: reqwest::Error) -> Self {
        let retry = is_transient(&err).then_some(None);
        AttemptFailure {
            error: transport_error(action, url, err),
            retry,
        }
    }

    /// The host refused the `action` with this status: transient for 429 and the usual 5xx
    /// (unless the host asks for a longer wait than share allows), final otherwise.
    pub(crate) fn refused(
        action: &'static str,
        status: StatusCode,
        headers: &header::HeaderMap,
    ) -> Self {
        let error = TransportError::Refused { action, status }.into();
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

/// The retries left to one transfer, shared by its first request and every resumption,
/// with the one notice policy: each retry is announced with what failed and how long share
/// waits.
pub struct Retrying {
    network: crate::transport::Network,
    used: u32,
}

impl Retrying {
    /// A fresh budget of `network.retries` retries.
    pub fn new(network: &crate::transport::Network) -> Retrying {
        Retrying {
            network: network.clone(),
            used: 0,
        }
    }

    /// Waits before the next attempt after `failure` (jittered backoff, or the host's
    /// `Retry-After`), announcing it; gives the error back when the failure is final or no
    /// retry is left.
    pub async fn wait(&mut self, failure: AttemptFailure) -> Result<()> {
        let retry_after = match failure.retry {
            Some(retry_after) if self.used < self.network.retries => retry_after,
            _ => return Err(failure.error),
        };
        let wait = self.network.backoff(self.used, retry_after);
        self.used += 1;
        self.network.notice(&format!(
            "{}; retrying in {:.1} s (attempt {} of {})",
            failure.error,
            wait.as_secs_f64(),
            self.used + 1,
            self.network.retries + 1
        ));
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
pub async fn with_retries<T, F, Fut>(
    network: &crate::transport::Network,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AttemptFailure>>,
{
    let mut retrying = Retrying::new(network);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) => retrying.wait(failure).await?,
        }
    }
}
