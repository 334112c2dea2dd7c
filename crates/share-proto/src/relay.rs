//! The relay's HTTP API as plain data: request bodies, replies, the error envelope and its
//! codes, the share and event objects, and the info document a client uses to recognise a
//! relay. The contract these types follow is `docs/relay-api.md` (the relay contract); their
//! JSON names are that contract and must not change.
//!
//! Timestamps are RFC 3339 strings in UTC (`2026-11-01T14:02:00Z`); sizes are bytes;
//! durations are whole seconds.

use serde::{Deserialize, Serialize};

/// The API version the relay speaks, `"version"` in [`Info`] and [`LinkView`].
pub const API_VERSION: u32 = 1;

/// The value of `"relay"` in [`Info`].
pub const RELAY_NAME: &str = "share-relay";

/// The first line of every age file, which every upload must begin with.
pub const AGE_HEADER: &[u8] = b"age-encryption.org/v1\n";

/// Prefix of relay API keys (`sr_` + 43 base64url characters).
pub const API_KEY_PREFIX: &str = "sr_";

/// Path of the info document.
pub const INFO_PATH: &str = "/api/v1/info";
/// Path that creates shares (`POST`).
pub const SHARES_PATH: &str = "/api/v1/shares";
/// Path that claims a link (`POST`).
pub const CLAIMS_PATH: &str = "/api/v1/claims";
/// Prefix of link paths: a link is `<public url>/s/<link token>`.
pub const LINK_PREFIX: &str = "/s/";

/// An error code of the relay API, with the HTTP status it is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a malformed request.
    BadRequest,
    /// 400: an upload that does not start with the age header; nothing is stored.
    NotAge,
    /// 400: expiry, download limit or size above the relay's ceilings (never clamped).
    Policy,
    /// 401: a missing or wrong API key or manage token.
    Unauthorized,
    /// 403: the share is bound to addresses that do not include the client's.
    IpNotAllowed,
    /// 404: no such link, share or ticket.
    NotFound,
    /// 409: content uploaded twice.
    Conflict,
    /// 410: the share was consumed, expired or revoked (see [`GoneReason`]).
    Gone,
    /// 413: over the relay's maximum size, or more bytes than declared.
    TooLarge,
    /// 429: too many link views or claims from one address; see `Retry-After`.
    RateLimited,
    /// 503: the database or the storage does not answer.
    Unavailable,
}

impl ErrorCode {
    /// Every code, in the order of the contract's table.
    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::BadRequest,
        ErrorCode::NotAge,
        ErrorCode::Policy,
        ErrorCode::Unauthorized,
        ErrorCode::IpNotAllowed,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::Gone,
        ErrorCode::TooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
    ];

    /// The code as it appears in `"error"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotAge => "not_age",
            ErrorCode::Policy => "policy",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::IpNotAllowed => "ip_not_allowed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Gone => "gone",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status the code is sent with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::NotAge | ErrorCode::Policy => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::IpNotAllowed => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Gone => 410,
            ErrorCode::TooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a share is gone (`"reason"` of a `gone` error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoneReason {
    /// Every download was claimed.
    Consumed,
    /// The share's expiry passed.
    Expired,
    /// The sender or the operator revoked it.
    Revoked,
}

impl GoneReason {
    /// The reason as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            GoneReason::Consumed => "consumed",
            GoneReason::Expired => "expired",
            GoneReason::Revoked => "revoked",
        }
    }
}

/// The body of every error reply: `{"error", "message"}`, plus `"reason"` and `"at"` for
/// `gone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The machine-readable code.
    pub error: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// For `gone`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<GoneReason>,
    /// For `gone`: when that happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// `GET /api/v1/info`: how a client recognises a relay and learns its ceilings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// Always [`API_VERSION`].
    pub version: u32,
    /// Always [`RELAY_NAME`].
    pub relay: String,
    /// Largest share accepted, in bytes of ciphertext.
    pub max_size: u64,
    /// Expiry of a share created without `expires_in`.
    pub default_expiry_seconds: u64,
    /// Largest `expires_in` accepted.
    pub max_expiry_seconds: u64,
    /// Largest `max_downloads` accepted.
    pub max_downloads: u32,
    /// Whether shares may be created without an API key.
    pub anonymous: bool,
}

/// `POST /api/v1/shares` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateShare {
    /// Exact size of the ciphertext that will be uploaded, in bytes.
    pub size: u64,
    /// Seconds until the link expires; the relay's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// How many receivers may claim the link; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<u32>,
    /// Addresses (CIDR or single IPs) allowed to view, claim and fetch; anyone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_ips: Option<Vec<String>>,
}

/// `201` reply to `POST /api/v1/shares`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShare {
    /// The share's id (not a secret).
    pub id: String,
    /// The link to hand to the receiver: `<public url>/s/<link token>`.
    pub link: String,
    /// The secret that uploads, inspects and revokes this share; shown only here.
    pub manage_token: String,
    /// Absolute URL to `PUT` the ciphertext to.
    pub upload_url: String,
    /// When the link expires (RFC 3339).
    pub expires_at: String,
    /// How many downloads the link allows.
    pub max_downloads: u32,
    /// The normalised address ranges the share is bound to (empty: anyone).
    pub allow_ips: Vec<String>,
}

/// The state of a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Created; its content is not (completely) uploaded yet. Its link answers `not_found`.
    Uploading,
    /// Uploaded and claimable.
    Available,
    /// Every download was claimed.
    Consumed,
    /// Its expiry passed.
    Expired,
    /// Revoked by the sender or the operator.
    Revoked,
}

impl ShareState {
    /// The state as it appears in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareState::Uploading => "uploading",
            ShareState::Available => "available",
            ShareState::Consumed => "consumed",
            ShareState::Expired => "expired",
            ShareState::Revoked => "revoked",
        }
    }

    /// Parses [`ShareState::as_str`] back.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "uploading" => ShareState::Uploading,
            "available" => ShareState::Available,
            "consumed" => ShareState::Consumed,
            "expired" => ShareState::Expired,
            "revoked" => ShareState::Revoked,
            _ => return None,
        })
    }

    /// Whether the share has ended (consumed, expired or revoked).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ShareState::Consumed | ShareState::Expired | ShareState::Revoked
        )
    }
}

/// `GET /s/{token}` with `Accept: application/json`: what a receiver learns before claiming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    /// Always [`API_VERSION`].
    pub version: u32,
    /// The share's id.
    pub id: String,
    /// Always `available` (other states answer with an error).
    pub state: ShareState,
    /// Size of the ciphertext in bytes.
    pub size: u64,
    /// When the link expires (RFC 3339).
    pub expires_at: String,
    /// Downloads that may still be claimed.
    pub downloads_left: u32,
}

/// `POST /api/v1/claims` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    /// The link token (the last path segment of the link).
    pub token: String,
}

/// `201` reply to a claim: one download, consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The secret that fetches the content until `ticket_expires_at`.
    pub ticket: String,
    /// Absolute URL of the content for this ticket (`Range` honoured).
    pub content_url: String,
    /// Size of the ciphertext in bytes.
    pub size: u64,
    /// Until when the ticket may (re)fetch the content (RFC 3339).
    pub ticket_expires_at: String,
    /// Downloads left after this claim.
    pub downloads_left: u32,
}

/// `GET /api/v1/shares/{id}`: the share as its sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// The share's id.
    pub id: String,
    /// Its state.
    pub state: ShareState,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When its link expires or expired (RFC 3339).
    pub expires_at: String,
    /// The download limit.
    pub max_downloads: u32,
    /// Downloads that may still be claimed.
    pub downloads_left: u32,
    /// The address ranges it is bound to (empty: anyone).
    pub allow_ips: Vec<String>,
    /// Size of the ciphertext in bytes.
    pub size: u64,
    /// Its audit events, oldest first.
    pub events: Vec<Event>,
}

/// One entry of `share-relay shares list --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSummary {
    /// The share's id.
    pub id: String,
    /// Its state.
    pub state: ShareState,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When its link expires or expired (RFC 3339).
    pub expires_at: String,
    /// The download limit.
    pub max_downloads: u32,
    /// Downloads that may still be claimed.
    pub downloads_left: u32,
    /// Size of the ciphertext in bytes.
    pub size: u64,
    /// Name of the API key that created it (`null` for anonymous shares).
    pub key: Option<String>,
}

/// The kind of an audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A share was created (or creating one was refused).
    #[serde(rename = "share.created")]
    ShareCreated,
    /// A share's content was completely uploaded.
    #[serde(rename = "share.uploaded")]
    ShareUploaded,
    /// An upload was refused or interrupted; nothing was stored.
    #[serde(rename = "upload.rejected")]
    UploadRejected,
    /// A link was viewed (GET or HEAD); never a state change.
    #[serde(rename = "link.viewed")]
    LinkViewed,
    /// A claim consumed one download.
    #[serde(rename = "claim.granted")]
    ClaimGranted,
    /// A claim was refused.
    #[serde(rename = "claim.denied")]
    ClaimDenied,
    /// Content was served for a ticket (`bytes`, `complete`), or refused.
    #[serde(rename = "content.served")]
    ContentServed,
    /// A receiver confirmed it decrypted the content.
    #[serde(rename = "download.confirmed")]
    DownloadConfirmed,
    /// A share was revoked.
    #[serde(rename = "share.revoked")]
    ShareRevoked,
    /// A share expired.
    #[serde(rename = "share.expired")]
    ShareExpired,
    /// A share's content was deleted.
    #[serde(rename = "content.deleted")]
    ContentDeleted,
    /// A client address went over the rate limit.
    #[serde(rename = "rate.limited")]
    RateLimited,
    /// An API key was created (operator action).
    #[serde(rename = "key.created")]
    KeyCreated,
    /// An API key was revoked (operator action).
    #[serde(rename = "key.revoked")]
    KeyRevoked,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 14] = [
        EventKind::ShareCreated,
        EventKind::ShareUploaded,
        EventKind::UploadRejected,
        EventKind::LinkViewed,
        EventKind::ClaimGranted,
        EventKind::ClaimDenied,
        EventKind::ContentServed,
        EventKind::DownloadConfirmed,
        EventKind::ShareRevoked,
        EventKind::ShareExpired,
        EventKind::ContentDeleted,
        EventKind::RateLimited,
        EventKind::KeyCreated,
        EventKind::KeyRevoked,
    ];

    /// The event name as it appears in `"event"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ShareCreated => "share.created",
            EventKind::ShareUploaded => "share.uploaded",
            EventKind::UploadRejected => "upload.rejected",
            EventKind::LinkViewed => "link.viewed",
            EventKind::ClaimGranted => "claim.granted",
            EventKind::ClaimDenied => "claim.denied",
            EventKind::ContentServed => "content.served",
            EventKind::DownloadConfirmed => "download.confirmed",
            EventKind::ShareRevoked => "share.revoked",
            EventKind::ShareExpired => "share.expired",
            EventKind::ContentDeleted => "content.deleted",
            EventKind::RateLimited => "rate.limited",
            EventKind::KeyCreated => "key.created",
            EventKind::KeyRevoked => "key.revoked",
        }
    }

    /// Parses [`EventKind::as_str`] back.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether the audited action was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Allowed and done.
    Ok,
    /// Refused; `reason` says why.
    Denied,
}

impl Outcome {
    /// The outcome as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// One audit event: a line of the NDJSON stream, a row of the `events` table, an entry of
/// [`Share::events`]. Every key is always present (`null` where it does not apply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When (RFC 3339, UTC, with milliseconds).
    pub at: String,
    /// What happened.
    pub event: EventKind,
    /// The share's id.
    pub share: Option<String>,
    /// 12-hex fingerprint of the credential presented (never the credential).
    pub token: Option<String>,
    /// Allowed or refused.
    pub outcome: Outcome,
    /// Why it was refused (`consumed`, `expired`, `revoked`, `ip_not_allowed`,
    /// `rate_limited`, `not_age`, `too_large`, `unauthorized`, …), or `suspected_bot` on
    /// `link.viewed`.
    pub reason: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// The client's `User-Agent`, at most 200 characters.
    pub user_agent: Option<String>,
    /// Bytes transferred (`content.served`, `share.uploaded`).
    pub bytes: Option<u64>,
    /// On `content.served`: whether the response reached the end of the content.
    pub complete: Option<bool>,
    /// Name of the API key involved.
    pub key: Option<String>,
    /// The request's id (also sent as `X-Request-Id`).
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert_eq!(ErrorCode::Gone.status(), 410);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
    }

    #[test]
    fn events_keep_every_key() {
        let e = Event {
            at: "2026-11-01T00:00:00.000Z".into(),
            event: EventKind::LinkViewed,
            share: None,
            token: None,
            outcome: Outcome::Ok,
            reason: None,
            ip: None,
            user_agent: None,
            bytes: None,
            complete: None,
            key: None,
            request_id: None,
        };
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 12);
        assert_eq!(v["event"], "link.viewed");
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn gone_body_shape() {
        let body = ErrorBody {
            error: ErrorCode::Gone,
            message: "used".into(),
            reason: Some(GoneReason::Consumed),
            at: Some("2026-11-01T14:02:00Z".into()),
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v["reason"], "consumed");
        let plain = ErrorBody {
            error: ErrorCode::NotFound,
            message: "x".into(),
            reason: None,
            at: None,
        };
        let v = serde_json::to_value(&plain).unwrap();
        assert!(v.get("reason").is_none());
    }
}
