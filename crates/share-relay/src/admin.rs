//! The operator's subcommands (`key`, `shares`, `audit`), working directly on the database
//! and storage of a `--data` directory, beside or without a running server. Those that
//! change state write their audit events to the `events` table (in the same transaction)
//! and to the same NDJSON stream as `serve`.

use std::time::Duration;

use anyhow::{Context as _, bail};
use share_proto::relay::{Event, EventKind, Outcome, ShareSummary};

use crate::audit::{self, AuditLog};
use crate::blob::BlobStore;
use crate::store::{ApiKeyRecord, Revoked, Store};
use crate::{auth, clock, policy};

/// What `shares revoke` revokes.
#[derive(Debug, Clone)]
pub enum RevokeScope {
    /// One share by id.
    One(String),
    /// Every share one API key created.
    Key(String),
    /// Everything.
    All,
}

/// Checks an API key name: 1–64 of letters, digits, `-`, `_`, `.`.
pub fn valid_key_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Creates an API key and returns it (the only time it is shown).
pub async fn create_key(store: &dyn Store, log: &AuditLog, name: &str) -> anyhow::Result<String> {
    if !valid_key_name(name) {
        bail!("invalid key name `{name}`: use 1-64 letters, digits, '-', '_' or '.'");
    }
    let key = auth::new_api_key();
    let now = clock::now_ms();
    let mut event = audit::event(EventKind::KeyCreated, Outcome::Ok);
    event.key = Some(name.to_owned());
    event.token = Some(key.fingerprint());
    let rec = ApiKeyRecord {
        name: name.to_owned(),
        hash: key.hash(),
        created_at: now,
        revoked_at: None,
    };
    if !store.create_key(&rec, &event).await? {
        bail!("an API key named `{name}` already exists; revoke it or pick another name");
    }
    log.emit(&event);
    Ok(key.expose().to_owned())
}

/// Revokes an API key by name (its shares stay; see `shares revoke --key`).
pub async fn revoke_key(store: &dyn Store, log: &AuditLog, name: &str) -> anyhow::Result<()> {
    let mut event = audit::event(EventKind::KeyRevoked, Outcome::Ok);
    event.key = Some(name.to_owned());
    if !store.revoke_key(name, clock::now_ms(), &event).await? {
        bail!("no live API key named `{name}`");
    }
    log.emit(&event);
    Ok(())
}

/// `key list` lines.
pub async fn list_keys(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    Ok(store
        .list_keys()
        .await?
        .into_iter()
        .map(|k| {
            let state = match k.revoked_at {
                Some(t) => format!("revoked {}", clock::rfc3339(t)),
                None => "active".to_owned(),
            };
            format!(
                "{}\t{}\tcreated {}\t{state}",
                k.name,
                &k.hash[..12],
                clock::rfc3339(k.created_at)
            )
        })
        .collect())
}

/// `shares list` entries, newest first.
pub async fn list_shares(store: &dyn Store) -> anyhow::Result<Vec<ShareSummary>> {
    let now = clock::now_ms();
    Ok(store
        .list_shares()
        .await?
        .into_iter()
        .map(|s| ShareSummary {
            state: policy::effective_state(&s, now),
            created_at: clock::rfc3339(s.created_at),
            expires_at: clock::rfc3339(s.expires_at),
            max_downloads: s.max_downloads,
            downloads_left: s.remaining,
            size: s.size,
            key: s.key_name,
            id: s.id,
        })
        .collect())
}

/// Revokes shares and deletes their content; how many were revoked now.
pub async fn revoke_shares(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    log: &AuditLog,
    scope: &RevokeScope,
) -> anyhow::Result<usize> {
    let ids: Vec<String> = match scope {
        RevokeScope::One(id) => {
            store
                .share(id)
                .await?
                .with_context(|| format!("no share with id `{id}`"))?;
            vec![id.clone()]
        }
        RevokeScope::Key(name) => store.shares_of_key(name).await?,
        RevokeScope::All => store
            .list_shares()
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect(),
    };
    let mut n = 0;
    for id in ids {
        let mut event = audit::event(EventKind::ShareRevoked, Outcome::Ok);
        event.share = Some(id.clone());
        if let RevokeScope::Key(name) = scope {
            event.key = Some(name.clone());
        }
        let now = clock::now_ms();
        if store.revoke(&id, now, &event).await? == Revoked::Now {
            log.emit(&event);
            n += 1;
            let mut deleted = audit::event(EventKind::ContentDeleted, Outcome::Ok);
            deleted.share = Some(id.clone());
            if store.release_content(&id, now, &deleted).await? {
                log.emit(&deleted);
                blobs.delete(&id).await?;
            }
        }
    }
    Ok(n)
}

/// `audit` events, optionally of one share and of the last `since`.
pub async fn events(
    store: &dyn Store,
    share: Option<&str>,
    since: Option<Duration>,
) -> anyhow::Result<Vec<Event>> {
    let since = since.map(|d| clock::now_ms() - clock::ms(d));
    store.events(share, since).await
}

/// One human-readable line per event.
pub fn event_line(e: &Event) -> String {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let mut line = format!(
        "{} {} {} share={} token={} ip={}",
        e.at,
        e.event.as_str(),
        e.outcome.as_str(),
        dash(&e.share),
        dash(&e.token),
        dash(&e.ip)
    );
    if let Some(r) = &e.reason {
        line.push_str(&format!(" reason={r}"));
    }
    if let Some(b) = e.bytes {
        line.push_str(&format!(" bytes={b}"));
    }
    if let Some(c) = e.complete {
        line.push_str(&format!(" complete={c}"));
    }
    if let Some(k) = &e.key {
        line.push_str(&format!(" key={k}"));
    }
    line
}
