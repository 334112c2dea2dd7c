//! tfLink's upload protocol (<https://tmpfile.link>; what share relies on is in the README's
//! options and security model): the ciphertext streamed as the multipart field `file`
//! under a neutral name, with the account headers when given, and the JSON reply
//! validated before its link is trusted.

use bytes::Bytes;
use futures_util::Stream;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::Result;
use crate::transport::TransportError;
use crate::transport::network::{is_web_url, read_limited};
use crate::transport::retry::AttemptFailure;
use share_proto::tflink::UploadReply;
pub use share_proto::tflink::{ANONYMOUS_RETENTION, MAX_UPLOAD_BYTES, NEUTRAL_NAME};

/// The largest host reply read as JSON.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Credentials for account uploads (`X-User-Id` and `X-Auth-Token`).
#[derive(Clone)]
pub struct Account {
    /// The account's user ID, sent as `X-User-Id` (`TFLINK_USER_ID`).
    pub user_id: String,
    /// Its token, sent as `X-Auth-Token` (`TFLINK_AUTH_TOKEN`).
    pub auth_token: SecretString,
}

/// The upload endpoint under an API base URL.
pub fn upload_endpoint(server: &Url) -> Url {
    let mut endpoint = server.clone();
    let path = format!("{}/api/upload", server.path().trim_end_matches('/'));
    endpoint.set_path(&path);
    endpoint
}
/// What one upload sends: its body, its exact length, and the neutral name and type it goes by.
pub struct Upload<S> {
    /// The bytes, as a stream of chunks.
    pub body: S,
    /// Exactly how many bytes `body` yields, sent as the part's length.
    pub length: u64,
    /// The multipart filename: [`NEUTRAL_NAME`] or the index's name.
    pub name: &'static str,
    /// The multipart content type.
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
    .map_err(|source| AttemptFailure::fatal(TransportError::UploadForm { source }))?;
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
        .map_err(|err| AttemptFailure::transport("upload to", endpoint, err))?;
    let status = response.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Err(AttemptFailure::fatal(TransportError::UploadTooLarge));
    }
    if status.is_redirection() {
        return Err(AttemptFailure::fatal(TransportError::UploadRedirected {
            status,
        }));
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
/// Validates the host's reply: JSON with a `downloadLink` that is an http(s) URL.
pub fn parse_reply(reply: &[u8]) -> Result<Url> {
    let parsed: UploadReply =
        serde_json::from_slice(reply).map_err(|_| TransportError::ReplyNotJson)?;
    let link = Url::parse(&parsed.download_link).map_err(|_| TransportError::ReplyLinkNotUrl)?;
    if !is_web_url(&link) {
        return Err(TransportError::ReplyLinkNotWeb.into());
    }
    Ok(link)
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
            assert_eq!(err.kind(), crate::error::Kind::Host);
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
}
