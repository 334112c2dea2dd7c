//! Metadata storage: API keys, shares, tickets and the `events` table, behind the [`Store`]
//! trait so a PostgreSQL implementation can slot in beside [`sqlite::SqliteStore`].
//!
//! Rules every implementation keeps:
//!
//! - Each state change is one atomic unit together with the audit event that records it:
//!   the methods that change state take the [`Event`] and write it in the same transaction
//!   (the NDJSON line is appended by the caller after the commit, so the stream never shows
//!   a change that was rolled back).
//! - Claims decrement in a single conditional `UPDATE … WHERE remaining > 0 AND state =
//!   'available' AND expires_at > now RETURNING …`, so concurrent claims never over-grant and
//!   a revocation (another single conditional `UPDATE`) is linearisable with them.
//! - Only hashes of credentials are stored; times are Unix milliseconds.

pub mod sqlite;

use async_trait::async_trait;
use ipnet::IpNet;
use share_proto::relay::{Event, ShareState};

/// A share's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// Public id.
    pub id: String,
    /// SHA-256 (hex) of the link token.
    pub link_hash: String,
    /// SHA-256 (hex) of the manage token.
    pub manage_hash: String,
    /// Recorded state (see `policy::effective_state` for the state at a given time).
    pub state: ShareState,
    /// Declared ciphertext size.
    pub size: u64,
    /// Download limit.
    pub max_downloads: u32,
    /// Downloads that may still be claimed.
    pub remaining: u32,
    /// Address binding (empty: anyone).
    pub allow_ips: Vec<IpNet>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry of the link.
    pub expires_at: i64,
    /// When it reached its terminal state.
    pub ended_at: Option<i64>,
    /// When it was revoked (also set on a consumed or expired share whose tickets a
    /// revocation stopped).
    pub revoked_at: Option<i64>,
    /// Whether its content object exists.
    pub content: bool,
    /// Name of the API key that created it.
    pub key_name: Option<String>,
}

/// A claim's ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// SHA-256 (hex) of the ticket.
    pub hash: String,
    /// Its share.
    pub share_id: String,
    /// When the claim was granted.
    pub created_at: i64,
    /// Until when it may fetch.
    pub expires_at: i64,
    /// When the receiver confirmed completion.
    pub completed_at: Option<i64>,
}

/// An API key's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Operator-chosen name.
    pub name: String,
    /// SHA-256 (hex) of the key.
    pub hash: String,
    /// Creation time.
    pub created_at: i64,
    /// Revocation time.
    pub revoked_at: Option<i64>,
}

/// What a revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The share (or its live tickets) were revoked now.
    Now,
    /// Nothing to do: already ended and without content, or already revoked.
    Unchanged,
}

/// Builds the event for one share id (used by bulk sweeper operations).
pub type EventFor = fn(&str) -> Event;

/// Metadata storage. Errors are infrastructure failures (answered `unavailable`).
#[async_trait]
pub trait Store: Send + Sync {
    /// Whether the database answers.
    async fn ping(&self) -> anyhow::Result<()>;
    /// Records an event that accompanies no state change (denials, views, serving).
    async fn record(&self, event: &Event) -> anyhow::Result<()>;

    /// Creates an API key; `false` if the name is taken.
    async fn create_key(&self, key: &ApiKeyRecord, event: &Event) -> anyhow::Result<bool>;
    /// Revokes an API key by name; `false` if there is no such live key.
    async fn revoke_key(&self, name: &str, now: i64, event: &Event) -> anyhow::Result<bool>;
    /// Every API key, oldest first.
    async fn list_keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>>;
    /// The live (unrevoked) key with this hash.
    async fn key_by_hash(&self, hash: &str) -> anyhow::Result<Option<ApiKeyRecord>>;

    /// Inserts a new share (state `uploading`).
    async fn create_share(&self, share: &ShareRecord, event: &Event) -> anyhow::Result<()>;
    /// A share by id.
    async fn share(&self, id: &str) -> anyhow::Result<Option<ShareRecord>>;
    /// A share by the hash of its link token.
    async fn share_by_link(&self, link_hash: &str) -> anyhow::Result<Option<ShareRecord>>;
    /// Every share, newest first.
    async fn list_shares(&self) -> anyhow::Result<Vec<ShareRecord>>;
    /// Ids of the shares one API key created.
    async fn shares_of_key(&self, name: &str) -> anyhow::Result<Vec<String>>;

    /// `uploading` → `available` with content; `false` if the share was no longer uploading.
    async fn mark_uploaded(&self, id: &str, event: &Event) -> anyhow::Result<bool>;
    /// Consumes one download and stores the ticket, atomically; the downloads left, or
    /// `None` when nothing could be consumed (gone, not available, expired).
    async fn claim(
        &self,
        id: &str,
        ticket: &TicketRecord,
        now: i64,
        event: &Event,
    ) -> anyhow::Result<Option<u32>>;
    /// A ticket by hash and its share, in one read.
    async fn ticket_and_share(
        &self,
        hash: &str,
    ) -> anyhow::Result<Option<(TicketRecord, ShareRecord)>>;
    /// Ends a live ticket; `false` if it was not live.
    async fn complete_ticket(&self, hash: &str, now: i64, event: &Event) -> anyhow::Result<bool>;
    /// Revokes a share (first terminal state wins; live tickets stop either way).
    async fn revoke(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<Revoked>;
    /// Marks the content deleted if the share has ended and no live ticket needs it (or it
    /// was revoked); `true` if the caller must now delete the object.
    async fn release_content(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<bool>;

    /// Records `expired` for available shares past their expiry; their ids.
    async fn expire_due(&self, now: i64, event: EventFor) -> anyhow::Result<Vec<String>>;
    /// Ends shares still `uploading` that were created before `cutoff` or expired; their ids.
    async fn expire_stale_uploads(
        &self,
        cutoff: i64,
        now: i64,
        event: EventFor,
    ) -> anyhow::Result<Vec<String>>;
    /// Ended shares that still have content (candidates for `release_content`).
    async fn content_candidates(&self) -> anyhow::Result<Vec<String>>;
    /// Whether an object named after this share may exist (it is uploading or holds content).
    async fn keeps_object(&self, id: &str) -> anyhow::Result<bool>;
    /// Deletes tombstones, tickets and events older than `before`; rows removed.
    async fn purge(&self, before: i64) -> anyhow::Result<u64>;

    /// Events, oldest first, optionally of one share and since a time.
    async fn events(&self, share: Option<&str>, since: Option<i64>) -> anyhow::Result<Vec<Event>>;
}
