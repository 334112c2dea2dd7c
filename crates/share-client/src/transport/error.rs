//! The failures of `transport/`: [`TransportError`] for the network, the addresses the
//! user gives, downloads and a tfLink-compatible host (mostly exit 6; a link that is gone
//! is 5, a bad address 2), and [`RelayError`] for what a share relay refuses or answers
//! (`docs/relay-api.md`: gone, not found and `ip_not_allowed` are 5, policy, size and key
//! problems 2, the rest 6).
//!
//! Hosts' texts (a library's description of a failed connection, a relay's `message`) are
//! theirs: cut when untrusted, escaped where the line is printed. No token ever appears.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use reqwest::StatusCode;
use share_proto::relay::ErrorCode;

use crate::error::{Catalogued, Kind, REPORT_BUG, io_text};
use crate::payload::names::untrusted;
use crate::transport::network::deepest_cause;
use crate::transport::relay::describe_time;

const CHECK_NETWORK: &str = "check your network connection and try again";
const NOT_TFLINK: &str =
    "check that the host is a tfLink-compatible API (--server); nothing was shared";
const NOT_A_RELAY: &str = "check that the address is a share relay";

/// A request that failed, an address that cannot be used, or a host that misbehaved.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(TransportErrorVariant),
    doc = "The variants of [`TransportError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum TransportError {
    /// reqwest could not build an HTTP client (TLS set-up, certificates).
    #[error("cannot set up the HTTP client: {}", deepest_cause(.source))]
    ClientSetup {
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// The thread building the upload client did not finish.
    #[error(
        "cannot set up the HTTP client: the thread building it {}",
        if *.panicked { "panicked" } else { "was cancelled" }
    )]
    ClientThread {
        /// Whether it panicked (rather than being cancelled).
        panicked: bool,
    },
    /// `--ca-file` could not be read.
    #[error("cannot read --ca-file {}: {}", .path.display(), io_text(.source))]
    CaFileUnreadable {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// `--ca-file` holds no certificate.
    #[error("--ca-file {} holds no PEM certificate", .path.display())]
    CaFileEmpty {
        /// The file.
        path: PathBuf,
    },
    /// An address given by the user that is not a URL.
    #[error("{what} is not a valid URL: {source}")]
    InvalidUrl {
        /// What the address was given as ("the link", "--server", …).
        what: &'static str,
        /// The parser's error.
        source: url::ParseError,
    },
    /// An address given by the user that is not http(s).
    #[error("{what} does not start with http:// or https://")]
    NoScheme {
        /// Where the address came from ("the link", "--server", "SHARE_SERVER").
        what: &'static str,
    },
    /// An address of another scheme than http or https, or without a host.
    #[error("{what} must be an http:// or https:// address")]
    NotWebUrl {
        /// What the address was given as.
        what: &'static str,
    },
    /// The request timed out (`--connect-timeout`, `--idle-timeout`).
    #[error("timed out trying to {action} {host}")]
    TimedOut {
        /// What was being done ("download", "upload to", …).
        action: &'static str,
        /// The host (and port).
        host: String,
    },
    /// The request failed before a reply (refused, reset, a failed name lookup).
    #[error("cannot {action} {host}: {}", untrusted(&deepest_cause(.source)))]
    Request {
        /// What was being done.
        action: &'static str,
        /// The host (and port).
        host: String,
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// The TLS handshake failed, or the host's certificate is not trusted.
    #[error("cannot {action} {host}: it does not answer TLS there (a plain-HTTP server?)")]
    NotTls {
        /// What was being done ("upload to", "download", …).
        action: &'static str,
        /// The host and port.
        host: String,
    },
    /// A TLS failure: the certificate is not trusted, or the handshake failed.
    #[error("cannot {action} {host}: {}", untrusted(&deepest_cause(.source)))]
    Tls {
        /// What was being done.
        action: &'static str,
        /// The host (and port).
        host: String,
        /// reqwest's error.
        source: reqwest::Error,
    },
    /// A reply larger than the upload reply it should be.
    #[error("the host's reply is too large to be an upload reply")]
    ReplyTooLarge,
    /// A download larger than any share (or than the share announced).
    #[error("the host sent more than {limit} bytes, more than the share holds")]
    TooLarge {
        /// The most bytes accepted.
        limit: u64,
    },
    /// 404 or 410: the link is gone.
    #[error("the link was not found or has expired ({status})")]
    NotFound {
        /// The status.
        status: StatusCode,
    },
    /// The download ended before its announced length, and no retry was left.
    #[error("the download ended early")]
    EndedEarly,
    /// The host sent more bytes than its `Content-Length`.
    #[error("the host sent more than it announced")]
    MoreThanAnnounced,
    /// A resumed download answered with another range than asked for.
    #[error("the host answered a resumed download with the wrong range")]
    WrongRange,
    /// A restarted download of a different length.
    #[error("the file changed on the host during the download")]
    ChangedOnHost,
    /// The host refused a request with an error status.
    #[error("the host refused the {action} ({status})")]
    Refused {
        /// What was refused ("upload", "download", …).
        action: &'static str,
        /// The status.
        status: StatusCode,
    },
    /// 413 from a tfLink-compatible host.
    #[error("the host refused the upload as too large (413)")]
    UploadTooLarge,
    /// An upload answered with a redirect (uploads never follow one).
    #[error("the host redirected the upload ({status})")]
    UploadRedirected {
        /// The status.
        status: StatusCode,
    },
    /// An upload reply that is not tfLink's JSON.
    #[error("the host's reply was unusable: not the expected JSON")]
    ReplyNotJson,
    /// An upload reply whose `downloadLink` is not a URL.
    #[error("the host's reply was unusable: downloadLink is not a URL")]
    ReplyLinkNotUrl,
    /// An upload reply whose `downloadLink` is not http(s).
    #[error("the host's reply was unusable: downloadLink is not an http(s) URL")]
    ReplyLinkNotWeb,
    /// reqwest refused to build the upload's form.
    #[error("cannot build the upload: {}", deepest_cause(.source))]
    UploadForm {
        /// reqwest's error.
        source: reqwest::Error,
    },
}

impl TransportError {
    /// Whether the host failed in a way another host may not: it cannot be reached, it
    /// timed out, it answered 5xx or 429 (after the retries), 413, or a reply that is
    /// not a usable upload reply. Refusals of the request itself (other 4xx) and every
    /// local or usage problem would fail the same way anywhere.
    pub fn host_unusable(&self) -> bool {
        match self {
            TransportError::TimedOut { .. }
            | TransportError::Request { .. }
            | TransportError::NotTls { .. }
            | TransportError::Tls { .. }
            | TransportError::ReplyTooLarge
            | TransportError::UploadTooLarge
            | TransportError::UploadRedirected { .. }
            | TransportError::ReplyNotJson
            | TransportError::ReplyLinkNotUrl
            | TransportError::ReplyLinkNotWeb => true,
            TransportError::Refused { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            _ => false,
        }
    }

    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            TransportError::ClientSetup { .. }
            | TransportError::ClientThread { .. }
            | TransportError::UploadForm { .. } => Kind::Internal,
            TransportError::CaFileUnreadable { .. }
            | TransportError::CaFileEmpty { .. }
            | TransportError::InvalidUrl { .. }
            | TransportError::NoScheme { .. }
            | TransportError::NotWebUrl { .. } => Kind::Usage,
            TransportError::NotFound { .. } => Kind::NotFound,
            TransportError::TimedOut { .. }
            | TransportError::Request { .. }
            | TransportError::NotTls { .. }
            | TransportError::Tls { .. }
            | TransportError::ReplyTooLarge
            | TransportError::TooLarge { .. }
            | TransportError::EndedEarly
            | TransportError::MoreThanAnnounced
            | TransportError::WrongRange
            | TransportError::ChangedOnHost
            | TransportError::Refused { .. }
            | TransportError::UploadTooLarge
            | TransportError::UploadRedirected { .. }
            | TransportError::ReplyNotJson
            | TransportError::ReplyLinkNotUrl
            | TransportError::ReplyLinkNotWeb => Kind::Host,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            TransportError::ClientSetup { .. } => {
                "check the certificates given with --ca-file, and try again".into()
            }
            TransportError::ClientThread { .. } | TransportError::UploadForm { .. } => {
                REPORT_BUG.into()
            }
            TransportError::CaFileUnreadable { .. } | TransportError::CaFileEmpty { .. } => {
                "give a PEM file with one or more CA certificates".into()
            }
            TransportError::InvalidUrl { what, .. } | TransportError::NotWebUrl { what } => {
                format!("give {what} a full http:// or https:// address").into()
            }
            TransportError::NoScheme { what: "the link" } => {
                "copy the whole link printed by `share send`, https:// included".into()
            }
            TransportError::NoScheme { what } => {
                format!("give {what} the whole address, with https:// (or http://) in front")
                    .into()
            }
            TransportError::NotTls { .. } => {
                "use http:// for a server without TLS, or check the port".into()
            }
            TransportError::TimedOut { .. } | TransportError::Request { .. } => {
                CHECK_NETWORK.into()
            }
            TransportError::Tls { .. } => {
                "the host's certificate is not trusted; if it uses a private CA, give it with --ca-file".into()
            }
            TransportError::ReplyTooLarge => NOT_TFLINK.into(),
            TransportError::TooLarge { .. } => "check the link; nothing was written".into(),
            TransportError::NotFound { .. } => {
                "check that you copied the whole link; tfLink keeps anonymous uploads for 7 days, so an older link is gone: ask the sender to share it again".into()
            }
            TransportError::EndedEarly
            | TransportError::WrongRange
            | TransportError::ChangedOnHost => "try again".into(),
            TransportError::MoreThanAnnounced => {
                "nothing was written; try again, and check the link if it keeps happening".into()
            }
            TransportError::Refused { status, .. }
                if status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS =>
            {
                "try again later".into()
            }
            TransportError::Refused { .. } => {
                "check the host's address: it must be a tfLink-compatible API base".into()
            }
            TransportError::UploadTooLarge => "tfLink accepts at most 100 MB per file".into(),
            TransportError::UploadRedirected { .. } => {
                "give the final address of the API (--server); uploads never follow redirects"
                    .into()
            }
            TransportError::ReplyNotJson
            | TransportError::ReplyLinkNotUrl
            | TransportError::ReplyLinkNotWeb => NOT_TFLINK.into(),
        }
    }
}

/// A reqwest error for the catalogue's samples: building a request to an address that
/// is not a URL fails without any I/O.
fn sample_reqwest_error() -> reqwest::Error {
    reqwest::Client::new()
        .get("http://exa mple.org/")
        .build()
        .expect_err("not a URL")
}

impl Catalogued for TransportError {
    const NAME: &'static str = "TransportError";
    type Variant = TransportErrorVariant;

    fn sample(variant: TransportErrorVariant) -> Self {
        let host = || "tmpfile.link".to_owned();
        match variant {
            TransportErrorVariant::ClientSetup => TransportError::ClientSetup {
                source: sample_reqwest_error(),
            },
            TransportErrorVariant::ClientThread => TransportError::ClientThread { panicked: true },
            TransportErrorVariant::CaFileUnreadable => TransportError::CaFileUnreadable {
                path: PathBuf::from("/home/me/ca.pem"),
                source: io::Error::new(io::ErrorKind::NotFound, "No such file or directory"),
            },
            TransportErrorVariant::CaFileEmpty => TransportError::CaFileEmpty {
                path: PathBuf::from("/home/me/ca.pem"),
            },
            TransportErrorVariant::InvalidUrl => TransportError::InvalidUrl {
                what: "the link",
                source: url::ParseError::InvalidPort,
            },
            TransportErrorVariant::NoScheme => TransportError::NoScheme { what: "the link" },
            TransportErrorVariant::NotWebUrl => TransportError::NotWebUrl { what: "--server" },
            TransportErrorVariant::TimedOut => TransportError::TimedOut {
                action: "upload to",
                host: host(),
            },
            TransportErrorVariant::Request => TransportError::Request {
                action: "download",
                host: host(),
                source: sample_reqwest_error(),
            },
            TransportErrorVariant::NotTls => TransportError::NotTls {
                action: "upload to",
                host: "127.0.0.1:8080".to_owned(),
            },
            TransportErrorVariant::Tls => TransportError::Tls {
                action: "upload to",
                host: host(),
                source: sample_reqwest_error(),
            },
            TransportErrorVariant::ReplyTooLarge => TransportError::ReplyTooLarge,
            TransportErrorVariant::TooLarge => TransportError::TooLarge { limit: 134_217_728 },
            TransportErrorVariant::NotFound => TransportError::NotFound {
                status: StatusCode::NOT_FOUND,
            },
            TransportErrorVariant::EndedEarly => TransportError::EndedEarly,
            TransportErrorVariant::MoreThanAnnounced => TransportError::MoreThanAnnounced,
            TransportErrorVariant::WrongRange => TransportError::WrongRange,
            TransportErrorVariant::ChangedOnHost => TransportError::ChangedOnHost,
            TransportErrorVariant::Refused => TransportError::Refused {
                action: "upload",
                status: StatusCode::SERVICE_UNAVAILABLE,
            },
            TransportErrorVariant::UploadTooLarge => TransportError::UploadTooLarge,
            TransportErrorVariant::UploadRedirected => TransportError::UploadRedirected {
                status: StatusCode::MOVED_PERMANENTLY,
            },
            TransportErrorVariant::ReplyNotJson => TransportError::ReplyNotJson,
            TransportErrorVariant::ReplyLinkNotUrl => TransportError::ReplyLinkNotUrl,
            TransportErrorVariant::ReplyLinkNotWeb => TransportError::ReplyLinkNotWeb,
            TransportErrorVariant::UploadForm => TransportError::UploadForm {
                source: sample_reqwest_error(),
            },
        }
    }

    fn variant(&self) -> TransportErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        TransportError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        TransportError::hint(self)
    }
}

/// " at 14:02 UTC", " on 2026-12-01 at 14:02 UTC", or nothing when the relay said no time.
fn when(at: &Option<String>) -> String {
    at.as_deref().map(describe_time).unwrap_or_default()
}

/// What a share relay refused, or an answer of it that cannot be used.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(RelayErrorVariant),
    doc = "The variants of [`RelayError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum RelayError {
    /// `--relay` names something that does not describe itself as a share relay.
    #[error("the address given as --relay is not a share relay")]
    NotARelay,
    /// A share id with characters no relay id has.
    #[error("that is not a share id")]
    BadShareId,
    /// The link's downloads are used up.
    #[error("this link was already used{}", when(.at))]
    Consumed {
        /// When (RFC 3339), if the relay said.
        at: Option<String>,
    },
    /// The sender revoked the link.
    #[error("the sender revoked this link{}", when(.at))]
    Revoked {
        /// When (RFC 3339), if the relay said.
        at: Option<String>,
    },
    /// The link expired.
    #[error("this link expired{}", when(.at))]
    Expired {
        /// When (RFC 3339), if the relay said.
        at: Option<String>,
    },
    /// The relay has no such link or share.
    #[error("the relay has no such link or share")]
    NoSuchLink,
    /// The link is bound to other client addresses.
    #[error("this link may not be used from your network address")]
    IpNotAllowed,
    /// The API key or the manage token was refused.
    #[error("the relay refused the credentials")]
    Unauthorized,
    /// The share's limits are beyond the relay's ceilings.
    #[error("the relay refused the share's limits: {message}")]
    Policy {
        /// The relay's explanation.
        message: String,
    },
    /// The share is larger than the relay accepts.
    #[error("the relay refused the share as too large: {message}")]
    TooLarge {
        /// The relay's explanation.
        message: String,
    },
    /// A request the relay found wrong (bad request, not age, conflict).
    #[error("the relay refused the request: {message}")]
    Rejected {
        /// The relay's error code.
        code: ErrorCode,
        /// The relay's explanation.
        message: String,
    },
    /// The relay is rate limiting or unavailable.
    #[error("the relay is not available: {message}")]
    Unavailable {
        /// The relay's error code.
        code: ErrorCode,
        /// The relay's explanation.
        message: String,
    },
    /// A refusal without the relay's JSON error body.
    #[error("the relay refused the request ({status})")]
    RefusedStatus {
        /// The status.
        status: StatusCode,
    },
    /// An API call answered with a redirect (never followed).
    #[error("the relay redirected the {action} ({status})")]
    Redirected {
        /// What was redirected ("upload", "revocation", …).
        action: &'static str,
        /// The status.
        status: StatusCode,
    },
    /// A created share whose links lead off the relay.
    #[error("the relay's reply is unusable: its links are not its own")]
    ForeignLinks,
    /// A claim whose download is on another origin than the link.
    #[error("the relay's reply is unusable: its download is not on the relay of the link")]
    ForeignDownload,
    /// A reply that is not the JSON a relay sends.
    #[error(
        "the relay's reply is unusable: its answer to \"{action}\" is not what a share relay sends"
    )]
    UnexpectedAnswer {
        /// What was asked ("create the share", …).
        action: &'static str,
    },
    /// A reply larger than any a relay sends.
    #[error("the relay's reply is unusable: its reply is too large")]
    ReplyTooLarge,
    /// A reply with an address that is not http(s).
    #[error("the relay's reply is unusable: it sent an address that is not http(s)")]
    NotWebAddress,
    /// A credential file that cannot be read.
    #[error("cannot read {flag} {}: {}", .path.display(), io_text(.source))]
    SecretFileUnreadable {
        /// The flag it was given to.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What it should hold ("the relay's API key", …).
        credential: &'static str,
        /// The system's error.
        source: io::Error,
    },
    /// A credential file whose first line is empty.
    #[error("{flag} {} is empty", .path.display())]
    SecretFileEmpty {
        /// The flag it was given to.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What it should hold.
        credential: &'static str,
    },
    /// A claim's ticket could not be written as JSON.
    #[error("cannot keep the download ticket: {source}")]
    TicketEncoding {
        /// serde's error.
        source: serde_json::Error,
    },
}

impl RelayError {
    /// Whether the relay failed in a way another relay may not (see
    /// [`TransportError::host_unusable`]): not a relay, unavailable or rate limiting, a
    /// 5xx or 429 without the relay's error body, a redirect, or an unusable reply.
    pub fn host_unusable(&self) -> bool {
        match self {
            RelayError::NotARelay
            | RelayError::Unavailable { .. }
            | RelayError::Redirected { .. }
            | RelayError::ForeignLinks
            | RelayError::UnexpectedAnswer { .. }
            | RelayError::ReplyTooLarge
            | RelayError::NotWebAddress => true,
            RelayError::RefusedStatus { status } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
            _ => false,
        }
    }

    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            RelayError::NotARelay
            | RelayError::BadShareId
            | RelayError::Unauthorized
            | RelayError::Policy { .. }
            | RelayError::TooLarge { .. }
            | RelayError::SecretFileUnreadable { .. }
            | RelayError::SecretFileEmpty { .. } => Kind::Usage,
            RelayError::Consumed { .. }
            | RelayError::Revoked { .. }
            | RelayError::Expired { .. }
            | RelayError::NoSuchLink
            | RelayError::IpNotAllowed => Kind::NotFound,
            RelayError::Rejected { .. }
            | RelayError::Unavailable { .. }
            | RelayError::RefusedStatus { .. }
            | RelayError::Redirected { .. }
            | RelayError::ForeignLinks
            | RelayError::ForeignDownload
            | RelayError::UnexpectedAnswer { .. }
            | RelayError::ReplyTooLarge
            | RelayError::NotWebAddress => Kind::Host,
            RelayError::TicketEncoding { .. } => Kind::Internal,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            RelayError::NotARelay => "check the relay's address with whoever runs it".into(),
            RelayError::BadShareId => "give the link, or the id that `share list` shows".into(),
            RelayError::Consumed { .. } => "if that was not you, tell the sender".into(),
            RelayError::Revoked { .. } => {
                "ask the sender for a new one if you still need it".into()
            }
            RelayError::Expired { .. } => "ask the sender to share it again".into(),
            RelayError::NoSuchLink => {
                "check that the whole link was copied; a link whose upload never finished is not there either".into()
            }
            RelayError::IpNotAllowed => "the sender bound it to other addresses; ask them".into(),
            RelayError::Unauthorized => {
                "check SHARE_RELAY_KEY (or --relay-key-file), or the manage token".into()
            }
            RelayError::Policy { .. } => {
                "ask for a shorter expiry or fewer downloads (the relay's ceilings are at /api/v1/info)".into()
            }
            RelayError::TooLarge { .. } => {
                "send less at once, or ask the relay's operator for a higher --max-size".into()
            }
            RelayError::Rejected { .. } => {
                "nothing was shared; try again, and report it if it keeps happening".into()
            }
            RelayError::Unavailable { .. } | RelayError::RefusedStatus { .. } => {
                "try again later".into()
            }
            RelayError::Redirected { .. } => {
                "give --relay the relay's final address; share does not follow redirects there".into()
            }
            RelayError::ForeignLinks
            | RelayError::ForeignDownload
            | RelayError::UnexpectedAnswer { .. }
            | RelayError::ReplyTooLarge
            | RelayError::NotWebAddress => NOT_A_RELAY.into(),
            RelayError::SecretFileUnreadable { credential, .. }
            | RelayError::SecretFileEmpty { credential, .. } => {
                format!("give a file whose first line is {credential}").into()
            }
            RelayError::TicketEncoding { .. } => REPORT_BUG.into(),
        }
    }
}

impl Catalogued for RelayError {
    const NAME: &'static str = "RelayError";
    type Variant = RelayErrorVariant;

    fn sample(variant: RelayErrorVariant) -> Self {
        // A day long past, so the sample's wording does not depend on today's date.
        let at = || Some("2020-01-02T03:04:05Z".to_owned());
        let key_file = || PathBuf::from("/home/me/relay.key");
        match variant {
            RelayErrorVariant::NotARelay => RelayError::NotARelay,
            RelayErrorVariant::BadShareId => RelayError::BadShareId,
            RelayErrorVariant::Consumed => RelayError::Consumed { at: at() },
            RelayErrorVariant::Revoked => RelayError::Revoked { at: at() },
            RelayErrorVariant::Expired => RelayError::Expired { at: None },
            RelayErrorVariant::NoSuchLink => RelayError::NoSuchLink,
            RelayErrorVariant::IpNotAllowed => RelayError::IpNotAllowed,
            RelayErrorVariant::Unauthorized => RelayError::Unauthorized,
            RelayErrorVariant::Policy => RelayError::Policy {
                message: "expires_in is above the relay's ceiling of 30 days".to_owned(),
            },
            RelayErrorVariant::TooLarge => RelayError::TooLarge {
                message: "the relay stores at most 5 GB per share".to_owned(),
            },
            RelayErrorVariant::Rejected => RelayError::Rejected {
                code: ErrorCode::NotAge,
                message: "the content is not an age file".to_owned(),
            },
            RelayErrorVariant::Unavailable => RelayError::Unavailable {
                code: ErrorCode::Unavailable,
                message: "the store is unavailable".to_owned(),
            },
            RelayErrorVariant::RefusedStatus => RelayError::RefusedStatus {
                status: StatusCode::FORBIDDEN,
            },
            RelayErrorVariant::Redirected => RelayError::Redirected {
                action: "upload",
                status: StatusCode::FOUND,
            },
            RelayErrorVariant::ForeignLinks => RelayError::ForeignLinks,
            RelayErrorVariant::ForeignDownload => RelayError::ForeignDownload,
            RelayErrorVariant::UnexpectedAnswer => RelayError::UnexpectedAnswer {
                action: "create the share",
            },
            RelayErrorVariant::ReplyTooLarge => RelayError::ReplyTooLarge,
            RelayErrorVariant::NotWebAddress => RelayError::NotWebAddress,
            RelayErrorVariant::SecretFileUnreadable => RelayError::SecretFileUnreadable {
                flag: "--relay-key-file",
                path: key_file(),
                credential: "the relay's API key",
                source: io::Error::new(io::ErrorKind::PermissionDenied, "Permission denied"),
            },
            RelayErrorVariant::SecretFileEmpty => RelayError::SecretFileEmpty {
                flag: "--relay-key-file",
                path: key_file(),
                credential: "the relay's API key",
            },
            RelayErrorVariant::TicketEncoding => RelayError::TicketEncoding {
                source: serde_json::from_str::<u8>("x").expect_err("not JSON"),
            },
        }
    }

    fn variant(&self) -> RelayErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        RelayError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        RelayError::hint(self)
    }
}
