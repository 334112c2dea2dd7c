//! The client side of a share relay (`docs/relay-api.md`): creating a share and streaming
//! its ciphertext up, recognising a relay link, viewing it without consuming anything,
//! claiming one download (a ticket), confirming completion, and the sender's management
//! calls (status, revoke). The relay's JSON errors become the documented exit codes here:
//! gone, not found and `ip_not_allowed` are 5, policy, size and key problems 2, the rest 6.
//!
//! Tokens travel only in headers, paths the relay answers itself, and POST bodies, never in
//! a query string; none of them ever appears in a message.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::Stream;
use reqwest::StatusCode;
use reqwest::header;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use share_proto::relay::{
    self as api, Claim, ClaimRequest, CreateShare, CreatedShare, ErrorBody, ErrorCode, GoneReason,
    Info, LinkView, Share,
};
use url::Url;

use crate::error::{Error, Result};
use crate::local::{LocalError, private};
use crate::transport::RelayError;
use crate::transport::network::transport_error;
use crate::transport::retry::AttemptFailure;

/// The largest JSON reply read from a relay.
const MAX_REPLY_BYTES: usize = 1024 * 1024;

/// The length of a link token: 32 bytes, base64url without padding.
const TOKEN_CHARS: usize = 43;

/// The file in a resume directory that keeps a claim's ticket for a rerun.
const TICKET_FILE: &str = "ticket.json";

/// What the sender asks of the relay for one share.
#[derive(Debug, Clone)]
pub struct ShareOptions {
    /// How long the link lives; `None` takes the relay's default.
    pub expires_in: Option<Duration>,
    /// How many downloads the link allows.
    pub max_downloads: u32,
    /// Client addresses (CIDR) that may use the link; empty for any.
    pub allow_ips: Vec<String>,
}

/// A relay a share is sent to: its base URL, the API key (from `SHARE_RELAY_KEY` or a
/// key file, never a flag value) and the sender's options.
pub struct RelayTarget {
    /// The relay's base URL (its origin, with any path prefix).
    pub base: Url,
    /// The API key; `None` for a relay that accepts anonymous uploads.
    pub key: Option<SecretString>,
    /// The link's limits.
    pub options: ShareOptions,
    created: tokio::sync::OnceCell<CreatedShare>,
}

impl RelayTarget {
    /// A target that has created nothing yet.
    pub fn new(base: Url, key: Option<SecretString>, options: ShareOptions) -> RelayTarget {
        RelayTarget {
            base,
            key,
            options,
            created: tokio::sync::OnceCell::new(),
        }
    }

    /// The share created on the relay, once an upload attempt has created it.
    pub fn created(&self) -> Option<&CreatedShare> {
        self.created.get()
    }

    /// Creates the share for `size` bytes of ciphertext, once: an upload that is retried
    /// PUTs its content again to the same share, which stays `uploading` until one completes.
    async fn create(
        &self,
        client: &reqwest::Client,
        size: u64,
    ) -> Result<&CreatedShare, AttemptFailure> {
        self.created
            .get_or_try_init(|| async {
                // A relay says so first: an address that is not one fails clearly here.
                info(client, &self.base)
                    .await
                    .map_err(AttemptFailure::fatal)?;
                let url = endpoint(&self.base, api::SHARES_PATH);
                let body = CreateShare {
                    size,
                    expires_in: self.options.expires_in.map(|wait| wait.as_secs()),
                    max_downloads: Some(self.options.max_downloads),
                    allow_ips: (!self.options.allow_ips.is_empty())
                        .then(|| self.options.allow_ips.clone()),
                };
                let mut request = client.post(url.clone()).json(&body);
                if let Some(key) = &self.key {
                    request = request.bearer_auth(key.expose_secret());
                }
                let response = request
                    .send()
                    .await
                    .map_err(|err| AttemptFailure::transport("create the share on", &url, err))?;
                let created: CreatedShare = json_reply(response, "create the share").await?;
                if leaves_the_relay(&created, &self.base) {
                    return Err(AttemptFailure::fatal(RelayError::ForeignLinks));
                }
                Ok(created)
            })
            .await
    }

    /// One upload attempt: the share is created on the first, then the ciphertext is PUT
    /// with its exact length. Returns the link.
    pub async fn upload<S>(
        &self,
        client: &reqwest::Client,
        body: S,
        length: u64,
    ) -> Result<Url, AttemptFailure>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    {
        let created = self.create(client, length).await?;
        let upload_url = parse_reply_url(&created.upload_url).map_err(AttemptFailure::fatal)?;
        let response = client
            .put(upload_url.clone())
            .bearer_auth(&created.manage_token)
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, length)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(|err| AttemptFailure::transport("upload to", &upload_url, err))?;
        if !response.status().is_success() {
            return Err(refused(response, "upload").await);
        }
        parse_reply_url(&created.link).map_err(AttemptFailure::fatal)
    }
}

/// A relay's links and URLs must stay on the relay the sender named.
fn leaves_the_relay(created: &CreatedShare, base: &Url) -> bool {
    [&created.link, &created.upload_url]
        .iter()
        .any(|text| Url::parse(text).map_or(true, |url| url.origin() != base.origin()))
}

/// Whether `link` has the shape of a relay link: `…/s/<43 base64url characters>`.
pub fn is_relay_link(link: &Url) -> bool {
    let Some(mut segments) = link.path_segments() else {
        return false;
    };
    let token = segments.next_back().unwrap_or_default();
    let marker = segments.next_back().unwrap_or_default();
    marker == "s"
        && token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        && link.query().is_none()
}

/// The relay a link belongs to: the link without its `s/<token>` tail.
pub fn relay_of(link: &Url) -> Url {
    let mut base = link.clone();
    if let Ok(mut segments) = base.path_segments_mut() {
        segments.pop().pop().push("");
    }
    base.set_fragment(None);
    base
}

/// The link token of a relay link (for the claim's POST body).
fn token_of(link: &Url) -> String {
    link.path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default()
        .to_owned()
}

/// An API path under a relay's base URL.
pub fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url.set_query(None);
    url
}

/// `GET /api/v1/info`: whether `base` is a relay, and its ceilings.
pub async fn info(client: &reqwest::Client, base: &Url) -> Result<Info> {
    let url = endpoint(base, api::INFO_PATH);
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|err| transport_error("reach the relay at", &url, err))?;
    let info: Info = json_reply(response, "describe itself")
        .await
        .map_err(|failure| failure.error)?;
    if info.relay != api::RELAY_NAME || info.version != api::API_VERSION {
        return Err(RelayError::NotARelay.into());
    }
    Ok(info)
}

/// The link's JSON view: its state, size and downloads left. Consumes nothing.
pub async fn view(client: &reqwest::Client, link: &Url) -> Result<LinkView> {
    let response = client
        .get(link.clone())
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|err| transport_error("reach", link, err))?;
    json_reply(response, "show the link")
        .await
        .map_err(|failure| failure.error)
}

/// `POST /api/v1/claims`: consumes one download and returns its ticket.
pub async fn claim(client: &reqwest::Client, link: &Url) -> Result<Claim> {
    let url = endpoint(&relay_of(link), api::CLAIMS_PATH);
    let response = client
        .post(url.clone())
        .json(&ClaimRequest {
            token: token_of(link),
        })
        .send()
        .await
        .map_err(|err| transport_error("claim the link at", &url, err))?;
    let claim: Claim = json_reply(response, "hand out the download")
        .await
        .map_err(|failure| failure.error)?;
    let content = parse_reply_url(&claim.content_url)?;
    if content.origin() != link.origin() {
        return Err(RelayError::ForeignDownload.into());
    }
    Ok(claim)
}

/// `POST /api/v1/claims/{ticket}/complete`: the receiver decrypted the share, so the relay
/// may delete the content now. A failure here changes nothing for the receiver.
pub async fn complete(client: &reqwest::Client, claim: &Claim) -> Result<()> {
    let mut url = parse_reply_url(&claim.content_url)?;
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop().push("complete");
    }
    let response = client
        .post(url.clone())
        .send()
        .await
        .map_err(|err| transport_error("confirm the download to", &url, err))?;
    if !response.status().is_success() {
        return Err(refused(response, "confirmation").await.error);
    }
    Ok(())
}

/// `GET /api/v1/shares/{id}`: the share as the relay keeps it, events included.
pub async fn status(
    client: &reqwest::Client,
    base: &Url,
    id: &str,
    manage_token: &SecretString,
) -> Result<Share> {
    let url = share_url(base, id)?;
    let response = client
        .get(url.clone())
        .bearer_auth(manage_token.expose_secret())
        .send()
        .await
        .map_err(|err| transport_error("reach the relay at", &url, err))?;
    json_reply(response, "show the share")
        .await
        .map_err(|failure| failure.error)
}

/// `DELETE /api/v1/shares/{id}`: revokes the share (idempotent).
pub async fn revoke(
    client: &reqwest::Client,
    base: &Url,
    id: &str,
    manage_token: &SecretString,
) -> Result<()> {
    let url = share_url(base, id)?;
    let response = client
        .delete(url.clone())
        .bearer_auth(manage_token.expose_secret())
        .send()
        .await
        .map_err(|err| transport_error("reach the relay at", &url, err))?;
    if !response.status().is_success() {
        return Err(refused(response, "revocation").await.error);
    }
    Ok(())
}

fn share_url(base: &Url, id: &str) -> Result<Url> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    {
        return Err(RelayError::BadShareId.into());
    }
    Ok(endpoint(base, &format!("{}/{id}", api::SHARES_PATH)))
}

/// A ticket kept in a receive's resume directory, so a rerun within the ticket window
/// downloads again without a second claim. Only this user can read it (0600 in a 0700
/// directory); it is removed once the share has been received.
pub fn save_ticket(dir: &Path, claim: &Claim) -> Result<()> {
    let path = dir.join(TICKET_FILE);
    let _ = std::fs::remove_file(&path);
    let mut text =
        serde_json::to_vec(claim).map_err(|source| RelayError::TicketEncoding { source })?;
    let written = private::create_new_file(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, &text));
    zeroize::Zeroize::zeroize(&mut text);
    written.map_err(|err| LocalError::io("write", &path, err))
}

/// The ticket a previous run kept, if it is still valid for at least a few seconds.
pub fn load_ticket(dir: &Path) -> Option<Claim> {
    let path = dir.join(TICKET_FILE);
    let file = private::open_regular_file(&path).ok()?;
    let claim: Claim = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
    let expires = humantime::parse_rfc3339_weak(&claim.ticket_expires_at).ok()?;
    let margin = SystemTime::now() + Duration::from_secs(5);
    (expires > margin).then_some(claim).or_else(|| {
        let _ = std::fs::remove_file(&path);
        None
    })
}

/// Whether a resume directory keeps a ticket worth a rerun.
pub fn holds_ticket(dir: &Path) -> bool {
    dir.join(TICKET_FILE).is_file()
}

/// Whether a reply is one of the relay's JSON errors that end the request for good (a
/// 429 or 5xx is left to the retry policy).
pub(crate) fn is_relay_error(response: &reqwest::Response) -> bool {
    let status = response.status();
    status.is_client_error()
        && status != StatusCode::TOO_MANY_REQUESTS
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"))
}

/// The error a relay's JSON error reply stands for, when a response that
/// [`is_relay_error`] is one (a JSON body of another host is not: it comes back unread).
pub(crate) async fn relay_error_from(
    response: reqwest::Response,
) -> Result<Error, reqwest::Response> {
    // Only a relay link's content is asked of a relay; other hosts keep their own replies.
    if !is_relay_link(response.url()) && !response.url().path().contains("/api/v1/claims/") {
        return Err(response);
    }
    Ok(error_from(response).await)
}

/// The error a relay's JSON error reply stands for.
pub(crate) async fn error_from(response: reqwest::Response) -> Error {
    let status = response.status();
    let body = read_limited(response).await.unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(error) => relay_error(error).into(),
        Err(_) => RelayError::RefusedStatus { status }.into(),
    }
}

/// The relay's refusal as an error with the documented exit code and advice.
fn relay_error(error: ErrorBody) -> RelayError {
    let ErrorBody {
        error: code,
        message,
        reason,
        at,
    } = error;
    match code {
        ErrorCode::Gone => gone(reason, at),
        ErrorCode::NotFound => RelayError::NoSuchLink,
        ErrorCode::IpNotAllowed => RelayError::IpNotAllowed,
        ErrorCode::Unauthorized => RelayError::Unauthorized,
        ErrorCode::Policy => RelayError::Policy { message },
        ErrorCode::TooLarge => RelayError::TooLarge { message },
        ErrorCode::BadRequest | ErrorCode::NotAge | ErrorCode::Conflict => {
            RelayError::Rejected { code, message }
        }
        ErrorCode::RateLimited | ErrorCode::Unavailable => {
            RelayError::Unavailable { code, message }
        }
    }
}

/// "This link was already used at 14:02 UTC", with what to do about it.
fn gone(reason: Option<GoneReason>, at: Option<String>) -> RelayError {
    match reason {
        Some(GoneReason::Consumed) => RelayError::Consumed { at },
        Some(GoneReason::Revoked) => RelayError::Revoked { at },
        Some(GoneReason::Expired) | None => RelayError::Expired { at },
    }
}

/// " at 14:02 UTC" for today, " on 2026-12-01 at 14:02 UTC" otherwise (from RFC 3339).
pub(crate) fn describe_time(at: &str) -> String {
    let Ok(time) = humantime::parse_rfc3339_weak(at) else {
        return String::new();
    };
    let text = humantime::format_rfc3339_seconds(time).to_string();
    let today = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let (date, clock) = (&text[..10], &text[11..16]);
    if date == &today[..10] {
        format!(" at {clock} UTC")
    } else {
        format!(" on {date} at {clock} UTC")
    }
}

/// A refused request as an attempt failure: the relay's JSON errors are final, 429 and
/// 5xx may pass when retried.
async fn refused(response: reqwest::Response, action: &'static str) -> AttemptFailure {
    if is_relay_error(&response) {
        return AttemptFailure::fatal(error_from(response).await);
    }
    let status = response.status();
    if status.is_redirection() {
        return AttemptFailure::fatal(RelayError::Redirected { action, status });
    }
    AttemptFailure::refused(action, status, response.headers())
}

/// A successful JSON reply of the relay, parsed; anything else is its error.
async fn json_reply<T: DeserializeOwned>(
    response: reqwest::Response,
    action: &'static str,
) -> Result<T, AttemptFailure> {
    if !response.status().is_success() {
        return Err(refused(response, action).await);
    }
    let body = read_limited(response)
        .await
        .map_err(AttemptFailure::fatal)?;
    serde_json::from_slice(&body)
        .map_err(|_| AttemptFailure::fatal(RelayError::UnexpectedAnswer { action }))
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>> {
    let url = response.url().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport_error("read the reply from", &url, err))?
    {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(RelayError::ReplyTooLarge.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_reply_url(text: &str) -> Result<Url> {
    Url::parse(text)
        .ok()
        .filter(crate::transport::network::is_web_url)
        .ok_or_else(|| RelayError::NotWebAddress.into())
}

/// Reads a relay credential (an API key, a manage token) from the first line of the file
/// given to `flag`: exit 2 if unreadable or empty. `what` names the credential in the hint.
pub fn read_secret_file(
    path: &Path,
    flag: &'static str,
    what: &'static str,
) -> Result<SecretString> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
        RelayError::SecretFileUnreadable {
            flag,
            path: path.to_owned(),
            credential: what,
            source,
        }
    })?);
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        return Err(RelayError::SecretFileEmpty {
            flag,
            path: path.to_owned(),
            credential: what,
        }
        .into());
    }
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_links_are_recognised_by_shape() {
        let token = "A".repeat(TOKEN_CHARS);
        let link = Url::parse(&format!("https://relay.example/s/{token}")).unwrap();
        assert!(is_relay_link(&link));
        assert_eq!(relay_of(&link).as_str(), "https://relay.example/");
        let prefixed = Url::parse(&format!("https://x.example/relay/s/{token}")).unwrap();
        assert_eq!(relay_of(&prefixed).as_str(), "https://x.example/relay/");
        assert_eq!(
            endpoint(&relay_of(&prefixed), api::CLAIMS_PATH).as_str(),
            "https://x.example/relay/api/v1/claims"
        );
        for other in [
            "https://d.tmpfile.link/public/2026-11-22/u/share.age".to_owned(),
            format!("https://relay.example/s/{}", "A".repeat(42)),
            format!("https://relay.example/x/{token}"),
            format!("https://relay.example/s/{token}?x=1"),
        ] {
            assert!(!is_relay_link(&Url::parse(&other).unwrap()), "{other}");
        }
    }

    #[test]
    fn gone_reasons_say_what_happened_and_when() {
        let today = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let at = format!("{}14:02:00Z", &today[..11]);
        let text = gone(Some(GoneReason::Consumed), Some(at)).to_string();
        assert_eq!(text, "this link was already used at 14:02 UTC");
        assert_eq!(
            gone(
                Some(GoneReason::Revoked),
                Some("2020-01-02T03:04:05Z".to_owned())
            )
            .to_string(),
            "the sender revoked this link on 2020-01-02 at 03:04 UTC"
        );
    }
}
