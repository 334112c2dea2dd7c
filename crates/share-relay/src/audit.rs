//! The audit trail's NDJSON stream, and the builder of audit [`Event`]s.
//!
//! Each event is one line with every key present (`null` where it does not apply; the
//! [`Event`] type has no optional keys), written with a single `write` on a file opened for
//! appending (0600), so lines from the server and from admin subcommands running at the same
//! time do not interleave. The same event is a row of the `events` table, inserted by the
//! store in the transaction of the change it records; the line is appended after that commit.
//! Events carry credential fingerprints only, and user agents cut to 200 characters.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::Mutex;

use anyhow::Context as _;
use share_proto::relay::{Event, EventKind, Outcome};

use crate::clock;
use crate::config::AuditTarget;

/// Longest `user_agent` kept, in characters.
pub const MAX_USER_AGENT: usize = 200;

/// A fresh event at the current time, every optional field `null`.
pub fn event(kind: EventKind, outcome: Outcome) -> Event {
    Event {
        at: clock::rfc3339_ms(clock::now_ms()),
        event: kind,
        share: None,
        token: None,
        outcome,
        reason: None,
        ip: None,
        user_agent: None,
        bytes: None,
        complete: None,
        key: None,
        request_id: None,
    }
}

/// A user agent cut to [`MAX_USER_AGENT`] characters, control characters replaced.
pub fn clip_user_agent(ua: &str) -> String {
    ua.chars()
        .take(MAX_USER_AGENT)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

enum Sink {
    File(std::fs::File),
    Stdout,
}

/// The NDJSON stream.
pub struct AuditLog {
    sink: Mutex<Sink>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Opens the stream for appending.
    pub fn open(target: &AuditTarget) -> anyhow::Result<Self> {
        let sink = match target {
            AuditTarget::Stdout => Sink::Stdout,
            AuditTarget::File(path) => Sink::File(
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("cannot open the audit log {}", path.display()))?,
            ),
        };
        Ok(Self {
            sink: Mutex::new(sink),
        })
    }

    /// Appends one event as one line. A failing audit stream is logged, not fatal: the
    /// `events` table already holds the event.
    pub fn emit(&self, event: &Event) {
        let mut line = match serde_json::to_vec(event) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot serialise an audit event: {e}");
                return;
            }
        };
        line.push(b'\n');
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        let result = match &mut *sink {
            Sink::File(f) => f.write_all(&line),
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(&line).and_then(|()| out.flush())
            }
        };
        if let Err(e) = result {
            tracing::error!("cannot write the audit log: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips() {
        let long = "x".repeat(500);
        assert_eq!(clip_user_agent(&long).chars().count(), 200);
        assert_eq!(clip_user_agent("a\nb"), "a?b");
    }
}
