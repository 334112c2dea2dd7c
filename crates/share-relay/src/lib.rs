//! share-relay: the self-hosted link relay of `share`.
//!
//! It holds age ciphertext it cannot decrypt (this crate never links `age` or any key
//! handling) and gives the sender control over the link: one-time or N-time downloads, a
//! chosen expiry, revocation, address binding, rate limits and an audit trail of every
//! access. The contract is `docs/relay-api.md`; the wire types are in `share_proto::relay`.
//!
//! Layout: [`api`] (thin HTTP handlers), [`policy`] (the pure link state machine),
//! [`store`] (metadata, SQLite), [`blob`] (ciphertext, files), [`audit`] (NDJSON stream and
//! events), [`auth`] (credentials), [`ratelimit`], [`net`] (client address), [`sweeper`],
//! [`admin`] (operator subcommands), [`cli`] (the command line).
//!
//! Embedding (the CLI's tests start relays in-process):
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let relay = share_relay::Relay::start(share_relay::Config::new("/tmp/relay-data")).await?;
//! let key = relay.create_api_key("ci").await?;
//! println!("{} {key}", relay.url());
//! relay.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod blob;
pub mod cli;
pub mod clock;
pub mod config;
pub mod metrics;
pub mod net;
pub mod policy;
pub mod ratelimit;
pub mod store;
pub mod sweeper;

use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

pub use config::{AuditTarget, Config, RateLimit, TlsFiles};

use crate::api::AppState;
use crate::audit::AuditLog;
use crate::blob::BlobStore;
use crate::blob::fs::FsBlobs;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;

/// A configuration or usage problem (exit status 2), as opposed to a runtime failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The storage of a `--data` directory: database, objects, audit stream.
pub struct Backends {
    /// Metadata.
    pub store: Arc<SqliteStore>,
    /// Ciphertext.
    pub blobs: Arc<FsBlobs>,
    /// NDJSON audit stream.
    pub audit: Arc<AuditLog>,
}

/// Creates `dir` (0700) if needed.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// The SQLite file for a `--database-url` (or the default in `data`); refuses backends this
/// build does not have.
pub fn database_file(data: &Path, url: Option<&str>) -> Result<PathBuf, ConfigError> {
    match url {
        None => Ok(data.join("relay.db")),
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            Err(ConfigError(
                "--database-url postgres://… is not supported by this build: it supports SQLite and files only".into(),
            ))
        }
        Some(u) => store::sqlite::path_of_url(u).map(PathBuf::from).ok_or_else(|| {
            ConfigError(format!(
                "--database-url `{}` is not a sqlite:// URL (this build supports SQLite and files only)",
                u.split('@').next_back().unwrap_or("")
            ))
        }),
    }
}

/// The blob directory for a `--storage` (or the default in `data`).
pub fn storage_dir(data: &Path, storage: Option<&str>) -> Result<PathBuf, ConfigError> {
    match storage {
        None => Ok(data.join("blobs")),
        Some(s) if s.starts_with("fs:") && s.len() > 3 => Ok(PathBuf::from(&s[3..])),
        Some(s) if s.starts_with("s3://") || s.starts_with("tflink:") => Err(ConfigError(format!(
            "--storage {} is not supported by this build: it supports SQLite and files only (fs:DIR)",
            if s.starts_with("s3://") {
                "s3://…"
            } else {
                "tflink:…"
            }
        ))),
        Some(s) => Err(ConfigError(format!(
            "--storage `{s}` is not understood; use fs:DIR (this build supports files only)"
        ))),
    }
}

/// Opens the storage of a data directory (for `serve` and the admin subcommands).
pub async fn open_backends(
    data: &Path,
    database_url: Option<&str>,
    storage: Option<&str>,
    audit_target: &AuditTarget,
) -> anyhow::Result<Backends> {
    let db = database_file(data, database_url)?;
    let blob_dir = storage_dir(data, storage)?;
    ensure_data_dir(data)?;
    let store = Arc::new(SqliteStore::open(&db).await?);
    let blobs = Arc::new(FsBlobs::open(&blob_dir)?);
    let audit = Arc::new(AuditLog::open(audit_target)?);
    Ok(Backends {
        store,
        blobs,
        audit,
    })
}

/// Starts relays.
#[derive(Debug)]
pub struct Relay;

/// A started relay; stop it with [`RunningRelay::shutdown`].
pub struct RunningRelay {
    url: String,
    addr: SocketAddr,
    public_url: String,
    state: Arc<AppState>,
    sqlite: Arc<SqliteStore>,
    handle: axum_server::Handle<SocketAddr>,
    metrics_handle: Option<axum_server::Handle<SocketAddr>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    sweeper: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    times: sweeper::SweepTimes,
    _lock: Option<std::fs::File>,
}

impl std::fmt::Debug for RunningRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningRelay")
            .field("url", &self.url)
            .finish()
    }
}

/// Takes the instance lock on the data directory; `None` if another instance holds it.
fn lock_data_dir(data: &Path) -> anyhow::Result<Option<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(data.join("lock"))
        .context("cannot open the lock file")?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(file)),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot lock the data directory: {e}")),
    }
}

impl Relay {
    /// Opens the storage, sweeps once, binds the listener and serves in the background.
    pub async fn start(config: Config) -> anyhow::Result<RunningRelay> {
        config.validate().map_err(ConfigError)?;
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let backends = open_backends(
            &config.data_dir,
            config.database_url.as_deref(),
            config.storage.as_deref(),
            &config.audit_target(),
        )
        .await?;
        let lock = lock_data_dir(&config.data_dir)?;
        if lock.is_some() {
            let n = backends.blobs.clear_temps().await?;
            if n > 0 {
                tracing::info!("cleared {n} temporary objects left by an earlier run");
            }
        } else {
            tracing::warn!(
                "another instance holds the lock on {}; temporary objects are left to the sweeper",
                config.data_dir.display()
            );
        }

        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let url = format!("{scheme}://{addr}");
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| url.clone())
            .trim_end_matches('/')
            .to_owned();

        let store: Arc<dyn Store> = backends.store.clone();
        let blobs: Arc<dyn BlobStore> = backends.blobs.clone();
        let state = Arc::new(AppState {
            store,
            blobs,
            audit: backends.audit.clone(),
            limiter: ratelimit::Limiter::new(config.rate_limit),
            limits: policy::Limits {
                max_size: config.max_size,
                default_expiry_ms: clock::ms(config.default_expiry),
                max_expiry_ms: clock::ms(config.max_expiry),
                max_downloads: config.max_downloads,
            },
            public_url: public_url.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            allow_anonymous: config.allow_anonymous,
            ticket_window: config.ticket_window,
            upload_idle_timeout: config.upload_idle_timeout,
            metrics: metrics::Metrics::default(),
            uploading: Default::default(),
            revoked: Default::default(),
        });

        let times = sweeper::SweepTimes {
            orphan_after: config.orphan_after,
            upload_deadline: config.upload_deadline,
            keep_records: config.keep_records,
        };
        sweeper::sweep(&state, times).await;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let interval = config.sweep_interval.min(Duration::from_secs(60));
        let sweeper = tokio::spawn(sweeper::run(state.clone(), times, interval, stop_rx));

        let app = api::router(state.clone(), config.metrics_listen.is_none())
            .into_make_service_with_connect_info::<SocketAddr>();
        let handle = axum_server::Handle::new();
        let server = match &config.tls {
            None => {
                let srv = axum_server::from_tcp(listener)?.handle(handle.clone());
                tokio::spawn(async move { srv.serve(app).await })
            }
            Some(tls) => {
                let rustls =
                    axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                        .await
                        .map_err(|e| {
                            ConfigError(format!(
                                "cannot load --tls-cert {} / --tls-key {}: {e}",
                                tls.cert.display(),
                                tls.key.display()
                            ))
                        })?;
                let srv = axum_server::tls_rustls::from_tcp_rustls(listener, rustls)?
                    .handle(handle.clone());
                tokio::spawn(async move { srv.serve(app).await })
            }
        };
        let metrics_handle = match config.metrics_listen {
            None => None,
            Some(maddr) => {
                let l = std::net::TcpListener::bind(maddr)
                    .with_context(|| format!("cannot listen on --metrics-listen {maddr}"))?;
                l.set_nonblocking(true)?;
                let h = axum_server::Handle::new();
                let srv = axum_server::from_tcp(l)?.handle(h.clone());
                let app = api::metrics_router(state.clone())
                    .into_make_service_with_connect_info::<SocketAddr>();
                tokio::spawn(async move { srv.serve(app).await });
                Some(h)
            }
        };
        Ok(RunningRelay {
            url,
            addr,
            public_url,
            state,
            sqlite: backends.store,
            handle,
            metrics_handle,
            server,
            sweeper,
            stop,
            times,
            _lock: lock,
        })
    }
}

impl RunningRelay {
    /// The base URL clients reach it at, e.g. `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origin written into links.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Creates an API key named `name` and returns it.
    pub async fn create_api_key(&self, name: &str) -> anyhow::Result<String> {
        admin::create_key(self.state.store.as_ref(), &self.state.audit, name).await
    }

    /// Runs one sweeper pass now.
    pub async fn sweep_now(&self) {
        sweeper::sweep(&self.state, self.times).await;
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s), stops the sweeper and
    /// closes the database.
    pub async fn shutdown(self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        if let Some(h) = &self.metrics_handle {
            h.graceful_shutdown(Some(Duration::from_secs(1)));
        }
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.sweeper.await;
        self.sqlite.close().await;
    }
}
