//! [`Config`]: everything a relay instance needs to start, as plain data.
//!
//! The command line (`cli.rs`) fills it for `share-relay serve`; embedders and tests build
//! one with [`Config::new`], whose defaults are the contract's except that it listens on
//! `127.0.0.1:0` (a free port) so several relays can run side by side.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

/// Where the NDJSON audit stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditTarget {
    /// Appended to this file (created 0600).
    File(PathBuf),
    /// Written to standard output (`--audit-log -`).
    Stdout,
}

/// A token-bucket rate limit: `count` requests per `per`, sustained, bursts up to `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period (and the burst size).
    pub count: u32,
    /// The period.
    pub per: Duration,
}

impl RateLimit {
    /// Parses `N/DUR` (`60/1m`, also `60/m`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let (n, d) = s
            .split_once('/')
            .ok_or_else(|| format!("invalid rate limit `{s}`: expected N/DURATION, e.g. 60/1m"))?;
        let count: u32 = n.trim().parse().ok().filter(|&c| c > 0).ok_or_else(|| {
            format!("invalid rate limit `{s}`: N must be a positive whole number")
        })?;
        let d = d.trim();
        let d = if matches!(d, "s" | "m" | "h" | "d") {
            format!("1{d}")
        } else {
            d.to_owned()
        };
        let per = share_proto::units::parse_duration(&d)
            .map_err(|e| format!("invalid rate limit `{s}`: {e}"))?;
        Ok(Self { count, per })
    }
}

/// PEM files for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
}

/// A relay instance's configuration. Fields are public; [`Config::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--data`: directory of `relay.db`, `blobs/`, `audit.ndjson` and the instance lock.
    pub data_dir: PathBuf,
    /// `--listen`: socket address (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// `--public-url`: origin written into links; derived from the bound address when `None`.
    pub public_url: Option<String>,
    /// `--database-url`: `sqlite://…`; `None` is `sqlite://<data>/relay.db`.
    pub database_url: Option<String>,
    /// `--storage`: `fs:DIR`; `None` is `fs:<data>/blobs`.
    pub storage: Option<String>,
    /// `--max-size`: largest share, bytes of ciphertext.
    pub max_size: u64,
    /// `--default-expiry`.
    pub default_expiry: Duration,
    /// `--max-expiry`.
    pub max_expiry: Duration,
    /// `--max-downloads`: ceiling of a share's download limit.
    pub max_downloads: u32,
    /// `--ticket-window`: how long a claim's ticket may (re)fetch the content.
    pub ticket_window: Duration,
    /// `--keep-records`: how long rows of ended shares and events are kept.
    pub keep_records: Duration,
    /// `--trusted-proxy`: peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `--allow-anonymous`: accept shares without an API key.
    pub allow_anonymous: bool,
    /// `--audit-log`: `None` is `<data>/audit.ndjson`.
    pub audit_log: Option<AuditTarget>,
    /// `--tls-cert`/`--tls-key`.
    pub tls: Option<TlsFiles>,
    /// `--rate-limit`: per client address, over link views and claims.
    pub rate_limit: RateLimit,
    /// `--metrics-listen`: serve `/metrics` there instead of on the main listener.
    pub metrics_listen: Option<SocketAddr>,
    /// How often the sweeper runs (at most a minute; tests shorten it).
    pub sweep_interval: Duration,
    /// An upload receiving no bytes for this long is aborted (60 s).
    pub upload_idle_timeout: Duration,
    /// A temporary object untouched this long is an orphan (2 min).
    pub orphan_after: Duration,
    /// A share still `uploading` this long is removed (1 h).
    pub upload_deadline: Duration,
}

impl Config {
    /// The contract's defaults with data in `data_dir`, listening on `127.0.0.1:0`.
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_path_buf(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            database_url: None,
            storage: None,
            max_size: 5_000_000_000,
            default_expiry: Duration::from_secs(24 * 3600),
            max_expiry: Duration::from_secs(7 * 86_400),
            max_downloads: 100,
            ticket_window: Duration::from_secs(15 * 60),
            keep_records: Duration::from_secs(30 * 86_400),
            trusted_proxies: Vec::new(),
            allow_anonymous: false,
            audit_log: None,
            tls: None,
            rate_limit: RateLimit {
                count: 60,
                per: Duration::from_secs(60),
            },
            metrics_listen: None,
            sweep_interval: Duration::from_secs(30),
            upload_idle_timeout: Duration::from_secs(60),
            orphan_after: Duration::from_secs(120),
            upload_deadline: Duration::from_secs(3600),
        }
    }

    /// The SQLite file, when the database is the default one.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("relay.db")
    }

    /// The audit target after defaults.
    pub fn audit_target(&self) -> AuditTarget {
        self.audit_log
            .clone()
            .unwrap_or_else(|| AuditTarget::File(self.data_dir.join("audit.ndjson")))
    }

    /// Checks combinations that cannot work, before anything is opened.
    pub fn validate(&self) -> Result<(), String> {
        if self.default_expiry > self.max_expiry {
            return Err("--default-expiry is longer than --max-expiry".into());
        }
        if self.max_downloads == 0 {
            return Err("--max-downloads must be at least 1".into());
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "--public-url `{url}` must start with http:// or https://"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits() {
        assert_eq!(
            RateLimit::parse("60/1m").unwrap(),
            RateLimit {
                count: 60,
                per: Duration::from_secs(60)
            }
        );
        assert_eq!(RateLimit::parse("5/s").unwrap().per, Duration::from_secs(1));
        assert!(RateLimit::parse("0/1m").is_err());
        assert!(RateLimit::parse("60").is_err());
        assert!(RateLimit::parse("60/1x").is_err());
    }
}
