//! A real share-relay, in process on 127.0.0.1:0 with SQLite in a temporary directory, on
//! its own runtime thread so the synchronous tests can drive the `share` binary against it.

use std::path::PathBuf;
use std::time::Duration;

pub struct TestRelay {
    pub url: String,
    pub key: String,
    pub data: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
    running: Option<share_relay::RunningRelay>,
}

impl TestRelay {
    pub fn start() -> TestRelay {
        TestRelay::start_with(|_| {})
    }

    /// A relay whose configuration `adjust` may change first.
    pub fn start_with(adjust: impl FnOnce(&mut share_relay::Config)) -> TestRelay {
        let data = tempfile::tempdir().unwrap();
        let mut config = share_relay::Config::new(data.path());
        config.rate_limit = share_relay::config::RateLimit {
            count: 10_000,
            per: Duration::from_secs(1),
        };
        adjust(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = runtime.block_on(share_relay::Relay::start(config)).unwrap();
        let key = runtime.block_on(running.create_api_key("alice")).unwrap();
        TestRelay {
            url: running.url(),
            key,
            data,
            runtime: Some(runtime),
            running: Some(running),
        }
    }

    /// The relay's audit stream.
    pub fn audit_path(&self) -> PathBuf {
        self.data.path().join("audit.ndjson")
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let (Some(runtime), Some(running)) = (self.runtime.take(), self.running.take()) {
            runtime.block_on(running.shutdown());
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
