//! The HTTP protocol of tfLink-compatible hosts: uploading a ciphertext stream as the
//! multipart field `file` under a neutral name, validating the host's JSON reply, and
//! downloading a link as a byte stream that resumes after a dropped connection. Status
//! codes and transport failures become the documented exit codes here, and the policies
//! for retries, timeouts, redirects and TLS roots live here.

use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::cli::NetworkArgs;
use crate::error::{Failure, Kind, fail};
use crate::reach::PartRule;

/// tfLink's per-file limit, "100 MB", read conservatively as 10^8 bytes.
pub const MAX_UPLOAD_BYTES: u64 = 100_000_000;

/// The most bytes accepted from one link: no tfLink file is larger, so a host sending
/// more (or announcing more) is broken or hostile.
pub const MAX_DOWNLOAD_BYTES: u64 = 128 * 1024 * 1024;

/// How long anonymous uploads are kept by tfLink.
pub const ANONYMOUS_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The multipart filename of every upload: it becomes the link's last segment, so it
/// must say nothing about what is inside.
pub const NEUTRAL_NAME: &str = "share.age";

/// The largest host reply read as JSON.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Redirect hops followed on downloads (uploads follow none).
const MAX_REDIRECTS: usize = 5;

/// Backoff between attempts: doubling from the base, capped, with ±50 % jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The longest `Retry-After` honoured; a host asking for more is treated as failing.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Network settings, resolved from the flags before any I/O.
#[derive(Debug, Clone)]
pub struct Network {
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
    pub overall_timeout: Duration,
    pub retries: u32,
    pub jobs: usize,
    extra_roots: Vec<reqwest::Certificate>,
}

impl Network {
    /// Reads `--ca-file` (exit 2 if unreadable or without certificates).
    pub fn from_args(args: &NetworkArgs) -> Result<Network> {
        let extra_roots = match &args.ca_file {
            Some(path) => read_roots(path)?,
            None => Vec::new(),
        };
        Ok(Network {
            connect_timeout: Duration::from_secs(args.connect_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            overall_timeout: Duration::from_secs(args.timeout),
            retries: args.retries,
            jobs: usize::from(args.jobs),
            extra_roots,
        })
    }

    /// A client for uploads: no redirects at all, since following one would carry the
    /// body and the account headers somewhere the user did not name.
    pub fn upload_client(&self) -> Result<reqwest::Client> {
        self.client(reqwest::redirect::Policy::none(), None)
    }

    /// A client for downloads: a few redirect hops, only to http(s), never from https
    /// down to http, and no Referer.
    pub fn download_client(&self) -> Result<reqwest::Client> {
        self.client(
            reqwest::redirect::Policy::custom(|attempt| {
                if let Some(refused) = redirect_refused(&attempt, |_| None) {
                    return attempt.error(refused);
                }
                attempt.follow()
            }),
            None,
        )
    }

    /// A client for the parts of a multi-part share: every request, and every redirect
    /// hop, must satisfy the index's [`PartRule`], names included as they resolve.
    pub fn part_client(&self, rule: &PartRule) -> Result<reqwest::Client> {
        let resolver = crate::reach::resolver_for(rule);
        let rule = rule.clone();
        self.client(
            reqwest::redirect::Policy::custom(move |attempt| {
                if let Some(refused) = redirect_refused(&attempt, |next| rule.problem_with(next)) {
                    return attempt.error(refused);
                }
                attempt.follow()
            }),
            resolver.map(|resolver| resolver as Arc<dyn reqwest::dns::Resolve>),
        )
    }

    fn client(
        &self,
        redirects: reqwest::redirect::Policy,
        resolver: Option<Arc<dyn reqwest::dns::Resolve>>,
    ) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("share/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.idle_timeout)
            .redirect(redirects)
            .referer(false);
        if !self.extra_roots.is_empty() {
            builder = builder.tls_certs_merge(self.extra_roots.iter().cloned());
        }
        if let Some(resolver) = resolver {
            builder = builder.dns_resolver(resolver);
        }
        builder.build().map_err(|err| {
            anyhow::anyhow!("cannot set up the HTTP client: {}", deepest_cause(&err))
        })
    }

    /// How long to wait before attempt `attempt + 1` (0-based), honouring `Retry-After`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait;
        }
        let doubled = BACKOFF_BASE
            .saturating_mul(1 << attempt.min(16))
            .min(BACKOFF_CAP);
        let mut random = [0u8; 2];
        // Without randomness the backoff is merely unjittered; that is no reason to fail.
        let _ = getrandom::fill(&mut random);
        let fraction = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX);
        doubled.mul_f64(0.5 + fraction)
    }
}

/// Why a redirect hop is refused: too many hops, a scheme other than http(s), https down
/// to http, or whatever `extra` finds wrong with the next URL.
fn redirect_refused(
    attempt: &reqwest::redirect::Attempt<'_>,
    extra: impl Fn(&Url) -> Option<&'static str>,
) -> Option<String> {
    let next = attempt.url();
    if attempt.previous().len() > MAX_REDIRECTS {
        return Some(format!("more than {MAX_REDIRECTS} redirects"));
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some(format!(
            "a redirect to a {}: address was refused",
            next.scheme()
        ));
    }
    let from_https = attempt
        .previous()
        .last()
        .is_some_and(|url| url.scheme() == "https");
    if from_https && next.scheme() == "http" {
        return Some("a redirect from https down to http was refused".to_owned());
    }
    extra(next).map(|problem| format!("a redirect of a part was refused: {problem}"))
}

/// The upload client, built once on first use on a blocking thread: loading the system's
/// CA certificates takes a few milliseconds, and the first encryption runs meanwhile.
pub struct LazyUploadClient {
    network: Network,
    client: tokio::sync::OnceCell<reqwest::Client>,
}

impl LazyUploadClient {
    pub fn new(network: &Network) -> Self {
        LazyUploadClient {
            network: network.clone(),
            client: tokio::sync::OnceCell::new(),
        }
    }

    pub async fn get(&self) -> Result<&reqwest::Client> {
        self.client
            .get_or_try_init(|| async {
                let network = self.network.clone();
                tokio::task::spawn_blocking(move || network.upload_client())
                    .await
                    .map_err(|err| anyhow::anyhow!("cannot set up the HTTP client: {err}"))?
            })
            .await
    }
}

fn read_roots(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let pem = std::fs::read(path).map_err(|err| {
        Failure::new(
            Kind::Usage,
            format!(
                "cannot read --ca-file {}: {}",
                path.display(),
                crate::error::io_text(&err)
            ),
        )
        .hint("give a PEM file with one or more CA certificates")
    })?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
    if roots.is_empty() {
        return Err(Failure::new(
            Kind::Usage,
            format!("--ca-file {} holds no PEM certificate", path.display()),
        )
        .hint("give a PEM file with one or more CA certificates")
        .into());
    }
    Ok(roots)
}

/// Credentials for account uploads (`X-User-Id` and `X-Auth-Token`).
pub struct Account {
    pub user_id: String,
    pub auth_token: SecretString,
}

/// The parts of tfLink's upload reply that share relies on.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadReply {
    download_link: String,
}

/// Parses an http(s) URL given by the user (`--server`, a link): exit 2 when unusable.
pub fn parse_user_url(text: &str, what: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|err| {
        Failure::new(Kind::Usage, format!("{what} is not a valid URL: {err}"))
            .hint("give a full http:// or https:// address")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Failure::new(
            Kind::Usage,
            format!("{what} must be an http:// or https:// address"),
        )
        .hint("give a full http:// or https:// address")
        .into());
    }
    Ok(url)
}

/// The upload endpoint under an API base URL.
pub fn upload_endpoint(server: &Url) -> Url {
    let mut endpoint = server.clone();
    let path = format!("{}/api/upload", server.path().trim_end_matches('/'));
    endpoint.set_path(&path);
    endpoint
}

/// Why one attempt at an upload or a download request failed, and whether another
/// attempt may succeed.
pub struct AttemptFailure {
    pub error: anyhow::Error,
    /// `Some` when retrying makes sense; the inner value is the host's `Retry-After`.
    pub retry: Option<Option<Duration>>,
}

impl AttemptFailure {
    fn fatal(error: anyhow::Error) -> Self {
        AttemptFailure { error, retry: None }
    }

    /// A request that failed before any reply: retried when the cause may pass (a refused,
    /// dropped or timed-out connection, a failed name lookup), not when it will not (a
    /// redirect that was refused, a certificate or TLS failure).
    fn transport(action: &str, url: &Url, err: &reqwest::Error) -> Self {
        AttemptFailure {
            error: transport_error(action, url, err),
            retry: is_transient(err).then_some(None),
        }
    }

    /// The host refused the `action` with this status: transient for 429 and the usual 5xx
    /// (unless the host asks for a longer wait than share allows), final otherwise.
    fn refused(action: &str, status: StatusCode, headers: &header::HeaderMap) -> Self {
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

/// What one upload sends: its body, its exact length, and the neutral name and type it goes by.
pub struct Upload<S> {
    pub body: S,
    pub length: u64,
    pub name: &'static str,
    pub mime: &'static str,
}

/// Uploads once and returns the download link from the host's reply.
pub async fn upload<S>(
    client: &reqwest::Client,
    endpoint: &Url,
    upload: Upload<S>,
    account: Option<&Account>,
) -> Result<Url, AttemptFailure>
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
{
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(upload.body),
        upload.length,
    )
    .file_name(upload.name)
    .mime_str(upload.mime)
    .map_err(|err| AttemptFailure::fatal(err.into()))?;
    let form = reqwest::multipart::Form::new().part("file", part);
    let mut request = client.post(endpoint.clone()).multipart(form);
    if let Some(account) = account {
        request = request
            .header("X-User-Id", &account.user_id)
            .header("X-Auth-Token", account.auth_token.expose_secret());
    }
    let response = request
        .send()
        .await
        .map_err(|err| AttemptFailure::transport("upload to", endpoint, &err))?;
    let status = response.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Err(AttemptFailure::fatal(
            Failure::new(Kind::Host, "the host refused the upload as too large (413)")
                .hint("tfLink accepts at most 100 MB per file")
                .into(),
        ));
    }
    if status.is_redirection() {
        return Err(AttemptFailure::fatal(
            Failure::new(
                Kind::Host,
                format!("the host redirected the upload ({status})"),
            )
            .hint("give --server the final address of the API; uploads never follow redirects")
            .into(),
        ));
    }
    if !status.is_success() {
        return Err(AttemptFailure::refused(
            "upload",
            status,
            response.headers(),
        ));
    }
    let reply = read_limited(response, MAX_REPLY_BYTES)
        .await
        .map_err(AttemptFailure::fatal)?;
    parse_reply(&reply).map_err(AttemptFailure::fatal)
}

/// `Retry-After` in seconds (the HTTP-date form is rare for these hosts and ignored).
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Validates the host's reply: JSON with a `downloadLink` that is an http(s) URL.
pub fn parse_reply(reply: &[u8]) -> Result<Url> {
    let unusable = |what: &str| -> anyhow::Error {
        Failure::new(Kind::Host, format!("the host's reply was unusable: {what}"))
            .hint("check --server points at a tfLink-compatible API; nothing was shared")
            .into()
    };
    let parsed: UploadReply =
        serde_json::from_slice(reply).map_err(|_| unusable("not the expected JSON"))?;
    let link =
        Url::parse(&parsed.download_link).map_err(|_| unusable("downloadLink is not a URL"))?;
    if !matches!(link.scheme(), "http" | "https") || link.host().is_none() {
        return Err(unusable("downloadLink is not an http(s) URL"));
    }
    Ok(link)
}

async fn read_limited(response: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let url = response.url().clone();
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|err| transport_error("read the reply from", &url, &err))?
    {
        if body.len() + chunk.len() > limit {
            return Err(fail(
                Kind::Host,
                "the host's reply is too large to be an upload reply",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A download in progress: its announced length and its bytes, resuming by itself.
pub struct Download {
    pub content_length: Option<u64>,
    /// The URL that answered, after redirects.
    pub served_from: Url,
    /// The address of the peer that answered (a proxy's, behind one).
    pub peer: Option<IpAddr>,
    pub body: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
}

/// Starts downloading a link. A request answered 429 or 5xx, or whose connection fails,
/// is sent again after a backoff; a dropped connection is resumed with a Range request
/// (checked against `Content-Range`) or, where the host ignores Range, restarted and the
/// bytes already delivered skipped. All of these share `network.retries` attempts.
pub async fn download(client: &reqwest::Client, link: &Url, network: &Network) -> Result<Download> {
    let mut attempts = 0;
    let response = loop {
        match request_download(client, link, None).await {
            Ok(response) => break response,
            Err(AttemptFailure {
                retry: Some(retry_after),
                ..
            }) if attempts < network.retries => {
                tokio::time::sleep(network.backoff(attempts, retry_after)).await;
                attempts += 1;
            }
            Err(failure) => return Err(failure.error),
        }
    };
    let content_length = response.content_length();
    if let Some(length) = content_length {
        check_size(length)?;
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
        network: network.clone(),
        body: Some(Box::pin(response.bytes_stream())),
        received: 0,
        skip: 0,
        total: content_length,
        validator,
        attempts,
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

fn check_size(length: u64) -> Result<()> {
    if length > MAX_DOWNLOAD_BYTES {
        return Err(Failure::new(
            Kind::Host,
            format!("the host sent more than {MAX_DOWNLOAD_BYTES} bytes, more than any share file"),
        )
        .hint("check the link; nothing was written")
        .into());
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
        .map_err(|err| AttemptFailure::transport("download", link, &err))?;
    let status = response.status();
    if matches!(status.as_u16(), 404 | 410) {
        return Err(AttemptFailure::fatal(
            Failure::new(
                Kind::NotFound,
                format!("the link was not found or has expired ({status})"),
            )
            .hint("tfLink keeps anonymous uploads for 7 days; ask the sender to share it again")
            .into(),
        ));
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
    client: reqwest::Client,
    link: Url,
    network: Network,
    body: Option<ByteStream>,
    /// Bytes handed on so far.
    received: u64,
    /// Bytes still to drop from a restarted (non-Range) response.
    skip: u64,
    total: Option<u64>,
    validator: Option<HeaderValue>,
    attempts: u32,
}

impl Resuming {
    async fn next_chunk(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            let body = self.body.as_mut()?;
            let failure = match body.next().await {
                Some(Ok(chunk)) => match self.accept(chunk) {
                    Ok(Some(chunk)) => return Some(Ok(chunk)),
                    Ok(None) => continue,
                    Err(err) => return Some(Err(crate::error::into_io(err))),
                },
                None if self.total.is_none_or(|total| self.received >= total) => {
                    self.body = None;
                    return None;
                }
                None => Failure::new(Kind::Host, "the download ended early").hint("try again"),
                Some(Err(err)) => {
                    match transport_error("download", &self.link, &err).downcast::<Failure>() {
                        Ok(failure) => failure,
                        Err(other) => Failure::new(Kind::Host, other.to_string()),
                    }
                }
            };
            self.body = None;
            let mut failure = anyhow::Error::from(failure);
            let mut retry_after = None;
            loop {
                if self.attempts >= self.network.retries {
                    return Some(Err(crate::error::into_io(failure)));
                }
                tokio::time::sleep(self.network.backoff(self.attempts, retry_after)).await;
                self.attempts += 1;
                match self.reopen().await {
                    Ok(()) => break,
                    Err(AttemptFailure {
                        error,
                        retry: Some(wait),
                    }) => (failure, retry_after) = (error, wait),
                    Err(AttemptFailure { error, .. }) => {
                        return Some(Err(crate::error::into_io(error)));
                    }
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
        check_size(self.received)?;
        if self.total.is_some_and(|total| self.received > total) {
            return Err(fail(Kind::Host, "the host sent more than it announced"));
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
                _ => {
                    return Err(AttemptFailure::fatal(
                        Failure::new(
                            Kind::Host,
                            "the host answered a resumed download with the wrong range",
                        )
                        .hint("try again")
                        .into(),
                    ));
                }
            }
        } else {
            // The host ignored Range and sent the whole file again.
            if response.content_length() != self.total {
                return Err(AttemptFailure::fatal(
                    Failure::new(
                        Kind::Host,
                        "the file changed on the host during the download",
                    )
                    .hint("try again")
                    .into(),
                ));
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

/// A network failure, with the underlying cause (connection refused, TLS, timeout...).
pub fn transport_error(action: &str, url: &Url, err: &reqwest::Error) -> anyhow::Error {
    let what = if err.is_timeout() {
        format!("timed out trying to {action} {}", host_of(url))
    } else {
        format!(
            "cannot {action} {}: {}",
            host_of(url),
            crate::names::untrusted(&deepest_cause(err))
        )
    };
    let hint = if is_tls_failure(err) {
        "the host's certificate is not trusted; if it uses a private CA, give it with --ca-file"
    } else {
        "check your network connection and try again"
    };
    Failure::new(Kind::Host, what).hint(hint).into()
}

/// Whether a request error may pass on its own: not a redirect refused by the policy, and
/// not a TLS failure. Both would fail the same way again.
fn is_transient(err: &reqwest::Error) -> bool {
    !(err.is_redirect() || err.is_builder() || is_tls_failure(err))
}

/// Whether a request failed in TLS: rustls reports a refused handshake or certificate as
/// an I/O error of kind `InvalidData`, possibly wrapped in another I/O error.
fn is_tls_failure(err: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::InvalidData => return true,
            // An I/O error's `source` skips the error it wraps; look inside instead.
            Some(io) => io.get_ref().map(|inner| inner as _),
            None => current.source(),
        };
    }
    false
}

/// The innermost cause of an error: the one that names the real reason.
fn deepest_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The host (and port) of a URL, for messages.
pub fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_validated() {
        let ok = br#"{"fileName":"share.age","downloadLink":"https://d.tmpfile.link/public/2026-11-22/u/share.age","downloadLinkEncoded":"x","size":1,"type":"application/octet-stream","uploadedTo":"public"}"#;
        assert_eq!(parse_reply(ok).unwrap().host_str(), Some("d.tmpfile.link"));
        for bad in [
            &b"<html>oops</html>"[..],
            br#"{"fileName":"x"}"#,
            br#"{"downloadLink":"javascript:alert(1)"}"#,
            br#"{"downloadLink":"file:///etc/passwd"}"#,
        ] {
            let err = parse_reply(bad).unwrap_err();
            assert_eq!(crate::error::kind_of(&err), Some(Kind::Host));
        }
    }

    #[test]
    fn upload_endpoint_keeps_a_base_path() {
        let base = Url::parse("http://127.0.0.1:8080/tf/").unwrap();
        assert_eq!(
            upload_endpoint(&base).as_str(),
            "http://127.0.0.1:8080/tf/api/upload"
        );
        let root = Url::parse("https://tmpfile.link").unwrap();
        assert_eq!(
            upload_endpoint(&root).as_str(),
            "https://tmpfile.link/api/upload"
        );
    }

    #[test]
    fn user_urls_must_be_http() {
        assert!(parse_user_url("ftp://x/y", "the link").is_err());
        assert!(parse_user_url("not a url", "the link").is_err());
        assert!(parse_user_url("https://d.tmpfile.link/a", "the link").is_ok());
    }

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

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let network = Network {
            connect_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            overall_timeout: Duration::from_secs(1),
            retries: 3,
            jobs: 1,
            extra_roots: Vec::new(),
        };
        let first = network.backoff(0, None);
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(750));
        let late = network.backoff(10, None);
        assert!(late >= Duration::from_secs(15) && late <= Duration::from_secs(45));
        assert_eq!(
            network.backoff(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }
}
