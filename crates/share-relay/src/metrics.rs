//! A handful of counters, rendered in the Prometheus text format at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// The relay's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests answered.
    pub http_requests: AtomicU64,
    /// Shares created.
    pub shares_created: AtomicU64,
    /// Uploads completed.
    pub uploads_completed: AtomicU64,
    /// Uploads rejected or interrupted.
    pub uploads_rejected: AtomicU64,
    /// Link views (GET/HEAD).
    pub link_views: AtomicU64,
    /// Claims granted.
    pub claims_granted: AtomicU64,
    /// Claims denied.
    pub claims_denied: AtomicU64,
    /// Content bytes sent.
    pub bytes_served: AtomicU64,
    /// Requests refused by the rate limit.
    pub rate_limited: AtomicU64,
    /// Shares revoked.
    pub shares_revoked: AtomicU64,
}

impl Metrics {
    /// Adds one.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let rows: [(&str, &str, &AtomicU64); 10] = [
            (
                "share_relay_http_requests_total",
                "HTTP requests answered",
                &self.http_requests,
            ),
            (
                "share_relay_shares_created_total",
                "Shares created",
                &self.shares_created,
            ),
            (
                "share_relay_uploads_completed_total",
                "Uploads completed",
                &self.uploads_completed,
            ),
            (
                "share_relay_uploads_rejected_total",
                "Uploads rejected or interrupted",
                &self.uploads_rejected,
            ),
            (
                "share_relay_link_views_total",
                "Link views",
                &self.link_views,
            ),
            (
                "share_relay_claims_granted_total",
                "Claims granted",
                &self.claims_granted,
            ),
            (
                "share_relay_claims_denied_total",
                "Claims denied",
                &self.claims_denied,
            ),
            (
                "share_relay_bytes_served_total",
                "Content bytes sent",
                &self.bytes_served,
            ),
            (
                "share_relay_rate_limited_total",
                "Requests refused by the rate limit",
                &self.rate_limited,
            ),
            (
                "share_relay_shares_revoked_total",
                "Shares revoked",
                &self.shares_revoked,
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in rows {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                value.load(Ordering::Relaxed)
            ));
        }
        out
    }
}
