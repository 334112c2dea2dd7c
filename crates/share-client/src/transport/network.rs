//! Network settings and the HTTP clients built from them: timeouts, extra CA roots, the
//! redirect policies of uploads (none), downloads and parts, the backoff between attempts,
//! and turning a transport failure into one clear message.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use url::Url;

use crate::error::{Error, Result};
use crate::transport::TransportError;
use crate::transport::reach::PartRule;

/// Redirect hops followed on downloads (uploads follow none).
const MAX_REDIRECTS: usize = 5;

/// Backoff between attempts: doubling from the base, capped, with ±50 % jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// How long to wait: for a connection, for the next byte, for the whole command.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For a connection to be set up (`--connect-timeout`).
    pub connect: Duration,
    /// For the next byte while a request is under way (`--idle-timeout`).
    pub idle: Duration,
    /// For the whole command (`--timeout`).
    pub overall: Duration,
}

/// The callback that retry notices go to.
#[derive(Clone)]
struct Notices(Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notices")
    }
}

/// Network settings, resolved from the flags before any I/O.
#[derive(Debug, Clone)]
pub struct Network {
    /// [`Timeouts::connect`].
    pub connect_timeout: Duration,
    /// [`Timeouts::idle`].
    pub idle_timeout: Duration,
    /// [`Timeouts::overall`].
    pub overall_timeout: Duration,
    /// Attempts after the first, shared by an upload's or a download's retries and
    /// resumptions (`--retries`).
    pub retries: u32,
    /// Parts uploaded or fetched at once, and how far fetching may run ahead of
    /// decryption (`--jobs`).
    pub jobs: usize,
    /// Where retry notices go (the user interface's stderr reporter).
    notices: Notices,
    extra_roots: Vec<reqwest::Certificate>,
}

impl Network {
    /// Settings from plain values; `extra_roots` come from [`read_ca_file`].
    pub fn new(
        timeouts: Timeouts,
        retries: u32,
        jobs: usize,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Network {
        Network {
            connect_timeout: timeouts.connect,
            idle_timeout: timeouts.idle,
            overall_timeout: timeouts.overall,
            retries,
            jobs,
            notices: Notices(Arc::new(|_| {})),
            extra_roots,
        }
    }

    /// The same settings, announcing every retry through `notice` (one line each).
    pub fn with_notices(mut self, notice: impl Fn(&str) + Send + Sync + 'static) -> Network {
        self.notices = Notices(Arc::new(notice));
        self
    }

    /// How many certificates `--ca-file` added to the system's roots.
    pub fn extra_root_count(&self) -> usize {
        self.extra_roots.len()
    }

    /// Tells the user about a retry.
    pub(crate) fn notice(&self, text: &str) {
        (self.notices.0)(text);
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
        let resolver = crate::transport::reach::resolver_for(rule);
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
        builder
            .build()
            .map_err(|source| TransportError::ClientSetup { source }.into())
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
    if !is_web_url(next) {
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
    /// A client for `network`'s settings, not built yet.
    pub fn new(network: &Network) -> Self {
        LazyUploadClient {
            network: network.clone(),
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// The upload client ([`Network::upload_client`]), built on the first call.
    pub async fn get(&self) -> Result<&reqwest::Client> {
        self.client
            .get_or_try_init(|| async {
                let network = self.network.clone();
                tokio::task::spawn_blocking(move || network.upload_client())
                    .await
                    .map_err(|err| TransportError::ClientThread {
                        panicked: err.is_panic(),
                    })?
            })
            .await
    }
}

/// Reads the extra CA roots of `--ca-file` (exit 2 if unreadable or without certificates).
pub fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>> {
    let pem = std::fs::read(path).map_err(|source| TransportError::CaFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).unwrap_or_default();
    if roots.is_empty() {
        return Err(TransportError::CaFileEmpty {
            path: path.to_owned(),
        }
        .into());
    }
    Ok(roots)
}

/// Parses an http(s) URL given by the user (`--server`, a link): exit 2 when unusable.
/// `what` names it in the message ("the link", "--server").
pub fn parse_user_url(text: &str, what: &'static str) -> Result<Url> {
    let url = Url::parse(text.trim()).map_err(|source| match source {
        // "tmpfile.link/abc": the scheme was left out, not a broken address.
        url::ParseError::RelativeUrlWithoutBase => TransportError::NoScheme { what },
        source => TransportError::InvalidUrl { what, source },
    })?;
    if !is_web_url(&url) {
        return Err(TransportError::NotWebUrl { what }.into());
    }
    Ok(url)
}

/// Whether `url` is a web address share may request: scheme http or https, and a host.
pub fn is_web_url(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host().is_some()
}

/// A reply's body, refused (exit 6) once it grows past `limit` bytes.
pub(crate) async fn read_limited(response: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let url = response.url().clone();
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|err| transport_error("read the reply from", &url, err))?
    {
        if body.len() + chunk.len() > limit {
            return Err(TransportError::ReplyTooLarge.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
/// A network failure, with the underlying cause (connection refused, TLS, timeout...).
pub fn transport_error(action: &'static str, url: &Url, source: reqwest::Error) -> Error {
    let host = host_of(url);
    if source.is_timeout() {
        TransportError::TimedOut { action, host }
    } else if url.scheme() == "https" && is_not_tls(&source) {
        TransportError::NotTls { action, host }
    } else if is_tls_failure(&source) {
        TransportError::Tls {
            action,
            host,
            source,
        }
    } else {
        TransportError::Request {
            action,
            host,
            source,
        }
    }
    .into()
}

/// Whether a request error may pass on its own: not a redirect refused by the policy, and
/// not a TLS failure. Both would fail the same way again.
pub(crate) fn is_transient(err: &reqwest::Error) -> bool {
    !(err.is_redirect() || err.is_builder() || is_tls_failure(err))
}

/// Whether a request failed in TLS: rustls reports a refused handshake or certificate as
/// an I/O error of kind `InvalidData`, possibly wrapped in another I/O error.
pub(crate) fn is_tls_failure(err: &reqwest::Error) -> bool {
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

/// Whether a TLS handshake failed because the other end does not speak TLS: rustls
/// reports the first bytes of a plain-HTTP reply as a record of an invalid content type.
pub(crate) fn is_not_tls(err: &reqwest::Error) -> bool {
    let cause = deepest_cause(err);
    cause.contains("InvalidContentType") || cause.contains("corrupt message")
}

/// The innermost cause of an error: the one that names the real reason.
pub(crate) fn deepest_cause(err: &(dyn std::error::Error + 'static)) -> String {
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
    fn user_urls_must_be_http() {
        assert!(parse_user_url("ftp://x/y", "the link").is_err());
        assert!(parse_user_url("not a url", "the link").is_err());
        assert!(parse_user_url("https://d.tmpfile.link/a", "the link").is_ok());
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_retry_after() {
        let network = Network {
            connect_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(1),
            overall_timeout: Duration::from_secs(1),
            retries: 3,
            jobs: 1,
            notices: Notices(Arc::new(|_| {})),
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
