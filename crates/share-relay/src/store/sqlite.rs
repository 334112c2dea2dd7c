//! [`Store`] on SQLite through sqlx (runtime queries, no compile-time macros).
//!
//! The database runs in WAL mode with `synchronous=NORMAL`: every committed change is in
//! the WAL before the reply goes out, so it survives a crash of the relay (`kill -9`) at
//! any point; only a power loss or kernel crash can roll back the last commits, and the
//! database stays consistent then too. `FULL` would fsync at every commit, which on the
//! disks measured (about 0.5 ms per synchronous write) capped claims near 280 per second;
//! see the README's performance section. Every state change is either a single conditional statement or
//! a `BEGIN IMMEDIATE` transaction (sqlx's `begin()` would issue a deferred `BEGIN`, whose
//! read-to-write upgrade can fail with `SQLITE_BUSY` instead of waiting), holding the change
//! and its audit event together. The busy timeout makes concurrent writers queue.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use share_proto::relay::{Event, EventKind, Outcome, ShareState};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::{ApiKeyRecord, EventFor, Revoked, ShareRecord, Store, TicketRecord};
use crate::clock;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS api_keys (
    name TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY,
    link_hash TEXT NOT NULL UNIQUE,
    manage_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    size INTEGER NOT NULL,
    max_downloads INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    allow_ips TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    revoked_at INTEGER,
    content INTEGER NOT NULL DEFAULT 0,
    key_name TEXT
);
CREATE INDEX IF NOT EXISTS shares_state ON shares (state, expires_at);
CREATE INDEX IF NOT EXISTS shares_key ON shares (key_name);
CREATE TABLE IF NOT EXISTS tickets (
    hash TEXT PRIMARY KEY,
    share_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX IF NOT EXISTS tickets_share ON tickets (share_id);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    share TEXT,
    token TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    ip TEXT,
    user_agent TEXT,
    bytes INTEGER,
    complete INTEGER,
    key TEXT,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS events_share ON events (share, seq);
CREATE INDEX IF NOT EXISTS events_at ON events (at_ms);
PRAGMA user_version = 1;
"#;

const SHARE_COLUMNS: &str = "id, link_hash, manage_hash, state, size, max_downloads, remaining, \
     allow_ips, created_at, expires_at, ended_at, revoked_at, content, key_name";

/// SQLite-backed metadata store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// The SQLite file named by a `sqlite:` URL (`sqlite://relay.db`, `sqlite:///abs/relay.db`).
pub fn path_of_url(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    (!rest.is_empty()).then_some(rest)
}

impl SqliteStore {
    /// Opens (creating if needed, mode 0600) the database file and applies the schema.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create the database {}", path.display()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        sqlx::raw_sql(SCHEMA)
            .execute(&pool)
            .await
            .context("cannot create the database schema")?;
        Ok(Self { pool })
    }

    /// Closes the pool (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn share_of_row(row: &SqliteRow) -> anyhow::Result<ShareRecord> {
    let state: String = row.try_get("state")?;
    let allow: String = row.try_get("allow_ips")?;
    let allow: Vec<String> = serde_json::from_str(&allow)?;
    Ok(ShareRecord {
        id: row.try_get("id")?,
        link_hash: row.try_get("link_hash")?,
        manage_hash: row.try_get("manage_hash")?,
        state: ShareState::parse(&state).with_context(|| format!("unknown state {state}"))?,
        size: u64::try_from(row.try_get::<i64, _>("size")?)?,
        max_downloads: u32::try_from(row.try_get::<i64, _>("max_downloads")?)?,
        remaining: u32::try_from(row.try_get::<i64, _>("remaining")?)?,
        allow_ips: allow.iter().filter_map(|s| s.parse().ok()).collect(),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        ended_at: row.try_get("ended_at")?,
        revoked_at: row.try_get("revoked_at")?,
        content: row.try_get::<i64, _>("content")? != 0,
        key_name: row.try_get("key_name")?,
    })
}

fn event_of_row(row: &SqliteRow) -> anyhow::Result<Event> {
    let kind: String = row.try_get("event")?;
    let outcome: String = row.try_get("outcome")?;
    Ok(Event {
        at: row.try_get("at")?,
        event: EventKind::parse(&kind).with_context(|| format!("unknown event {kind}"))?,
        share: row.try_get("share")?,
        token: row.try_get("token")?,
        outcome: if outcome == "ok" {
            Outcome::Ok
        } else {
            Outcome::Denied
        },
        reason: row.try_get("reason")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        bytes: row
            .try_get::<Option<i64>, _>("bytes")?
            .map(|b| u64::try_from(b).unwrap_or(0)),
        complete: row.try_get::<Option<i64>, _>("complete")?.map(|c| c != 0),
        key: row.try_get("key")?,
        request_id: row.try_get("request_id")?,
    })
}

async fn insert_event(conn: &mut SqliteConnection, e: &Event) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO events (at_ms, at, event, share, token, outcome, reason, ip, user_agent, \
         bytes, complete, key, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(clock::parse_rfc3339(&e.at).unwrap_or_else(clock::now_ms))
    .bind(&e.at)
    .bind(e.event.as_str())
    .bind(&e.share)
    .bind(&e.token)
    .bind(e.outcome.as_str())
    .bind(&e.reason)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(e.bytes.map(to_i64))
    .bind(e.complete.map(i64::from))
    .bind(&e.key)
    .bind(&e.request_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl SqliteStore {
    async fn begin(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Runs a `… RETURNING id` statement and writes one event per returned id, in one
    /// transaction.
    async fn update_each(
        &self,
        sql: &'static str,
        binds: [i64; 2],
        event: EventFor<'_>,
    ) -> anyhow::Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sql)
            .bind(binds[0])
            .bind(binds[1])
            .fetch_all(&mut *tx)
            .await?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            insert_event(&mut tx, &event(&id)).await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record(&self, event: &Event) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert_event(&mut conn, event).await
    }

    async fn create_key(&self, key: &ApiKeyRecord, event: &Event) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "INSERT INTO api_keys (name, hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&key.name)
        .bind(&key.hash)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn revoke_key(&self, name: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
                .bind(now)
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn list_keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT name, hash, created_at, revoked_at FROM api_keys ORDER BY created_at, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyRecord {
                    name: r.try_get("name")?,
                    hash: r.try_get("hash")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    async fn key_by_hash(&self, hash: &str) -> anyhow::Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT name, hash, created_at, revoked_at FROM api_keys \
             WHERE hash = ? AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ApiKeyRecord {
                name: r.try_get("name")?,
                hash: r.try_get("hash")?,
                created_at: r.try_get("created_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .transpose()
    }

    async fn create_share(&self, s: &ShareRecord, event: &Event) -> anyhow::Result<()> {
        let allow: Vec<String> = s.allow_ips.iter().map(ToString::to_string).collect();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO shares (id, link_hash, manage_hash, state, size, max_downloads, \
             remaining, allow_ips, created_at, expires_at, content, key_name) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(&s.id)
        .bind(&s.link_hash)
        .bind(&s.manage_hash)
        .bind(s.state.as_str())
        .bind(to_i64(s.size))
        .bind(i64::from(s.max_downloads))
        .bind(i64::from(s.remaining))
        .bind(serde_json::to_string(&allow)?)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(&s.key_name)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn share(&self, id: &str) -> anyhow::Result<Option<ShareRecord>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(share_of_row).transpose()
    }

    async fn share_by_link(&self, link_hash: &str) -> anyhow::Result<Option<ShareRecord>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares WHERE link_hash = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(link_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(share_of_row).transpose()
    }

    async fn list_shares(&self) -> anyhow::Result<Vec<ShareRecord>> {
        let sql = format!("SELECT {SHARE_COLUMNS} FROM shares ORDER BY created_at DESC, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(share_of_row).collect()
    }

    async fn shares_of_key(&self, name: &str) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM shares WHERE key_name = ?")
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn mark_uploaded(&self, id: &str, event: &Event) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE shares SET state = 'available', content = 1 \
             WHERE id = ? AND state = 'uploading' AND revoked_at IS NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn claim(
        &self,
        id: &str,
        ticket: &TicketRecord,
        now: i64,
        event: &Event,
    ) -> anyhow::Result<Option<u32>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE shares SET remaining = remaining - 1, \
               state = CASE WHEN remaining = 1 THEN 'consumed' ELSE state END, \
               ended_at = CASE WHEN remaining = 1 THEN ?1 ELSE ended_at END \
             WHERE id = ?2 AND remaining > 0 AND state = 'available' AND expires_at > ?1 \
               AND revoked_at IS NULL AND content = 1 \
             RETURNING remaining",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let left = u32::try_from(row.try_get::<i64, _>(0)?)?;
        sqlx::query(
            "INSERT INTO tickets (hash, share_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&ticket.hash)
        .bind(&ticket.share_id)
        .bind(ticket.created_at)
        .bind(ticket.expires_at)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Some(left))
    }

    async fn ticket(&self, hash: &str) -> anyhow::Result<Option<TicketRecord>> {
        let row = sqlx::query(
            "SELECT hash, share_id, created_at, expires_at, completed_at FROM tickets \
             WHERE hash = ?",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TicketRecord {
                hash: r.try_get("hash")?,
                share_id: r.try_get("share_id")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                completed_at: r.try_get("completed_at")?,
            })
        })
        .transpose()
    }

    async fn complete_ticket(&self, hash: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE tickets SET completed_at = ?1 \
             WHERE hash = ?2 AND completed_at IS NULL AND expires_at > ?1",
        )
        .bind(now)
        .bind(hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn revoke(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<Revoked> {
        let mut tx = self.begin().await?;
        // A live share becomes revoked; an available one already past its expiry is
        // written down as expired (first terminal state wins); an ended one that still
        // has content keeps its state but its tickets stop (revoked_at).
        let done = sqlx::query(
            "UPDATE shares SET revoked_at = ?1, \
               state = CASE \
                 WHEN state = 'uploading' OR (state = 'available' AND expires_at > ?1) \
                   THEN 'revoked' \
                 WHEN state = 'available' THEN 'expired' \
                 ELSE state END, \
               ended_at = CASE \
                 WHEN state = 'uploading' OR (state = 'available' AND expires_at > ?1) THEN ?1 \
                 WHEN state = 'available' THEN expires_at \
                 ELSE ended_at END \
             WHERE id = ?2 AND revoked_at IS NULL \
               AND (state IN ('uploading', 'available') OR content = 1)",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(Revoked::Unchanged);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Revoked::Now)
    }

    async fn release_content(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE shares SET content = 0 \
             WHERE id = ?2 AND content = 1 AND ( \
               revoked_at IS NOT NULL OR ( \
                 (state IN ('consumed', 'expired') OR (state = 'available' AND expires_at <= ?1)) \
                 AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.share_id = shares.id \
                   AND t.completed_at IS NULL AND t.expires_at > ?1)))",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn expire_due(&self, now: i64, event: EventFor<'_>) -> anyhow::Result<Vec<String>> {
        self.update_each(
            "UPDATE shares SET state = 'expired', ended_at = expires_at \
             WHERE state = 'available' AND expires_at <= ?1 AND ?2 = ?2 RETURNING id",
            [now, 0],
            event,
        )
        .await
    }

    async fn expire_stale_uploads(
        &self,
        cutoff: i64,
        now: i64,
        event: EventFor<'_>,
    ) -> anyhow::Result<Vec<String>> {
        self.update_each(
            "UPDATE shares SET state = 'expired', ended_at = ?2 \
             WHERE state = 'uploading' AND (created_at <= ?1 OR expires_at <= ?2) RETURNING id",
            [cutoff, now],
            event,
        )
        .await
    }

    async fn content_candidates(&self) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM shares WHERE content = 1 AND \
             (revoked_at IS NOT NULL OR state IN ('consumed', 'expired') \
              OR (state = 'available' AND expires_at <= ?))",
        )
        .bind(clock::now_ms())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn keeps_object(&self, id: &str) -> anyhow::Result<bool> {
        let row = sqlx::query("SELECT state, content FROM shares WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            None => false,
            Some(r) => {
                r.try_get::<i64, _>("content")? != 0
                    || r.try_get::<String, _>("state")? == "uploading"
            }
        })
    }

    async fn purge(&self, before: i64) -> anyhow::Result<u64> {
        let mut tx = self.begin().await?;
        let mut n = sqlx::query(
            "DELETE FROM tickets WHERE expires_at < ?1 OR share_id IN (SELECT id FROM shares \
             WHERE content = 0 AND ended_at IS NOT NULL AND ended_at < ?1)",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        n += sqlx::query(
            "DELETE FROM events WHERE at_ms < ?1 AND (share IS NULL OR share NOT IN \
             (SELECT id FROM shares WHERE state IN ('uploading', 'available')))",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        n += sqlx::query(
            "DELETE FROM shares WHERE content = 0 AND ended_at IS NOT NULL AND ended_at < ?1 \
             AND state IN ('consumed', 'expired', 'revoked')",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn events(&self, share: Option<&str>, since: Option<i64>) -> anyhow::Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT at, event, share, token, outcome, reason, ip, user_agent, bytes, complete, \
             key, request_id FROM events \
             WHERE (?1 IS NULL OR share = ?1) AND (?2 IS NULL OR at_ms >= ?2) ORDER BY seq",
        )
        .bind(share)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_of_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(path_of_url("sqlite://relay.db"), Some("relay.db"));
        assert_eq!(path_of_url("sqlite:///var/lib/r.db"), Some("/var/lib/r.db"));
        assert_eq!(path_of_url("sqlite:r.db?mode=rwc"), Some("r.db"));
        assert_eq!(path_of_url("postgres://x"), None);
    }
}
