//! The real `share-relay` binary: kill -9 and restart on the same data directory, the
//! admin subcommands, exit statuses, flat memory while streaming, and log lines free of
//! credentials at the most verbose level.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{age_bytes, client, token_of};

const BIN: &str = env!("CARGO_BIN_EXE_share-relay");

struct Proc {
    child: Child,
    url: String,
}

fn spawn(data: &Path, extra: &[&str]) -> Proc {
    spawn_logging(data, extra, None).0
}

/// Starts `serve`; with `level` (`RUST_LOG`), also returns a thread that collects the
/// relay's whole stderr until it exits.
fn spawn_logging(
    data: &Path,
    extra: &[&str],
    level: Option<&str>,
) -> (Proc, std::thread::JoinHandle<String>) {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra);
    match level {
        Some(l) => cmd.env("RUST_LOG", l),
        None => cmd.env_remove("RUST_LOG"),
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Lines as bytes, so that no invalid UTF-8 can stop the draining of its stderr.
    let mut lines = BufReader::new(child.stderr.take().unwrap())
        .split(b'\n')
        .map_while(Result::ok)
        .map(|l| String::from_utf8_lossy(&l).into_owned());
    let mut log = String::new();
    let url = loop {
        let line = lines.next().expect("relay exited before listening");
        log.push_str(&line);
        log.push('\n');
        if let Some(rest) = line.strip_prefix("share-relay: listening on ") {
            break rest.split(' ').next().unwrap().to_owned();
        }
    };
    let rest = std::thread::spawn(move || {
        for line in lines {
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    (Proc { child, url }, rest)
}

fn admin(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn create(
    http: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    size: usize,
    downloads: u32,
) -> Value {
    let mut req = http
        .post(format!("{url}/api/v1/shares"))
        .json(&json!({"size": size, "max_downloads": downloads}));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn put(http: &reqwest::Client, share: &Value, body: Vec<u8>) -> StatusCode {
    http.put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn claim(http: &reqwest::Client, url: &str, link: &str) -> (StatusCode, Value) {
    let res = http
        .post(format!("{url}/api/v1/claims"))
        .json(&json!({"token": token_of(link)}))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn kill_9_mid_upload_and_between_claim_and_download() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let http = client();
    let mut p = spawn(&data, &["--allow-anonymous"]);

    // A share claimed but not yet downloaded when the relay dies.
    let claimed = create(&http, &p.url, None, 5000, 1).await;
    assert_eq!(
        put(&http, &claimed, age_bytes(5000)).await,
        StatusCode::NO_CONTENT
    );
    let (s, ticket) = claim(&http, &p.url, claimed["link"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::CREATED);

    // An upload in flight when the relay dies.
    let half = create(&http, &p.url, None, 100_000, 1).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(age_bytes(50_000))).await.unwrap();
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let req = http
        .put(half["upload_url"].as_str().unwrap())
        .bearer_auth(half["manage_token"].as_str().unwrap())
        .body(body)
        .send();
    let pending = tokio::spawn(req);
    let tmp = data.join("blobs/tmp");
    assert!(
        crate::support::eventually(|| std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) == 1)
            .await
    );
    p.child.kill().unwrap(); // SIGKILL
    p.child.wait().unwrap();
    drop(tx);
    let _ = pending.await;
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        1,
        "the temp object outlived the crash"
    );

    let p = spawn(&data, &["--allow-anonymous"]);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "cleared at start-up"
    );
    // The interrupted share is still uploading: invisible, and the upload may be retried.
    let view = http
        .get(
            half["link"]
                .as_str()
                .unwrap()
                .replace(&url_origin(half["link"].as_str().unwrap()), &p.url),
        )
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), StatusCode::NOT_FOUND);
    let retry = json!({"upload_url": half["upload_url"].as_str().unwrap().replace(&url_origin(half["upload_url"].as_str().unwrap()), &p.url), "manage_token": half["manage_token"]});
    assert_eq!(
        put(&http, &retry, age_bytes(100_000)).await,
        StatusCode::NO_CONTENT
    );

    // The claimed share is not served twice; its ticket survived.
    let (s, v) = claim(&http, &p.url, claimed["link"].as_str().unwrap()).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("consumed"))
    );
    let content = ticket["content_url"]
        .as_str()
        .unwrap()
        .replace(&url_origin(ticket["content_url"].as_str().unwrap()), &p.url);
    let res = http.get(&content).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), age_bytes(5000));
    stop(p);
}

fn url_origin(u: &str) -> String {
    let after = u.find("://").unwrap() + 3;
    let end = u[after..].find('/').map_or(u.len(), |i| after + i);
    u[..end].to_owned()
}

fn stop(mut p: Proc) {
    let _ = p.child.kill();
    let _ = p.child.wait();
}

#[tokio::test]
async fn admin_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, key, _) = admin(&data, &["key", "create", "alice"]);
    assert_eq!(code, 0);
    let key = key.trim().to_owned();
    assert!(key.starts_with("sr_") && key.len() == 46, "{key}");
    let (code, _, err) = admin(&data, &["key", "create", "alice"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(admin(&data, &["key", "create", "bob"]).0, 0);
    let (code, list, _) = admin(&data, &["key", "list"]);
    assert_eq!(code, 0);
    assert!(list.contains("alice") && list.contains("bob") && !list.contains(&key));

    let p = spawn(&data, &[]);
    let http = client();
    let a = create(&http, &p.url, Some(&key), 100, 1).await;
    let b = create(&http, &p.url, Some(&key), 100, 3).await;
    assert_eq!(put(&http, &a, age_bytes(100)).await, StatusCode::NO_CONTENT);

    let (code, out, _) = admin(&data, &["shares", "list", "--json"]);
    assert_eq!(code, 0);
    let list: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 2);
    for s in &list {
        let o = s.as_object().unwrap();
        for k in [
            "id",
            "state",
            "created_at",
            "expires_at",
            "max_downloads",
            "downloads_left",
            "size",
            "key",
        ] {
            assert!(o.contains_key(k), "{k}");
        }
        assert_eq!(s["key"], "alice");
    }
    assert!(
        list.iter()
            .any(|s| s["id"] == a["id"] && s["state"] == "available")
    );
    assert!(
        list.iter()
            .any(|s| s["id"] == b["id"] && s["state"] == "uploading")
    );

    let (code, _, err) = admin(&data, &["shares", "revoke", "--key", "alice"]);
    assert_eq!(code, 0, "{err}");
    let (s, v) = claim(&http, &p.url, a["link"].as_str().unwrap()).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("revoked"))
    );
    assert!(!data.join("blobs").join(a["id"].as_str().unwrap()).exists());

    let (code, out, _) = admin(
        &data,
        &["audit", "--json", "--share", a["id"].as_str().unwrap()],
    );
    assert_eq!(code, 0);
    let kinds: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        kinds.contains(&"share.revoked".to_owned())
            && kinds.contains(&"content.deleted".to_owned()),
        "{kinds:?}"
    );
    let (code, out, _) = admin(
        &data,
        &["--data", data.to_str().unwrap(), "audit", "--since", "1h"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("key.created"));
    let ndjson = std::fs::read_to_string(data.join("audit.ndjson")).unwrap();
    assert!(
        ndjson.contains("\"key.created\"") && ndjson.contains("\"share.revoked\""),
        "admin events reach the NDJSON stream"
    );

    assert_eq!(admin(&data, &["key", "revoke", "alice"]).0, 0);
    let res = http
        .post(format!("{}/api/v1/shares", p.url))
        .bearer_auth(&key)
        .json(&json!({"size": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(admin(&data, &["key", "revoke", "nobody"]).0, 2);
    let (code, _, _) = admin(&data, &["shares", "revoke", "--all"]);
    assert_eq!(code, 0);
    assert_eq!(admin(&data, &["shares", "revoke", "nosuchid"]).0, 1);
    stop(p);
}

#[test]
fn usage_and_config_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, _, err) = admin(&data, &["shares", "revoke"]);
    assert_eq!(code, 2, "{err}");
    for (flag, value) in [
        ("--database-url", "postgres://u:p@db/relay"),
        ("--storage", "s3://bucket/prefix"),
        ("--storage", "tflink:https://tmpfile.link"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", flag, value, "--data"])
            .arg(&data)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("SQLite and files only"), "{err}");
        assert!(!err.contains("u:p"), "no credentials echoed: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = Command::new(BIN)
        .args(["serve", "--max-size", "5x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--default-expiry",
            "8d",
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("SHARE_RELAY_ALLOW_ANONYMOUS", "maybe")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn env_fallbacks_and_default_data_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("SHARE_RELAY_DATA", &data)
        .env("SHARE_RELAY_ALLOW_ANONYMOUS", "1")
        .env("SHARE_RELAY_MAX_SIZE", "1M")
        .env("SHARE_RELAY_TRUSTED_PROXY", "10.0.0.0/8,192.168.0.0/16")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("share-relay: listening on ") {
            break rest.split(' ').next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let info: Value = client()
        .get(format!("{url}/api/v1/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["anonymous"], true);
    assert_eq!(info["max_size"], 1_000_000);
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn large_streams_keep_memory_flat() {
    const SIZE: usize = 256 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = spawn(&data, &["--allow-anonymous", "--max-size", "1G"]);
    let http = client();
    let share = create(&http, &p.url, None, SIZE, 1).await;
    let chunk = age_bytes(1 << 20);
    let mut first = chunk.clone();
    first[..22].copy_from_slice(b"age-encryption.org/v1\n");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..SIZE >> 20)
        .map(|i| Ok(if i == 0 { first.clone() } else { chunk.clone() }))
        .collect();
    let res = http
        .put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .header("content-length", SIZE.to_string())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (s, c) = claim(&http, &p.url, share["link"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut res = http
        .get(c["content_url"].as_str().unwrap())
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    let mut n = 0usize;
    while let Some(b) = res.chunk().await.unwrap() {
        n += b.len();
    }
    assert_eq!(n, SIZE);
    let peak = peak_rss_kib(p.child.id());
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
    stop(p);
}

/// The forms a credential could leak in: as sent (base64url, `sr_…` for API keys), its
/// bytes in standard base64 and in hex, and its full SHA-256 (what the database keeps; a
/// log line may show only the 12-hex fingerprint).
fn leak_forms(raw: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.strip_prefix("sr_").unwrap_or(raw))
        .unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        raw.to_owned(),
        STANDARD.encode(&bytes),
        hex.clone(),
        hex.to_uppercase(),
        share_relay::auth::hash(raw),
    ]
}

/// No log line carries a credential: the real binary at its most verbose level (`trace`)
/// serves creates, uploads, views, claims, fetches, completions, revocations and refused
/// credentials of every kind, and neither its stderr nor the `key create` subcommand's
/// shows any of them in any form, only fingerprints.
#[tokio::test]
async fn no_raw_token_in_log_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, key, key_stderr) = admin(&data, &["key", "create", "ci"]);
    assert_eq!(code, 0);
    let key = key.trim().to_owned();
    let (p, log) = spawn_logging(&data, &[], Some("trace"));
    let http = client();
    let url = p.url.clone();
    let origin = |u: &str| u.replace(&url_origin(u), &url);

    // Credentials the relay does not know, each presented where it would be used.
    let wrong_key = share_relay::auth::new_api_key().expose().to_owned();
    let wrong_manage = share_relay::auth::new_token().expose().to_owned();
    let unknown_link = share_relay::auth::new_token().expose().to_owned();
    let unknown_ticket = share_relay::auth::new_token().expose().to_owned();
    let res = http
        .post(format!("{url}/api/v1/shares"))
        .bearer_auth(&wrong_key)
        .json(&json!({"size": 64}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let share = create(&http, &url, Some(&key), 64, 2).await;
    let id = share["id"].as_str().unwrap();
    let manage = share["manage_token"].as_str().unwrap().to_owned();
    let link = share["link"].as_str().unwrap().to_owned();
    let status_url = format!("{url}/api/v1/shares/{id}");
    let res = http
        .put(origin(share["upload_url"].as_str().unwrap()))
        .bearer_auth(&wrong_manage)
        .body(age_bytes(64))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        put(&http, &share, age_bytes(64)).await,
        StatusCode::NO_CONTENT
    );
    for token in [&manage, &wrong_manage] {
        http.get(&status_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
    }

    // The link: JSON and HTML views, HEAD, OPTIONS, and an unknown link.
    for accept in ["application/json", "text/html"] {
        let res = http
            .get(origin(&link))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    http.head(origin(&link)).send().await.unwrap();
    http.request(reqwest::Method::OPTIONS, origin(&link))
        .send()
        .await
        .unwrap();
    let unknown = http
        .get(format!("{url}/s/{unknown_link}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Claims: granted, unknown, and not JSON.
    let (s, first) = claim(&http, &url, &link).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = claim(&http, &url, &format!("{url}/s/{unknown_link}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    http.post(format!("{url}/api/v1/claims"))
        .header("content-type", "text/plain")
        .body(format!("{{\"token\": \"{}\"}}", token_of(&link)))
        .send()
        .await
        .unwrap();

    // The ticket: a fetch, a range, completion, then fetches of a completed and an
    // unknown ticket.
    let ticket = first["ticket"].as_str().unwrap().to_owned();
    let content = origin(first["content_url"].as_str().unwrap());
    let res = http.get(&content).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), age_bytes(64));
    http.get(&content)
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    let res = http
        .post(format!("{url}/api/v1/claims/{ticket}/complete"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        http.get(&content).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    http.get(format!("{url}/api/v1/claims/{unknown_ticket}/content"))
        .send()
        .await
        .unwrap();

    // A second claim, a refused and an accepted revocation, and its ticket after that.
    let (s, second) = claim(&http, &url, &link).await;
    assert_eq!(s, StatusCode::CREATED);
    let second_ticket = second["ticket"].as_str().unwrap().to_owned();
    for (token, expect) in [
        (&wrong_manage, StatusCode::UNAUTHORIZED),
        (&manage, StatusCode::NO_CONTENT),
    ] {
        let res = http
            .delete(&status_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expect);
    }
    let res = http
        .get(origin(second["content_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::GONE);

    stop(p);
    let log = log.join().unwrap();
    let secrets = [
        ("API key", &key),
        ("link token", &token_of(&link)),
        ("manage token", &manage),
        ("ticket", &ticket),
        ("second ticket", &second_ticket),
        ("wrong API key", &wrong_key),
        ("wrong manage token", &wrong_manage),
        ("unknown link token", &unknown_link),
        ("unknown ticket", &unknown_ticket),
    ];
    for (name, raw) in secrets {
        for form in leak_forms(raw) {
            assert!(
                !log.contains(&form),
                "the log shows the {name} ({form}):\n{log}"
            );
            assert!(
                !key_stderr.contains(&form),
                "`key create` shows the {name} on stderr: {key_stderr}"
            );
        }
    }
    // The requests were logged, verbosely, with fingerprints in place of the tokens.
    let fp = share_relay::auth::fingerprint;
    for expected in [
        format!("/s/~{}", fp(&token_of(&link))),
        format!("/api/v1/claims/~{}/content", fp(&ticket)),
        format!("/api/v1/claims/~{}/complete", fp(&ticket)),
        format!("/api/v1/claims/~{}/content", fp(&unknown_ticket)),
        format!("/api/v1/shares/{id}"),
    ] {
        assert!(
            log.contains(&expected),
            "no request line with {expected}:\n{log}"
        );
    }
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "not verbose:\n{log}"
    );
}
