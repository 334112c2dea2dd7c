//! The seam between a send and where its ciphertext is stored: a [`Host`] with a
//! [`Profile`] of what it can do (its largest upload, how long it keeps files, whether it
//! can limit downloads or revoke), and one upload call. tfLink is one implementation, a
//! share relay the other; the commands ask the profile instead of knowing either.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::Stream;
use url::Url;

use crate::transport::relay::RelayTarget;
use crate::transport::retry::AttemptFailure;
use crate::transport::tflink::{self, ANONYMOUS_RETENTION, Account, MAX_UPLOAD_BYTES, Upload};

/// What a host can do, for the plan and for the messages after a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The host's name in messages.
    pub name: &'static str,
    /// The largest single upload it accepts; larger shares are split into parts when
    /// [`Profile::splits`] is set.
    pub largest_upload: Option<u64>,
    /// Whether a share too large for one upload is split into parts plus an index.
    pub splits: bool,
    /// How long it keeps an upload, when that is fixed.
    pub retention: Option<Duration>,
    /// Whether a link can be limited to N downloads, an expiry and addresses.
    pub limits_links: bool,
    /// Whether a link can be revoked.
    pub revokes: bool,
}

/// tfLink, or an API compatible with it: where to upload, and with which account.
pub struct TfLink {
    /// The API base as given (`--server`), for messages and the report.
    pub base: Url,
    /// The upload endpoint (`…/api/upload`).
    pub endpoint: Url,
    /// The account, for uploads kept as long as the account keeps them.
    pub account: Option<Account>,
}

/// Where a share's ciphertext goes.
// One per command, so the relay variant's size costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Host {
    /// A tfLink-compatible host: public, 7-day links that anyone holding them can use.
    TfLink(TfLink),
    /// A share relay: links limited in downloads, time and addresses, revocable.
    Relay(RelayTarget),
}

impl Host {
    /// What this host can do.
    pub fn profile(&self) -> Profile {
        match self {
            Host::TfLink(tflink) => Profile {
                name: "tfLink",
                largest_upload: Some(MAX_UPLOAD_BYTES),
                splits: true,
                retention: tflink.account.is_none().then_some(ANONYMOUS_RETENTION),
                limits_links: false,
                revokes: false,
            },
            Host::Relay(_) => Profile {
                name: "the relay",
                largest_upload: None,
                splits: false,
                retention: None,
                limits_links: true,
                revokes: true,
            },
        }
    }

    /// One upload attempt of `length` bytes; returns the link to the upload.
    pub async fn upload<S>(
        &self,
        client: &reqwest::Client,
        upload: Upload<S>,
    ) -> Result<Url, AttemptFailure>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Sync + 'static,
    {
        match self {
            Host::TfLink(tflink) => {
                tflink::upload(client, &tflink.endpoint, upload, tflink.account.as_ref()).await
            }
            Host::Relay(relay) => relay.upload(client, upload.body, upload.length).await,
        }
    }

    /// The host's address as the user gave it, without any user name or password in it:
    /// for messages ("could not upload to …") and the report's `host`.
    pub fn address(&self) -> Url {
        let mut base = match self {
            Host::TfLink(tflink) => tflink.base.clone(),
            Host::Relay(relay) => relay.base.clone(),
        };
        // Only fails for URLs that cannot have credentials, which then have none.
        let _ = base.set_password(None);
        let _ = base.set_username("");
        base
    }

    /// When the link stops working, as RFC 3339, if known after the upload.
    pub fn expires_at(&self) -> Option<String> {
        match self {
            Host::TfLink(_) => self.profile().retention.map(|keep| {
                humantime::format_rfc3339_seconds(SystemTime::now() + keep).to_string()
            }),
            Host::Relay(relay) => relay.created().map(|created| created.expires_at.clone()),
        }
    }
}
