//! [`Store`] on SQLite through sqlx (runtime queries, no compile-time macros).
//!
//! The database runs in WAL mode with `synchronous=NORMAL`: every committed change is in
//! the WAL before the reply goes out, so it survives a crash of the relay (`kill -9`) at
//! any point; only a power loss or kernel crash can roll back the last commits, and the
//! database stays consistent then too. `FULL` would fsync at every commit, which on the
//! disks measured (about 0.5 ms per synchronous write) capped claims near 280 per second;
//! see the README's performance section.
//!
//! Reads go to a pool of connections. Every state change goes to the single [`writer`],
//! which applies changes in arrival order inside `BEGIN IMMEDIATE` transactions, each
//! change with the audit events that record it, and answers each caller after the commit
//! that holds its change. Other processes on the same file (the admin subcommands) have
//! writers of their own; the busy timeout makes them queue, which is why transactions
//! begin `IMMEDIATE` (a deferred `BEGIN`, sqlx's default, can fail with `SQLITE_BUSY` when
//! it upgrades from reading to writing instead of waiting).

mod writer;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use share_proto::relay::{Event, EventKind, Outcome, ShareState};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection as _, Row, SqliteConnection, SqlitePool};
use tokio::sync::Notify;

use super::{ApiKeyRecord, EventFor, Revoked, ShareRecord, Store, TicketRecord};
use crate::clock;
use writer::{Change, ClaimRequest, Group, Writer};

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
#[derive(Debug)]
pub struct SqliteStore {
    /// Reads.
    pool: SqlitePool,
    /// Every change.
    writer: Writer,
    /// The task running [`checkpoints`].
    checkpointer: tokio::task::JoinHandle<()>,
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
        // A local file cannot drop a connection the way a server can, so pooled
        // connections are not pinged before each use (that would be one more round trip
        // to the connection's thread per query).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        sqlx::raw_sql(SCHEMA)
            .execute(&pool)
            .await
            .context("cannot create the database schema")?;
        // The writer checkpoints the WAL itself only if it has grown to this many pages
        // (40 MB) because the checkpoints below could not keep up.
        let writer_options = options
            .clone()
            .statement_cache_capacity(WRITER_STATEMENTS)
            .pragma("wal_autocheckpoint", "10000");
        let conn = SqliteConnection::connect_with(&writer_options)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        let writer = Writer::start(conn);
        let checkpointer = tokio::spawn(checkpoints(pool.clone(), writer.committed()));
        Ok(Self {
            pool,
            writer,
            checkpointer,
        })
    }

    /// Applies the changes already queued, then closes the writer and the pool (the last
    /// connection closed checkpoints the WAL).
    pub async fn close(&self) {
        self.checkpointer.abort();
        self.writer.close().await;
        self.pool.close().await;
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpointer.abort();
    }
}

/// Least time between two checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies committed pages from the WAL into the database file, from a pooled connection,
/// after commits and at most every [`CHECKPOINT_EVERY`]. SQLite would otherwise do it
/// inside the commit that fills the WAL past 1,000 pages, with two fsyncs, while every
/// caller of that group waits. A passive checkpoint does not block the writer; the WAL
/// starts again from its beginning at the first commit after a checkpoint that caught up
/// (under constant load that is mostly the writer's own, past 10,000 pages).
async fn checkpoints(pool: SqlitePool, committed: Arc<Notify>) {
    loop {
        committed.notified().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!("cannot checkpoint the database: {e}");
        }
        tokio::time::sleep(CHECKPOINT_EVERY).await;
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

const EVENT_COLUMNS: &str = "at_ms, at, event, share, token, outcome, reason, ip, user_agent, \
     bytes, complete, key, request_id";
const TICKET_COLUMNS: &str = "hash, share_id, created_at, expires_at";

/// Largest number of rows one multi-row statement handles (an events insert then binds 832
/// variables, far below SQLite's 32,766).
const MAX_ROWS: usize = 64;

/// Prepared statements the writer's connection keeps: the multi-row statements below for
/// every row count, and the few single-row ones.
const WRITER_STATEMENTS: usize = 4 * MAX_ROWS;

/// `INSERT INTO table (columns) VALUES (…), …` for 1 to [`MAX_ROWS`] rows (index: rows
/// - 1), so a group's rows go in with one statement, whose preparation is cached.
fn multi_row_inserts(table: &str, columns: &str) -> Vec<String> {
    let row = format!("({})", vec!["?"; columns.split(',').count()].join(", "));
    (1..=MAX_ROWS)
        .map(|n| {
            let rows = vec![row.as_str(); n].join(", ");
            format!("INSERT INTO {table} ({columns}) VALUES {rows}")
        })
        .collect()
}

static EVENT_INSERTS: LazyLock<Vec<String>> =
    LazyLock::new(|| multi_row_inserts("events", EVENT_COLUMNS));
static TICKET_INSERTS: LazyLock<Vec<String>> =
    LazyLock::new(|| multi_row_inserts("tickets", TICKET_COLUMNS));

/// The claim's decrement for 1 to [`MAX_ROWS`] distinct shares (index: shares - 1; `?1` is
/// the time, then the ids): the single conditional statement of the contract, which
/// consumes one download of each listed share that can still be claimed and returns what
/// is left of it.
static CLAIM_UPDATES: LazyLock<Vec<String>> = LazyLock::new(|| {
    (1..=MAX_ROWS)
        .map(|n| {
            let ids: Vec<String> = (0..n).map(|i| format!("?{}", i + 2)).collect();
            format!(
                "UPDATE shares SET remaining = remaining - 1, \
                   state = CASE WHEN remaining = 1 THEN 'consumed' ELSE state END, \
                   ended_at = CASE WHEN remaining = 1 THEN ?1 ELSE ended_at END \
                 WHERE id IN ({}) AND remaining > 0 AND state = 'available' \
                   AND expires_at > ?1 AND revoked_at IS NULL AND content = 1 \
                 RETURNING id, remaining",
                ids.join(", ")
            )
        })
        .collect()
});

/// Inserts `events` in order.
async fn insert_events(conn: &mut SqliteConnection, events: &[Event]) -> anyhow::Result<()> {
    for chunk in events.chunks(MAX_ROWS) {
        let mut q = sqlx::query(EVENT_INSERTS[chunk.len() - 1].as_str());
        for e in chunk {
            q = q
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
                .bind(&e.request_id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Applies `claims` in order, as if one at a time: the downloads left for each granted
/// claim, `None` for the others; the tickets of the granted ones are stored.
///
/// Claims of different shares commute, so a round takes the earliest claim of each share
/// still pending (up to [`MAX_ROWS`] shares) and decrements them all in one statement; a
/// share's later claims wait for later rounds, in order. The statement's `RETURNING` says
/// which shares had a download to give. The events are the caller's to write, in the
/// claims' order.
async fn claim_all(
    conn: &mut SqliteConnection,
    claims: &[&ClaimRequest],
) -> anyhow::Result<Vec<Option<u32>>> {
    let mut left = vec![None; claims.len()];
    let mut pending: Vec<usize> = (0..claims.len()).collect();
    while !pending.is_empty() {
        let mut round = Vec::new();
        let mut later = Vec::new();
        let mut ids = HashSet::new();
        for i in pending {
            if round.len() < MAX_ROWS && ids.insert(claims[i].id.as_str()) {
                round.push(i);
            } else {
                later.push(i);
            }
        }
        // The latest request time of the round lies within every one of its claims.
        let now = round.iter().map(|&i| claims[i].now).max().unwrap_or(0);
        let mut q = sqlx::query(CLAIM_UPDATES[round.len() - 1].as_str()).bind(now);
        for &i in &round {
            q = q.bind(&claims[i].id);
        }
        let mut granted = HashMap::new();
        for row in q.fetch_all(&mut *conn).await? {
            let id: String = row.try_get(0)?;
            granted.insert(id, u32::try_from(row.try_get::<i64, _>(1)?)?);
        }
        for &i in &round {
            left[i] = granted.get(&claims[i].id).copied();
        }
        pending = later;
    }
    let tickets: Vec<&TicketRecord> = claims
        .iter()
        .zip(&left)
        .filter(|(_, l)| l.is_some())
        .map(|(c, _)| &c.ticket)
        .collect();
    for chunk in tickets.chunks(MAX_ROWS) {
        let mut q = sqlx::query(TICKET_INSERTS[chunk.len() - 1].as_str());
        for t in chunk {
            q = q
                .bind(&t.hash)
                .bind(&t.share_id)
                .bind(t.created_at)
                .bind(t.expires_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(left)
}

/// A value bound to a statement of a [`Guarded`] change.
#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Text(String),
    Null,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Self::Null, Self::from)
    }
}

/// One conditional statement and, if it changed a row, its audit event: `true` then.
struct Guarded {
    sql: &'static str,
    args: Vec<Arg>,
    event: Event,
}

#[async_trait]
impl Change for Guarded {
    type Output = bool;

    async fn apply(&self, group: &mut Group<'_>) -> anyhow::Result<bool> {
        let mut q = sqlx::query(self.sql);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::Null => q.bind(None::<i64>),
            };
        }
        let changed = q.execute(&mut *group.conn).await?.rows_affected() > 0;
        if changed {
            group.event(&self.event);
        }
        Ok(changed)
    }
}

/// A `… RETURNING id` statement and one event per returned id; the ids.
struct Each {
    sql: &'static str,
    binds: [i64; 2],
    event: EventFor,
}

#[async_trait]
impl Change for Each {
    type Output = Vec<String>;

    async fn apply(&self, group: &mut Group<'_>) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(self.sql)
            .bind(self.binds[0])
            .bind(self.binds[1])
            .fetch_all(&mut *group.conn)
            .await?;
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            group.event(&(self.event)(&id));
            ids.push(id);
        }
        Ok(ids)
    }
}

/// Deletes tombstones, tickets and events older than `before`.
struct Purge {
    before: i64,
}

#[async_trait]
impl Change for Purge {
    type Output = u64;

    async fn apply(&self, group: &mut Group<'_>) -> anyhow::Result<u64> {
        let mut n = 0;
        for sql in [
            "DELETE FROM tickets WHERE expires_at < ?1 OR share_id IN (SELECT id FROM shares \
             WHERE content = 0 AND ended_at IS NOT NULL AND ended_at < ?1)",
            "DELETE FROM events WHERE at_ms < ?1 AND (share IS NULL OR share NOT IN \
             (SELECT id FROM shares WHERE state IN ('uploading', 'available')))",
            "DELETE FROM shares WHERE content = 0 AND ended_at IS NOT NULL AND ended_at < ?1 \
             AND state IN ('consumed', 'expired', 'revoked')",
        ] {
            n += sqlx::query(sql)
                .bind(self.before)
                .execute(&mut *group.conn)
                .await?
                .rows_affected();
        }
        Ok(n)
    }
}

impl SqliteStore {
    /// Applies a [`Guarded`] change.
    async fn guarded(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
        event: &Event,
    ) -> anyhow::Result<bool> {
        self.writer
            .apply(Guarded {
                sql,
                args,
                event: event.clone(),
            })
            .await
    }
}

fn key_of_row(r: &SqliteRow) -> anyhow::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        name: r.try_get("name")?,
        hash: r.try_get("hash")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record(&self, event: &Event) -> anyhow::Result<()> {
        self.writer.record(event.clone()).await
    }

    async fn create_key(&self, key: &ApiKeyRecord, event: &Event) -> anyhow::Result<bool> {
        self.guarded(
            "INSERT INTO api_keys (name, hash, created_at) VALUES (?, ?, ?) \
             ON CONFLICT DO NOTHING",
            vec![
                key.name.as_str().into(),
                key.hash.as_str().into(),
                key.created_at.into(),
            ],
            event,
        )
        .await
    }

    async fn revoke_key(&self, name: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
            vec![now.into(), name.into()],
            event,
        )
        .await
    }

    async fn list_keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT name, hash, created_at, revoked_at FROM api_keys ORDER BY created_at, name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_of_row).collect()
    }

    async fn key_by_hash(&self, hash: &str) -> anyhow::Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT name, hash, created_at, revoked_at FROM api_keys \
             WHERE hash = ? AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_of_row).transpose()
    }

    async fn create_share(&self, s: &ShareRecord, event: &Event) -> anyhow::Result<()> {
        let allow: Vec<String> = s.allow_ips.iter().map(ToString::to_string).collect();
        let created = self
            .guarded(
                "INSERT INTO shares (id, link_hash, manage_hash, state, size, max_downloads, \
                 remaining, allow_ips, created_at, expires_at, content, key_name) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                vec![
                    s.id.as_str().into(),
                    s.link_hash.as_str().into(),
                    s.manage_hash.as_str().into(),
                    s.state.as_str().into(),
                    to_i64(s.size).into(),
                    i64::from(s.max_downloads).into(),
                    i64::from(s.remaining).into(),
                    serde_json::to_string(&allow)?.as_str().into(),
                    s.created_at.into(),
                    s.expires_at.into(),
                    s.key_name.as_deref().into(),
                ],
                event,
            )
            .await?;
        anyhow::ensure!(created, "the share was not inserted");
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
        self.guarded(
            "UPDATE shares SET state = 'available', content = 1 \
             WHERE id = ? AND state = 'uploading' AND revoked_at IS NULL",
            vec![id.into()],
            event,
        )
        .await
    }

    async fn claim(
        &self,
        id: &str,
        ticket: &TicketRecord,
        now: i64,
        event: &Event,
    ) -> anyhow::Result<Option<u32>> {
        self.writer
            .claim(ClaimRequest {
                id: id.to_owned(),
                ticket: ticket.clone(),
                now,
                event: event.clone(),
            })
            .await
    }

    async fn ticket_and_share(
        &self,
        hash: &str,
    ) -> anyhow::Result<Option<(TicketRecord, ShareRecord)>> {
        // One read for both rows, so a fetch costs one round trip to the database.
        let columns = SHARE_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c} AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT t.hash AS t_hash, t.share_id, t.created_at AS t_created_at, \
             t.expires_at AS t_expires_at, t.completed_at, {columns} \
             FROM tickets t JOIN shares s ON s.id = t.share_id WHERE t.hash = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            let ticket = TicketRecord {
                hash: r.try_get("t_hash")?,
                share_id: r.try_get("share_id")?,
                created_at: r.try_get("t_created_at")?,
                expires_at: r.try_get("t_expires_at")?,
                completed_at: r.try_get("completed_at")?,
            };
            Ok((ticket, share_of_row(&r)?))
        })
        .transpose()
    }

    async fn complete_ticket(&self, hash: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE tickets SET completed_at = ?1 \
             WHERE hash = ?2 AND completed_at IS NULL AND expires_at > ?1",
            vec![now.into(), hash.into()],
            event,
        )
        .await
    }

    async fn revoke(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<Revoked> {
        // A live share becomes revoked; an available one already past its expiry is
        // written down as expired (first terminal state wins); an ended one that still
        // has content keeps its state but its tickets stop (revoked_at).
        let done = self
            .guarded(
                "UPDATE shares SET revoked_at = ?1, \
                   state = CASE \
                     WHEN state = 'uploading' OR (state = 'available' AND expires_at > ?1) \
                       THEN 'revoked' \
                     WHEN state = 'available' THEN 'expired' \
                     ELSE state END, \
                   ended_at = CASE \
                     WHEN state = 'uploading' OR (state = 'available' AND expires_at > ?1) \
                       THEN ?1 \
                     WHEN state = 'available' THEN expires_at \
                     ELSE ended_at END \
                 WHERE id = ?2 AND revoked_at IS NULL \
                   AND (state IN ('uploading', 'available') OR content = 1)",
                vec![now.into(), id.into()],
                event,
            )
            .await?;
        Ok(if done {
            Revoked::Now
        } else {
            Revoked::Unchanged
        })
    }

    async fn release_content(&self, id: &str, now: i64, event: &Event) -> anyhow::Result<bool> {
        self.guarded(
            "UPDATE shares SET content = 0 \
             WHERE id = ?2 AND content = 1 AND ( \
               revoked_at IS NOT NULL OR ( \
                 (state IN ('consumed', 'expired') OR (state = 'available' AND expires_at <= ?1)) \
                 AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.share_id = shares.id \
                   AND t.completed_at IS NULL AND t.expires_at > ?1)))",
            vec![now.into(), id.into()],
            event,
        )
        .await
    }

    async fn expire_due(&self, now: i64, event: EventFor) -> anyhow::Result<Vec<String>> {
        self.writer
            .apply(Each {
                sql: "UPDATE shares SET state = 'expired', ended_at = expires_at \
                      WHERE state = 'available' AND expires_at <= ?1 AND ?2 = ?2 RETURNING id",
                binds: [now, 0],
                event,
            })
            .await
    }

    async fn expire_stale_uploads(
        &self,
        cutoff: i64,
        now: i64,
        event: EventFor,
    ) -> anyhow::Result<Vec<String>> {
        self.writer
            .apply(Each {
                sql: "UPDATE shares SET state = 'expired', ended_at = ?2 \
                      WHERE state = 'uploading' AND (created_at <= ?1 OR expires_at <= ?2) \
                      RETURNING id",
                binds: [cutoff, now],
                event,
            })
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
        self.writer.apply(Purge { before }).await
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
