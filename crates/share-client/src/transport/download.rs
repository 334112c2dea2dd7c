//! Downloading a link as a byte stream that resumes by itself after a dropped connection,
//! with `Range` requests checked against `Content-Range`
//! (<https://www.rfc-editor.org/rfc/rfc9110#name-range-requests>), bounded in size.

use std::net::IpAddr;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderValue};
use url::Url;

use crate::error::{Error, Result};
use crate::transport::TransportError;
use crate::transport::network::{Network, transport_error};
use crate::transport::retry::{AttemptFailure, Retrying};
/// The most bytes accepted from one link: no tfLink file is larger, so a host sending
/// more (or announcing more) is broken or hostile.
pub const MAX_DOWNLOAD_BYTES: u64 = 128 * 1024 * 1024;
type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A download in progress: its announced length and its bytes, resuming by itself.
pub struct Download {
    /// The length the host announced (`Content-Length`), if it did.
    pub content_length: Option<u64>,
    /// The URL that answered, after redirects.
    pub served_from: Url,
    /// The address of the peer that answered (a proxy's, behind one).
    pub peer: Option<IpAddr>,
    /// The bytes, resuming by itself; its errors carry an [`Error`] saying what went wrong
    /// (see [`Error::from_io`]).
    pub body: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}

/// Starts downloading a link. A request answered 429 or 5xx, or whose connection fails,
/// is sent again after a backoff; a dropped connection is resumed with a Range request
/// (checked against `Content-Range`) or, where the host ignores Range, restarted and the
/// bytes already delivered skipped. All of these share `network.retries` attempts.
pub async fn download(client: &reqwest::Client, link: &Url, network: &Network) -> Result<Download> {
    download_limited(client, link, network, MAX_DOWNLOAD_BYTES).await
}

/// Like [`download`], but refusing more than `limit` bytes instead of [`MAX_DOWNLOAD_BYTES`]:
/// for content whose size was announced by a host that stores larger files (a relay).
pub async fn download_limited(
    client: &reqwest::Client,
    link: &Url,
    network: &Network,
    limit: u64,
) -> Result<Download> {
    let mut retrying = Retrying::new(network);
    let response = loop {
        match request_download(client, link, None).await {
            Ok(response) => break response,
            Err(failure) => retrying.wait(failure).await?,
        }
    };
    let content_length = response.content_length();
    if let Some(length) = content_length {
        check_size(length, limit)?;
    }
    let served_from = response.url().clone();
    let peer = response.remote_addr().map(|address| address.ip());
    let validator = response
        .headers()
        .get(header::ETAG)
        .or_else(|| response.headers().get(header::LAST_MODIFIED))
        .cloned();
    let state = Resuming {
        client: client.clone(),
        link: link.clone(),
        body: Some(Box::pin(response.bytes_stream())),
        received: 0,
        skip: 0,
        total: content_length,
        validator,
        retrying,
        limit,
    };
    let body = futures_util::stream::unfold(state, |mut state| async move {
        state.next_chunk().await.map(|item| (item, state))
    })
    .fuse();
    Ok(Download {
        content_length,
        served_from,
        peer,
        body: Box::pin(body),
    })
}

fn check_size(length: u64, limit: u64) -> Result<()> {
    if length > limit {
        return Err(TransportError::TooLarge { limit }.into());
    }
    Ok(())
}

/// One download request. 404 and 410 mean the link is gone; 429, 5xx and failed
/// connections may go away when retried.
async fn request_download(
    client: &reqwest::Client,
    link: &Url,
    resume: Option<(u64, Option<&HeaderValue>)>,
) -> Result<reqwest::Response, AttemptFailure> {
    let mut request = client.get(link.clone());
    if let Some((from, validator)) = resume {
        request = request.header(header::RANGE, format!("bytes={from}-"));
        if let Some(validator) = validator {
            request = request.header(header::IF_RANGE, validator.clone());
        }
    }
    let response = request
        .send()
        .await
        .map_err(|err| AttemptFailure::transport("download", link, err))?;
    let status = response.status();
    // A relay explains a refusal in JSON (used up, revoked, another address); anything
    // else is read as a tfLink-compatible host's reply.
    let relay_error = if crate::transport::relay::is_relay_error(&response) {
        crate::transport::relay::relay_error_from(response).await
    } else {
        Err(response)
    };
    let response = match relay_error {
        Ok(refused) => return Err(AttemptFailure::fatal(refused)),
        Err(response) => response,
    };
    if matches!(status.as_u16(), 404 | 410) {
        return Err(AttemptFailure::fatal(TransportError::NotFound { status }));
    }
    if !status.is_success() {
        return Err(AttemptFailure::refused(
            "download",
            status,
            response.headers(),
        ));
    }
    Ok(response)
}

struct Resuming {
    /// The most bytes accepted in all.
    limit: u64,
    client: reqwest::Client,
    link: Url,
    body: Option<ByteStream>,
    /// Bytes handed on so far.
    received: u64,
    /// Bytes still to drop from a restarted (non-Range) response.
    skip: u64,
    total: Option<u64>,
    validator: Option<HeaderValue>,
    /// The transfer's retries, shared with its first request.
    retrying: Retrying,
}

impl Resuming {
    async fn next_chunk(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            let body = self.body.as_mut()?;
            let error: Error = match body.next().await {
                Some(Ok(chunk)) => match self.accept(chunk) {
                    Ok(Some(chunk)) => return Some(Ok(chunk)),
                    Ok(None) => continue,
                    Err(err) => return Some(Err(err.into_io())),
                },
                None if self.total.is_none_or(|total| self.received >= total) => {
                    self.body = None;
                    return None;
                }
                None => TransportError::EndedEarly.into(),
                Some(Err(err)) => transport_error("download", &self.link, err),
            };
            self.body = None;
            // A dropped or short body may pass when resumed.
            let mut failure = AttemptFailure {
                error,
                retry: Some(None),
            };
            loop {
                if let Err(error) = self.retrying.wait(failure).await {
                    return Some(Err(error.into_io()));
                }
                match self.reopen().await {
                    Ok(()) => break,
                    Err(again) => failure = again,
                }
            }
        }
    }

    /// Counts a chunk, dropping what a restarted response repeats.
    fn accept(&mut self, mut chunk: Bytes) -> Result<Option<Bytes>> {
        if self.skip > 0 {
            let dropped = self.skip.min(chunk.len() as u64);
            self.skip -= dropped;
            chunk = chunk.slice(dropped as usize..);
            if chunk.is_empty() {
                return Ok(None);
            }
        }
        self.received += chunk.len() as u64;
        check_size(self.received, self.limit)?;
        if self.total.is_some_and(|total| self.received > total) {
            return Err(TransportError::MoreThanAnnounced.into());
        }
        Ok(Some(chunk))
    }

    async fn reopen(&mut self) -> Result<(), AttemptFailure> {
        let response = request_download(
            &self.client,
            &self.link,
            Some((self.received, self.validator.as_ref())),
        )
        .await?;
        if response.status() == StatusCode::PARTIAL_CONTENT {
            let range = response
                .headers()
                .get(header::CONTENT_RANGE)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_content_range);
            match range {
                Some((start, total))
                    if start == self.received && total.is_none_or(|t| Some(t) == self.total) => {}
                _ => return Err(AttemptFailure::fatal(TransportError::WrongRange)),
            }
        } else {
            // The host ignored Range and sent the whole file again.
            if response.content_length() != self.total {
                return Err(AttemptFailure::fatal(TransportError::ChangedOnHost));
            }
            self.skip = self.received;
        }
        self.body = Some(Box::pin(response.bytes_stream()));
        Ok(())
    }
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`): the start and the total.
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = match total {
        "*" => None,
        digits => Some(digits.parse().ok()?),
    };
    Some((start.parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_parsed_strictly() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }
}
