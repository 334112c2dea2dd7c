//! The relay's one clock: Unix milliseconds as `i64`, and RFC 3339 renderings of them.
//!
//! With SQLite there is one process and one host, so the host clock is the database's clock;
//! every state check (`expires_at > now`) receives `now` from here as a bound parameter, so a
//! store backed by a shared database can substitute the database's own clock in one place.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A duration in milliseconds, saturating.
pub fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn system_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms.max(0)).unwrap_or(0))
}

/// RFC 3339 in UTC, whole seconds: `2026-11-01T14:02:00Z` (share timestamps).
pub fn rfc3339(ms: i64) -> String {
    humantime::format_rfc3339_seconds(system_time(ms)).to_string()
}

/// RFC 3339 in UTC with milliseconds (audit events, which need ordering).
pub fn rfc3339_ms(ms: i64) -> String {
    humantime::format_rfc3339_millis(system_time(ms)).to_string()
}

/// Parses an RFC 3339 timestamp back into Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339(s).ok()?;
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_ms(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.500Z"), Some(1_500));
    }
}
