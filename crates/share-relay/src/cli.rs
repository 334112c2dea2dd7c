//! The command line, declaratively (clap derive): doc comments are the help text. Every
//! flag has a `SHARE_RELAY_<FLAG>` environment fallback; booleans take `true`/`false` or
//! `1`/`0`, repeatable flags take comma-separated lists. `--data`, `--database-url` and
//! `--audit-log` are global: accepted before or after the subcommand's name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;

use crate::config::{AuditTarget, Config, RateLimit, TlsFiles};

fn size(s: &str) -> Result<u64, String> {
    share_proto::units::parse_size(s).map_err(|e| e.to_string())
}

fn duration(s: &str) -> Result<Duration, String> {
    share_proto::units::parse_duration(s).map_err(|e| e.to_string())
}

fn cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is not a CIDR or an address"))
}

/// The self-hosted link relay of share: one-time and N-time, expiring, revocable, audited
/// links to age ciphertext it cannot decrypt.
#[derive(Debug, Parser)]
#[command(name = "share-relay", version, propagate_version = true)]
pub struct Cli {
    /// Data directory: SQLite file relay.db, blobs/, audit.ndjson.
    #[arg(
        long,
        global = true,
        env = "SHARE_RELAY_DATA",
        value_name = "DIR",
        default_value = "./share-relay-data"
    )]
    pub data: PathBuf,
    /// Database URL (default sqlite://<data>/relay.db).
    #[arg(
        long,
        global = true,
        env = "SHARE_RELAY_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// NDJSON audit stream (default <data>/audit.ndjson; - for stdout).
    #[arg(
        long,
        global = true,
        env = "SHARE_RELAY_AUDIT_LOG",
        value_name = "PATH"
    )]
    pub audit_log: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the relay.
    Serve(Box<ServeArgs>),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// List or revoke shares.
    #[command(subcommand)]
    Shares(SharesCommand),
    /// Show the audit events.
    Audit(AuditArgs),
}

/// `serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Socket address to listen on.
    #[arg(
        long,
        env = "SHARE_RELAY_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Origin written into links (default http://<listen>).
    #[arg(long, env = "SHARE_RELAY_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Ciphertext storage: fs:DIR (default fs:<data>/blobs).
    #[arg(long, env = "SHARE_RELAY_STORAGE", value_name = "URL")]
    pub storage: Option<String>,
    /// Endpoint of a non-AWS S3 store (for --storage s3://; not in this build).
    #[arg(long, env = "SHARE_RELAY_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// Largest share (ciphertext), e.g. 5G, 500M (powers of 1000).
    #[arg(long, env = "SHARE_RELAY_MAX_SIZE", value_name = "BYTES", default_value = "5G", value_parser = size)]
    pub max_size: u64,
    /// Expiry of shares created without one.
    #[arg(long, env = "SHARE_RELAY_DEFAULT_EXPIRY", value_name = "DUR", default_value = "24h", value_parser = duration)]
    pub default_expiry: Duration,
    /// Longest expiry accepted.
    #[arg(long, env = "SHARE_RELAY_MAX_EXPIRY", value_name = "DUR", default_value = "7d", value_parser = duration)]
    pub max_expiry: Duration,
    /// Ceiling of a share's download limit.
    #[arg(
        long,
        env = "SHARE_RELAY_MAX_DOWNLOADS",
        value_name = "N",
        default_value_t = 100
    )]
    pub max_downloads: u32,
    /// How long a claim's ticket may (re)fetch the content.
    #[arg(long, env = "SHARE_RELAY_TICKET_WINDOW", value_name = "DUR", default_value = "15m", value_parser = duration)]
    pub ticket_window: Duration,
    /// How long rows of ended shares (tombstones) and events are kept.
    #[arg(long, env = "SHARE_RELAY_KEEP_RECORDS", value_name = "DUR", default_value = "30d", value_parser = duration)]
    pub keep_records: Duration,
    /// Peers whose X-Forwarded-For is believed (repeatable; comma-separated in the env).
    #[arg(long, env = "SHARE_RELAY_TRUSTED_PROXY", value_name = "CIDR", value_delimiter = ',', value_parser = cidr)]
    pub trusted_proxy: Vec<IpNet>,
    /// Accept uploads without an API key.
    #[arg(long, env = "SHARE_RELAY_ALLOW_ANONYMOUS", value_parser = BoolishValueParser::new(), num_args = 0..=1, default_value = "false", default_missing_value = "true")]
    pub allow_anonymous: bool,
    /// Certificate chain (PEM) to serve HTTPS.
    #[arg(
        long,
        env = "SHARE_RELAY_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) to serve HTTPS.
    #[arg(
        long,
        env = "SHARE_RELAY_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Link views and claims per client address: N/DUR (GCRA; bursts up to N).
    #[arg(long, env = "SHARE_RELAY_RATE_LIMIT", value_name = "N/DUR", default_value = "60/1m", value_parser = RateLimit::parse)]
    pub rate_limit: RateLimit,
    /// Serve /metrics on this address instead of the main one.
    #[arg(long, env = "SHARE_RELAY_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
}

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key and print it once (only its hash is stored).
    Create {
        /// A name for the key (letters, digits, - _ .).
        name: String,
    },
    /// List API keys (names and fingerprints, never the keys).
    List,
    /// Revoke an API key.
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// `shares` subcommands.
#[derive(Debug, Subcommand)]
pub enum SharesCommand {
    /// List shares, newest first.
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one share, every share of one API key, or everything.
    Revoke(RevokeArgs),
}

/// `shares revoke` target.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RevokeArgs {
    /// The share's id.
    pub id: Option<String>,
    /// Every share created with this API key.
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// Every share.
    #[arg(long)]
    pub all: bool,
}

/// `audit` flags.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this share's events.
    #[arg(long, value_name = "ID")]
    pub share: Option<String>,
    /// Only events of the last DUR (e.g. 24h).
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub since: Option<Duration>,
    /// Print NDJSON (one event per line).
    #[arg(long)]
    pub json: bool,
}

impl Cli {
    /// The audit target of the global `--audit-log`.
    pub fn audit_target(&self) -> Option<AuditTarget> {
        self.audit_log.as_deref().map(|p| {
            if p == "-" {
                AuditTarget::Stdout
            } else {
                AuditTarget::File(PathBuf::from(p))
            }
        })
    }

    /// The server configuration of `serve`.
    pub fn serve_config(&self, s: &ServeArgs) -> Config {
        let mut c = Config::new(&self.data);
        c.listen = s.listen;
        c.public_url.clone_from(&s.public_url);
        c.database_url.clone_from(&self.database_url);
        c.storage.clone_from(&s.storage);
        c.max_size = s.max_size;
        c.default_expiry = s.default_expiry;
        c.max_expiry = s.max_expiry;
        c.max_downloads = s.max_downloads;
        c.ticket_window = s.ticket_window;
        c.keep_records = s.keep_records;
        c.trusted_proxies.clone_from(&s.trusted_proxy);
        c.allow_anonymous = s.allow_anonymous;
        c.audit_log = self.audit_target();
        c.tls = match (&s.tls_cert, &s.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        c.rate_limit = s.rate_limit;
        c.metrics_listen = s.metrics_listen;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_args_after_subcommand() {
        let cli = Cli::try_parse_from(["share-relay", "key", "list", "--data", "/x"]).unwrap();
        assert_eq!(cli.data, PathBuf::from("/x"));
        let cli = Cli::try_parse_from(["share-relay", "--data", "/y", "shares", "list", "--json"])
            .unwrap();
        assert_eq!(cli.data, PathBuf::from("/y"));
    }

    #[test]
    fn serve_flags() {
        let cli = Cli::try_parse_from([
            "share-relay",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8,192.168.0.0/16",
            "--trusted-proxy",
            "::1",
            "--max-size",
            "100M",
            "--allow-anonymous",
            "--rate-limit",
            "5/1s",
            "--default-expiry",
            "3s",
        ])
        .unwrap();
        let Command::Serve(s) = &cli.command else {
            panic!()
        };
        let c = cli.serve_config(s);
        assert_eq!(c.trusted_proxies.len(), 3);
        assert_eq!(c.max_size, 100_000_000);
        assert!(c.allow_anonymous);
        assert_eq!(c.rate_limit.count, 5);
        assert_eq!(c.default_expiry, Duration::from_secs(3));
        assert!(Cli::try_parse_from(["share-relay", "serve", "--max-size", "5x"]).is_err());
        assert!(Cli::try_parse_from(["share-relay", "shares", "revoke"]).is_err());
        assert!(Cli::try_parse_from(["share-relay", "shares", "revoke", "abc", "--all"]).is_err());
    }
}
