//! The HTTP protocol of tfLink-compatible hosts: uploading a ciphertext stream as the
//! multipart field `file` under a neutral name, validating the host's JSON reply, and
//! downloading a link as a byte stream. Status codes become the documented exit codes here.

use std::time::Duration;

use anyhow::Result;
use futures_util::{Stream, TryStreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::error::{Failure, Kind, fail};

/// tfLink's per-file limit, "100 MB", read conservatively as 10^8 bytes.
pub const MAX_UPLOAD_BYTES: u64 = 100_000_000;

/// How long anonymous uploads are kept by tfLink.
pub const ANONYMOUS_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The multipart filename of every upload: it becomes the link's last segment, so it
/// must say nothing about what is inside.
pub const NEUTRAL_NAME: &str = "share.age";

/// The largest host reply read as JSON.
const MAX_REPLY_BYTES: usize = 64 * 1024;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

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

/// An HTTP client with the settings every request uses.
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("share/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|err| anyhow::anyhow!("cannot set up the HTTP client: {err}"))
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

/// Uploads `length` bytes from `body` and returns the download link from the host's reply.
pub async fn upload<S>(
    client: &reqwest::Client,
    endpoint: &Url,
    body: S,
    length: u64,
    account: Option<&Account>,
) -> Result<Url>
where
    S: Stream<Item = std::io::Result<bytes::Bytes>> + Send + Sync + 'static,
{
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(body), length)
            .file_name(NEUTRAL_NAME)
            .mime_str("application/octet-stream")?;
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
        .map_err(|err| transport_error("upload to", endpoint, &err))?;
    let status = response.status();
    if status == reqwest::StatusCode::PAYLOAD_TOO_LARGE {
        return Err(
            Failure::new(Kind::Host, "the host refused the upload as too large (413)")
                .hint("tfLink accepts at most 100 MB per file")
                .into(),
        );
    }
    if !status.is_success() {
        return Err(Failure::new(
            Kind::Host,
            format!("the host refused the upload ({status})"),
        )
        .hint("try again later")
        .into());
    }
    let reply = read_limited(response, MAX_REPLY_BYTES).await?;
    parse_reply(&reply)
}

/// Validates the host's reply: JSON with a `downloadLink` that is an http(s) URL.
fn parse_reply(reply: &[u8]) -> Result<Url> {
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

/// Starts downloading a link; a success status returns the response to stream from.
pub async fn download(client: &reqwest::Client, link: &Url) -> Result<reqwest::Response> {
    let response = client
        .get(link.clone())
        .send()
        .await
        .map_err(|err| transport_error("download", link, &err))?;
    let status = response.status();
    if matches!(status.as_u16(), 404 | 410) {
        return Err(Failure::new(
            Kind::NotFound,
            format!("the link was not found or has expired ({status})"),
        )
        .hint("tfLink keeps anonymous uploads for 7 days; ask the sender to share it again")
        .into());
    }
    if !status.is_success() {
        return Err(Failure::new(
            Kind::Host,
            format!("the host refused the download ({status})"),
        )
        .hint("try again later")
        .into());
    }
    Ok(response)
}

/// A network failure, with the underlying cause (connection refused, TLS, timeout...).
pub fn transport_error(action: &str, url: &Url, err: &reqwest::Error) -> anyhow::Error {
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let cause = causes.last().cloned().unwrap_or_else(|| err.to_string());
    let what = if err.is_timeout() {
        format!("timed out trying to {action} {}", host_of(url))
    } else {
        format!("cannot {action} {}: {cause}", host_of(url))
    };
    Failure::new(Kind::Host, what)
        .hint("check your network connection and try again")
        .into()
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
}
