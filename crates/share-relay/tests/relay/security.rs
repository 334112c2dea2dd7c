//! Ceilings, credentials, address binding, rate limits, headers, and what the audit stream
//! and the database may contain.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn ceilings_and_malformed_creates() {
    let t = relay_with(|c| {
        c.max_size = 10_000;
        c.max_expiry = Duration::from_secs(3600);
        c.default_expiry = Duration::from_secs(1800);
        c.max_downloads = 5;
    })
    .await;
    let info: Value = t
        .http
        .get(format!("{}/api/v1/info", t.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        info,
        json!({"version": 1, "relay": "share-relay", "max_size": 10_000, "default_expiry_seconds": 1800, "max_expiry_seconds": 3600, "max_downloads": 5, "anonymous": false})
    );
    let (s, v) = create(&t, json!({"size": 10_001})).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&v, "too_large");
    let (s, v) = create(&t, json!({"size": 100, "expires_in": 3601})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "policy");
    let (s, v) = create(&t, json!({"size": 100, "max_downloads": 6})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "policy");
    let (s, share) = create(
        &t,
        json!({"size": 100, "max_downloads": 5, "expires_in": 3600}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{share}");
    for bad in [
        json!({"size": 3}),
        json!({"size": 100, "max_downloads": 0}),
        json!({"size": 100, "allow_ips": ["nope"]}),
        json!({"nosize": 1}),
        json!({"size": -1}),
    ] {
        let (s, v) = create(&t, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "bad_request");
    }
    let res = t
        .http
        .post(format!("{}/api/v1/shares", t.url()))
        .bearer_auth(&t.key)
        .body("{\"size\":100}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "JSON content type required"
    );
    let denials = audit_lines(&t)
        .into_iter()
        .filter(|e| e["event"] == "share.created" && e["outcome"] == "denied")
        .count();
    assert!(denials >= 3);
    t.stop().await;
}

#[tokio::test]
async fn credentials_are_checked() {
    let t = relay().await;
    let url = format!("{}/api/v1/shares", t.url());
    let res = t
        .http
        .post(&url)
        .json(&json!({"size": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.unwrap(), "unauthorized");
    let res = t
        .http
        .post(&url)
        .bearer_auth("sr_wrongwrongwrongwrongwrongwrongwrongwrongwro")
        .json(&json!({"size": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (share, _) = ready_share(&t, 64, json!({})).await;
    let id = share["id"].as_str().unwrap();
    let base = format!("{}/api/v1/shares/{id}", t.url());
    for req in [
        t.http.get(&base),
        t.http.delete(&base),
        t.http.put(format!("{base}/content")).body(age_bytes(64)),
    ] {
        let res = req
            .bearer_auth("not-the-manage-token")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_error(&res.json().await.unwrap(), "unauthorized");
    }
    let res = t.http.get(&base).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = t
        .http
        .get(format!("{}/api/v1/shares/nosuchshare", t.url()))
        .bearer_auth("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        view(&t, share["link"].as_str().unwrap()).await.0,
        StatusCode::OK,
        "still there"
    );
    assert!(
        audit_lines(&t)
            .iter()
            .any(|e| e["event"] == "share.revoked" && e["reason"] == "unauthorized")
    );
    // Unknown links and tickets.
    let (s, v) = view(&t, &format!("{}/s/{}", t.url(), "A".repeat(43))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let (s, _) = claim_raw(&t.http, &t.url(), "short").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = t
        .http
        .get(format!(
            "{}/api/v1/claims/{}/content",
            t.url(),
            "B".repeat(43)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Claims must be JSON.
    let res = t
        .http
        .post(format!("{}/api/v1/claims", t.url()))
        .body(format!(
            "{{\"token\":\"{}\"}}",
            token_of(share["link"].as_str().unwrap())
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json().await.unwrap(), "bad_request");
    let res = t
        .http
        .post(format!("{}/api/v1/claims", t.url()))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        view(&t, share["link"].as_str().unwrap()).await.1["downloads_left"],
        1
    );
    // Revoked API keys stop working.
    let key2 = t.relay.create_api_key("second").await.unwrap();
    assert!(
        t.relay.create_api_key("second").await.is_err(),
        "names are unique"
    );
    let store_path = t.data();
    let b = share_relay::open_backends(
        &store_path,
        None,
        None,
        &share_relay::AuditTarget::File(store_path.join("audit.ndjson")),
    )
    .await
    .unwrap();
    share_relay::admin::revoke_key(b.store.as_ref(), &b.audit, "second")
        .await
        .unwrap();
    let res = t
        .http
        .post(&url)
        .bearer_auth(&key2)
        .json(&json!({"size": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn anonymous_relay_takes_shares_without_a_key() {
    let t = relay_with(|c| c.allow_anonymous = true).await;
    let res = t
        .http
        .post(format!("{}/api/v1/shares", t.url()))
        .json(&json!({"size": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let info: Value = t
        .http
        .get(format!("{}/api/v1/info", t.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["anonymous"], true);
    t.stop().await;
}

#[tokio::test]
async fn allow_ips_and_forwarded_for() {
    // Untrusted peer: X-Forwarded-For is ignored.
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"allow_ips": ["10.0.0.0/8"]})).await;
    assert_eq!(share["allow_ips"], json!(["10.0.0.0/8"]));
    let link = share["link"].as_str().unwrap();
    let (s, v) = view(&t, link).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "ip_not_allowed");
    let res = t
        .http
        .post(format!("{}/api/v1/claims", t.url()))
        .header("x-forwarded-for", "10.1.2.3")
        .json(&json!({"token": token_of(link)}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "spoofed X-Forwarded-For from an untrusted peer"
    );
    let (share2, _) = ready_share(&t, 64, json!({"allow_ips": ["127.0.0.1"]})).await;
    assert_eq!(share2["allow_ips"], json!(["127.0.0.1/32"]));
    assert_eq!(
        claim(&t, share2["link"].as_str().unwrap()).await.0,
        StatusCode::CREATED
    );
    assert!(audit_lines(&t).iter().any(|e| e["event"] == "claim.denied"
        && e["reason"] == "ip_not_allowed"
        && e["ip"] == "127.0.0.1"));
    t.stop().await;

    // Trusted proxy: the right-most untrusted entry is the client.
    let t = relay_with(|c| c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let (share, _) = ready_share(&t, 64, json!({"allow_ips": ["10.0.0.0/8"]})).await;
    let link = share["link"].as_str().unwrap();
    let res = t
        .http
        .get(link)
        .header("accept", "application/json")
        .header("x-forwarded-for", "10.9.9.9, 127.0.0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = t
        .http
        .get(link)
        .header("accept", "application/json")
        .header("x-forwarded-for", "10.9.9.9, 8.8.8.8")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the client cannot prepend its own entry"
    );
    let res = t
        .http
        .post(format!("{}/api/v1/claims", t.url()))
        .header("x-forwarded-for", "10.1.2.3")
        .json(&json!({"token": token_of(link)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let c: Value = res.json().await.unwrap();
    let url = c["content_url"].as_str().unwrap();
    assert_eq!(
        t.http.get(url).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "allow_ips applies to content too"
    );
    assert_eq!(
        t.http
            .get(url)
            .header("x-forwarded-for", "10.1.2.3")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert!(
        audit_lines(&t)
            .iter()
            .any(|e| e["event"] == "claim.granted" && e["ip"] == "10.1.2.3")
    );
    t.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let t = relay_with(|c| {
        c.rate_limit = share_relay::RateLimit {
            count: 3,
            per: Duration::from_secs(60),
        }
    })
    .await;
    let missing = format!("{}/s/{}", t.url(), "C".repeat(43));
    for _ in 0..2 {
        assert_eq!(view(&t, &missing).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        claim_raw(&t.http, &t.url(), "guess").await.0,
        StatusCode::NOT_FOUND,
        "404s count"
    );
    let res = t
        .http
        .get(&missing)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "20");
    assert_error(&res.json().await.unwrap(), "rate_limited");
    let (s, _) = claim_raw(&t.http, &t.url(), "guess").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Other endpoints are not limited.
    assert_eq!(
        t.http
            .get(format!("{}/api/v1/info", t.url()))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let limited = audit_lines(&t)
        .into_iter()
        .filter(|e| e["event"] == "rate.limited")
        .collect::<Vec<_>>();
    assert_eq!(limited.len(), 1, "one event per limited period");
    assert_eq!(limited[0]["reason"], "rate_limited");
    t.stop().await;
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({})).await;
    let u = t.url();
    let reqs = vec![
        t.http.get(format!("{u}/api/v1/info")),
        t.http.get(format!("{u}/healthz")),
        t.http.get(format!("{u}/readyz")),
        t.http.get(format!("{u}/metrics")),
        t.http.get(format!("{u}/no/such/path")),
        t.http.patch(format!("{u}/api/v1/info")),
        t.http
            .get(share["link"].as_str().unwrap())
            .header("accept", "text/html"),
        t.http.head(share["link"].as_str().unwrap()),
        t.http.get(format!("{u}/s/missing")),
        t.http
            .post(format!("{u}/api/v1/shares"))
            .json(&json!({"size": 1})),
        t.http.post(format!("{u}/api/v1/claims")).body("x"),
        t.http.get(format!(
            "{u}/api/v1/shares/{}",
            share["id"].as_str().unwrap()
        )),
    ];
    for r in reqs {
        let res = r.send().await.unwrap();
        let h = res.headers();
        let what = format!("{} {}", res.status(), res.url());
        assert_eq!(h["cache-control"], "no-store", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert!(h.contains_key("x-request-id"), "{what}");
    }
    let res = t
        .http
        .get(format!("{u}/no/such/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_error(&res.json().await.unwrap(), "not_found");
    let metrics = t
        .http
        .get(format!("{u}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("share_relay_shares_created_total 1"));
    let ready: Value = t
        .http
        .get(format!("{u}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    t.stop().await;
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_raw_token_in_audit_or_database() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"max_downloads": 2})).await;
    let link = share["link"].as_str().unwrap().to_owned();
    let (_, c) = claim(&t, &link).await;
    fetch(&t, &c).await;
    view(&t, &link).await;
    t.http
        .get(&link)
        .header("user-agent", "x".repeat(300))
        .send()
        .await
        .unwrap();
    revoke(&t, &share).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let secrets = [
        token_of(&link),
        share["manage_token"].as_str().unwrap().to_owned(),
        c["ticket"].as_str().unwrap().to_owned(),
        t.key.clone(),
    ];
    let data = t.data();
    let events = audit_lines(&t);
    // Every line has every key.
    let keys = [
        "at",
        "event",
        "share",
        "token",
        "outcome",
        "reason",
        "ip",
        "user_agent",
        "bytes",
        "complete",
        "key",
        "request_id",
    ];
    for e in &events {
        let o = e.as_object().unwrap();
        assert_eq!(o.len(), keys.len(), "{e}");
        for k in keys {
            assert!(o.contains_key(k), "{k} in {e}");
        }
        if let Some(ua) = e["user_agent"].as_str() {
            assert!(ua.chars().count() <= 200);
        }
        if let Some(tok) = e["token"].as_str() {
            assert_eq!(tok.len(), 12);
        }
    }
    assert!(
        events
            .iter()
            .any(|e| e["token"] == share_relay::auth::fingerprint(&secrets[0]).as_str())
    );
    t.stop().await;
    for file in ["relay.db", "relay.db-wal", "audit.ndjson"] {
        let bytes = std::fs::read(data.join(file)).unwrap_or_default();
        for s in &secrets {
            assert!(!contains(&bytes, s), "{file} contains a raw credential");
        }
    }
}

#[tokio::test]
async fn https_with_rustls() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let mut cfg = share_relay::Config::new(dir.path().join("data"));
    cfg.tls = Some(share_relay::TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    });
    let relay = share_relay::Relay::start(cfg).await.unwrap();
    assert!(relay.url().starts_with("https://127.0.0.1:"));
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let res = http
        .get(format!("{}/api/v1/info", relay.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    relay.shutdown().await;
}
