//! Shared helpers: in-process relays on 127.0.0.1:0 in temporary directories, a plain
//! reqwest client, age-shaped payloads and the create/upload/claim steps.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use share_relay::{Config, Relay, RunningRelay};

pub struct TestRelay {
    pub dir: tempfile::TempDir,
    pub relay: RunningRelay,
    pub key: String,
    pub http: reqwest::Client,
}

impl TestRelay {
    pub fn url(&self) -> String {
        self.relay.url()
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub async fn stop(self) -> tempfile::TempDir {
        self.relay.shutdown().await;
        self.dir
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A relay with generous limits unless `tweak` says otherwise.
pub async fn relay_with(tweak: impl FnOnce(&mut Config)) -> TestRelay {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::new(dir.path().join("data"));
    cfg.rate_limit = share_relay::RateLimit {
        count: 100_000,
        per: Duration::from_secs(1),
    };
    cfg.sweep_interval = Duration::from_secs(1);
    tweak(&mut cfg);
    let relay = Relay::start(cfg).await.unwrap();
    let key = relay.create_api_key("test").await.unwrap();
    TestRelay {
        dir,
        relay,
        key,
        http: client(),
    }
}

pub async fn relay() -> TestRelay {
    relay_with(|_| {}).await
}

/// `size` bytes starting with the age header.
pub fn age_bytes(size: usize) -> Vec<u8> {
    let mut v = b"age-encryption.org/v1\n".to_vec();
    let mut x: u32 = 12345;
    while v.len() < size {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        v.push((x >> 16) as u8);
    }
    v.truncate(size);
    v
}

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

pub async fn create(t: &TestRelay, body: Value) -> (StatusCode, Value) {
    let res = t
        .http
        .post(format!("{}/api/v1/shares", t.url()))
        .bearer_auth(&t.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

pub async fn upload(t: &TestRelay, share: &Value, bytes: Vec<u8>) -> (StatusCode, Value) {
    let res = t
        .http
        .put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates and uploads a share of `size` bytes with extra create fields.
pub async fn ready_share(t: &TestRelay, size: usize, extra: Value) -> (Value, Vec<u8>) {
    let mut body = json!({"size": size});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    let (status, share) = create(t, body).await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    let bytes = age_bytes(size);
    let (status, err) = upload(t, &share, bytes.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{err}");
    (share, bytes)
}

pub async fn view(t: &TestRelay, link: &str) -> (StatusCode, Value) {
    let res = t
        .http
        .get(link)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

pub async fn claim(t: &TestRelay, link: &str) -> (StatusCode, Value) {
    claim_raw(&t.http, &t.url(), &token_of(link)).await
}

pub async fn claim_raw(http: &reqwest::Client, base: &str, token: &str) -> (StatusCode, Value) {
    let res = http
        .post(format!("{base}/api/v1/claims"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

pub async fn fetch(t: &TestRelay, claim: &Value) -> (StatusCode, Vec<u8>) {
    let res = t
        .http
        .get(claim["content_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

pub async fn status_of(t: &TestRelay, share: &Value) -> Value {
    let res = t
        .http
        .get(format!(
            "{}/api/v1/shares/{}",
            t.url(),
            share["id"].as_str().unwrap()
        ))
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

pub async fn revoke(t: &TestRelay, share: &Value) -> StatusCode {
    t.http
        .delete(format!(
            "{}/api/v1/shares/{}",
            t.url(),
            share["id"].as_str().unwrap()
        ))
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .status()
}

/// Events of the NDJSON stream.
pub fn audit_lines(t: &TestRelay) -> Vec<Value> {
    let text = std::fs::read_to_string(t.data().join("audit.ndjson")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

pub fn temp_objects(t: &TestRelay) -> usize {
    std::fs::read_dir(t.data().join("blobs/tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Polls `f` until true or 5 s pass.
pub async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}
