//! Life of a share: round trip, previews, concurrency, revocation, expiry, uploads, ranges.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn round_trip() {
    let t = relay().await;
    let (share, bytes) = ready_share(&t, 10_000, json!({})).await;
    let link = share["link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/s/", t.url())));
    assert!(
        share["upload_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    assert_eq!(share["max_downloads"], 1);
    assert_eq!(share["allow_ips"], json!([]));
    assert_eq!(token_of(link).len(), 43);

    let (s, v) = view(&t, link).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["version"], 1);
    assert_eq!(v["state"], "available");
    assert_eq!(v["size"], 10_000);
    assert_eq!(v["downloads_left"], 1);
    assert_eq!(v["id"], share["id"]);

    let (s, c) = claim(&t, link).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["downloads_left"], 0);
    assert_eq!(c["size"], 10_000);
    assert!(c["ticket_expires_at"].as_str().unwrap().ends_with('Z'));
    let (s, got) = fetch(&t, &c).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, bytes);
    // The ticket can fetch again until completion.
    let (s, got) = fetch(&t, &c).await;
    assert_eq!((s, got.len()), (StatusCode::OK, 10_000));

    let (s, v) = view(&t, link).await;
    assert_eq!(s, StatusCode::GONE);
    assert_error(&v, "gone");
    assert_eq!(v["reason"], "consumed");
    assert!(v["at"].as_str().unwrap().ends_with('Z'));

    let blob = t.data().join("blobs").join(share["id"].as_str().unwrap());
    assert!(blob.exists());
    let complete = format!(
        "{}/complete",
        c["content_url"]
            .as_str()
            .unwrap()
            .trim_end_matches("/content")
    );
    let res = t.http.post(&complete).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!blob.exists(), "content deleted on the last completion");
    let (s, _) = fetch(&t, &c).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a completed ticket is not_found");
    let res = t.http.post(&complete).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let st = status_of(&t, &share).await;
    assert_eq!(st["state"], "consumed");
    assert_eq!(st["downloads_left"], 0);
    let kinds: Vec<&str> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for k in [
        "share.created",
        "share.uploaded",
        "link.viewed",
        "claim.granted",
        "content.served",
        "download.confirmed",
        "content.deleted",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    let served: Vec<&Value> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "content.served" && e["outcome"] == "ok")
        .collect();
    assert_eq!(served[0]["bytes"], 10_000);
    assert_eq!(served[0]["complete"], true);
    t.stop().await;
}

#[tokio::test]
async fn previews_consume_nothing_and_are_marked() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 100, json!({"max_downloads": 1})).await;
    let link = share["link"].as_str().unwrap();
    let res = t.http.head(link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = t
        .http
        .request(reqwest::Method::OPTIONS, link)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let res = t
        .http
        .get(link)
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = res.text().await.unwrap();
    assert!(page.contains("share receive"));
    assert!(!page.contains(share["id"].as_str().unwrap()) && !page.contains("100"));
    for ua in [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (compatible; Discordbot/2.0)",
        "TelegramBot (like TwitterBot)",
        "SkypeUriPreview Preview/0.5",
        "WhatsApp/2.23",
        "LinkedInBot/1.0",
        "Googlebot/2.1",
        "bingbot/2.0",
    ] {
        let res = t
            .http
            .get(link)
            .header("user-agent", ua)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{ua}");
    }
    for (h, v) in [
        ("sec-purpose", "prefetch"),
        ("purpose", "prefetch"),
        ("sec-purpose", "prefetch;prerender"),
    ] {
        let res = t
            .http
            .get(link)
            .header(h, v)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let (s, v) = view(&t, link).await;
    assert_eq!((s, v["downloads_left"].clone()), (StatusCode::OK, json!(1)));
    let events = audit_lines(&t);
    let views: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "link.viewed")
        .collect();
    let bots = views
        .iter()
        .filter(|e| e["reason"] == "suspected_bot")
        .count();
    assert_eq!(bots, 13, "{views:?}");
    assert!(!events.iter().any(|e| e["event"] == "claim.granted"));
    // Still claimable after all that.
    let (s, _) = claim(&t, link).await;
    assert_eq!(s, StatusCode::CREATED);
    t.stop().await;
}

async fn race(t: &TestRelay, link: &str, n: usize) -> Vec<(StatusCode, Value)> {
    let token = token_of(link);
    let base = t.url();
    join_all((0..n).map(|_| {
        let http = client();
        let token = token.clone();
        let base = base.clone();
        tokio::spawn(async move { claim_raw(&http, &base, &token).await })
    }))
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect()
}

#[tokio::test]
async fn fifty_concurrent_claims_of_a_one_time_link() {
    let t = relay().await;
    for _ in 0..3 {
        let (share, _) = ready_share(&t, 64, json!({})).await;
        let results = race(&t, share["link"].as_str().unwrap(), 50).await;
        let won = results
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .count();
        assert_eq!(won, 1);
        for (s, v) in results.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_eq!(*s, StatusCode::GONE);
            assert_eq!(v["reason"], "consumed");
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn limit_five_gives_exactly_five() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"max_downloads": 5})).await;
    let results = race(&t, share["link"].as_str().unwrap(), 50).await;
    let mut left: Vec<u64> = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .map(|r| r.1["downloads_left"].as_u64().unwrap())
        .collect();
    left.sort_unstable();
    assert_eq!(left, vec![0, 1, 2, 3, 4]);
    assert_eq!(
        results.iter().filter(|r| r.0 == StatusCode::GONE).count(),
        45
    );
    assert_eq!(status_of(&t, &share).await["state"], "consumed");
    t.stop().await;
}

/// Concurrent claims of several shares at once (the writer applies them together): each
/// share grants exactly its limit, every ticket opens its own share's content, and each
/// grant is audited once, in the database and in the stream.
#[tokio::test]
async fn concurrent_claims_of_many_shares_grant_each_limit_exactly() {
    let t = relay().await;
    let mut shares = Vec::new();
    for limit in 1..=8u64 {
        let (share, bytes) =
            ready_share(&t, 60 + limit as usize, json!({"max_downloads": limit})).await;
        shares.push((share, bytes, limit));
    }
    let (revoked, _) = ready_share(&t, 100, json!({"max_downloads": 8})).await;
    assert_eq!(revoke(&t, &revoked).await, StatusCode::NO_CONTENT);
    let mut links: Vec<String> = shares
        .iter()
        .map(|(s, _, _)| s["link"].as_str().unwrap().to_owned())
        .collect();
    links.push(revoked["link"].as_str().unwrap().to_owned());

    let base = t.url();
    let results: Vec<(usize, (StatusCode, Value))> = join_all((0..144).map(|n| {
        let i = n % links.len();
        let (http, token, base) = (client(), token_of(&links[i]), base.clone());
        tokio::spawn(async move { (i, claim_raw(&http, &base, &token).await) })
    }))
    .await
    .into_iter()
    .map(Result::unwrap)
    .collect();

    for (i, (share, bytes, limit)) in shares.iter().enumerate() {
        let mine: Vec<&(StatusCode, Value)> = results
            .iter()
            .filter(|(j, _)| *j == i)
            .map(|(_, r)| r)
            .collect();
        let mut left: Vec<u64> = mine
            .iter()
            .filter(|r| r.0 == StatusCode::CREATED)
            .map(|r| r.1["downloads_left"].as_u64().unwrap())
            .collect();
        left.sort_unstable();
        assert_eq!(left, (0..*limit).collect::<Vec<_>>(), "share {i}");
        for (s, v) in mine.iter().filter(|r| r.0 != StatusCode::CREATED) {
            assert_eq!(*s, StatusCode::GONE);
            assert_eq!(v["reason"], "consumed");
        }
        for (_, c) in mine.iter().filter(|r| r.0 == StatusCode::CREATED) {
            let (s, body) = fetch(&t, c).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(&body, bytes, "a ticket of share {i} opens its own content");
        }
        let st = status_of(&t, share).await;
        assert_eq!(st["state"], "consumed");
        let granted = st["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "claim.granted")
            .count();
        assert_eq!(granted as u64, *limit);
    }
    for (s, v) in results
        .iter()
        .filter(|(j, _)| *j == shares.len())
        .map(|(_, r)| r)
    {
        assert_eq!(*s, StatusCode::GONE);
        assert_eq!(v["reason"], "revoked");
    }
    let streamed = audit_lines(&t)
        .iter()
        .filter(|e| e["event"] == "claim.granted")
        .count();
    assert_eq!(streamed, (1..=8).sum::<usize>());
    t.stop().await;
}

#[tokio::test]
async fn revoke_races_claims_linearisably() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"max_downloads": 50})).await;
    let link = share["link"].as_str().unwrap().to_owned();
    let claims = tokio::spawn({
        let token = token_of(&link);
        let base = t.url();
        async move {
            join_all((0..40).map(|_| {
                let (http, token, base) = (client(), token.clone(), base.clone());
                tokio::spawn(async move { claim_raw(&http, &base, &token).await })
            }))
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(15)).await;
    assert_eq!(revoke(&t, &share).await, StatusCode::NO_CONTENT);
    let results: Vec<_> = claims
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let granted: Vec<&Value> = results
        .iter()
        .filter(|r| r.0 == StatusCode::CREATED)
        .map(|r| &r.1)
        .collect();
    for (s, v) in &results {
        if *s != StatusCode::CREATED {
            assert_eq!(*s, StatusCode::GONE);
            assert_eq!(v["reason"], "revoked");
        }
    }
    // Every ticket, granted before the revocation, stops at once.
    for c in &granted {
        let (s, body) = fetch(&t, c).await;
        assert_eq!(s, StatusCode::GONE);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["reason"], "revoked");
    }
    let st = status_of(&t, &share).await;
    assert_eq!(st["state"], "revoked");
    assert_eq!(
        st["downloads_left"].as_u64().unwrap() as usize,
        50 - granted.len()
    );
    // In the event order, no grant follows the revocation.
    let kinds: Vec<&str> = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    let at = kinds.iter().position(|k| *k == "share.revoked").unwrap();
    assert!(!kinds[at..].contains(&"claim.granted"));
    assert!(
        !t.data()
            .join("blobs")
            .join(share["id"].as_str().unwrap())
            .exists()
    );
    assert_eq!(
        revoke(&t, &share).await,
        StatusCode::NO_CONTENT,
        "idempotent"
    );
    t.stop().await;
}

#[tokio::test]
async fn expiry_in_three_seconds() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"expires_in": 3, "max_downloads": 3})).await;
    let link = share["link"].as_str().unwrap();
    let (s, c) = claim(&t, link).await;
    assert_eq!(s, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let (s, v) = view(&t, link).await;
    assert_eq!(s, StatusCode::GONE);
    assert_eq!(v["reason"], "expired");
    assert_eq!(v["at"], share["expires_at"]);
    let (s, v) = claim(&t, link).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("expired"))
    );
    // The live ticket still works within its window.
    let (s, _) = fetch(&t, &c).await;
    assert_eq!(s, StatusCode::OK);
    t.relay.sweep_now().await;
    assert_eq!(status_of(&t, &share).await["state"], "expired");
    let complete = c["content_url"]
        .as_str()
        .unwrap()
        .replace("/content", "/complete");
    assert_eq!(
        t.http.post(&complete).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let blob = t.data().join("blobs").join(share["id"].as_str().unwrap());
    assert!(!blob.exists());
    assert!(
        audit_lines(&t)
            .iter()
            .any(|e| e["event"] == "share.expired" && e["share"] == share["id"])
    );
    t.stop().await;
}

#[tokio::test]
async fn sweeper_deletes_expired_content() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({"expires_in": 1})).await;
    let blob = t.data().join("blobs").join(share["id"].as_str().unwrap());
    assert!(
        eventually(|| !blob.exists()).await,
        "the sweeper (every second here) deletes it"
    );
    t.stop().await;
}

#[tokio::test]
async fn uploads_that_fail_store_nothing_and_may_be_retried() {
    let t = relay().await;
    let (s, share) = create(&t, json!({"size": 1000})).await;
    assert_eq!(s, StatusCode::CREATED);
    let link = share["link"].as_str().unwrap();
    // While uploading, the link is invisible.
    assert_eq!(view(&t, link).await.0, StatusCode::NOT_FOUND);
    assert_eq!(claim(&t, link).await.0, StatusCode::NOT_FOUND);

    let mut not_age = vec![b'x'; 1000];
    not_age[..5].copy_from_slice(b"hello");
    let (s, v) = upload(&t, &share, not_age).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "not_age");
    let (s, v) = upload(&t, &share, age_bytes(1001)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&v, "too_large");
    let (s, v) = upload(&t, &share, age_bytes(999)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "bad_request");
    // Lying Content-Length is not trusted: a chunked body that runs over.
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(age_bytes(600)),
        Ok(vec![0u8; 600]),
    ]));
    let res = t
        .http
        .put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A chunked body that starts with the wrong bytes.
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(vec![
        Ok::<_, std::io::Error>(b"age-enc".to_vec()),
        Ok(b"XXXXXXXXXXXXXXXXXXXXXX".to_vec()),
    ]));
    let res = t
        .http
        .put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    assert_eq!(temp_objects(&t), 0);
    assert!(
        !t.data()
            .join("blobs")
            .join(share["id"].as_str().unwrap())
            .exists()
    );
    assert_eq!(status_of(&t, &share).await["state"], "uploading");
    let events = audit_lines(&t);
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "upload.rejected")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"not_age") && reasons.contains(&"too_large"),
        "{reasons:?}"
    );

    let (s, _) = upload(&t, &share, age_bytes(1000)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = upload(&t, &share, age_bytes(1000)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_error(&v, "conflict");
    assert_eq!(view(&t, link).await.0, StatusCode::OK);
    t.stop().await;
}

#[tokio::test]
async fn idle_upload_is_aborted() {
    let t = relay_with(|c| c.upload_idle_timeout = Duration::from_millis(500)).await;
    let (_, share) = create(&t, json!({"size": 1000})).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(age_bytes(100))).await.unwrap();
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let res = t
        .http
        .put(share["upload_url"].as_str().unwrap())
        .bearer_auth(share["manage_token"].as_str().unwrap())
        .body(body)
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
    drop(tx);
    assert!(eventually(|| temp_objects(&t) == 0).await);
    let (s, _) = upload(&t, &share, age_bytes(1000)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(
        audit_lines(&t)
            .iter()
            .any(|e| e["event"] == "upload.rejected" && e["reason"] == "timeout")
    );
    t.stop().await;
}

#[tokio::test]
async fn ranges_resume_and_416() {
    let t = relay().await;
    let (share, bytes) = ready_share(&t, 5000, json!({})).await;
    let (_, c) = claim(&t, share["link"].as_str().unwrap()).await;
    let url = c["content_url"].as_str().unwrap();
    let res = t
        .http
        .get(url)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers()["content-range"], "bytes 1000-1999/5000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[1000..2000]);
    let res = t
        .http
        .get(url)
        .header("range", "bytes=4000-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[4000..]);
    let res = t
        .http
        .get(url)
        .header("range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[4990..]);
    let res = t
        .http
        .get(url)
        .header("range", "bytes=5000-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(res.headers()["content-range"], "bytes */5000");
    let res = t.http.head(url).send().await.unwrap();
    assert_eq!(res.headers()["content-length"], "5000");
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    let (s, all) = fetch(&t, &c).await;
    assert_eq!((s, all), (StatusCode::OK, bytes));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let served: Vec<Value> = audit_lines(&t)
        .into_iter()
        .filter(|e| e["event"] == "content.served")
        .collect();
    assert!(
        served
            .iter()
            .any(|e| e["bytes"] == 1000 && e["complete"] == false)
    );
    assert!(
        served
            .iter()
            .any(|e| e["bytes"] == 1000 && e["complete"] == true)
    );
    assert!(
        served
            .iter()
            .any(|e| e["bytes"] == 5000 && e["complete"] == true)
    );
    t.stop().await;
}

#[tokio::test]
async fn revoked_ticket_is_gone_and_expired_ticket_not_found() {
    let t = relay_with(|c| c.ticket_window = Duration::from_secs(1)).await;
    let (share, _) = ready_share(&t, 64, json!({"max_downloads": 2})).await;
    let link = share["link"].as_str().unwrap();
    let (_, c1) = claim(&t, link).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        fetch(&t, &c1).await.0,
        StatusCode::NOT_FOUND,
        "an expired ticket is not_found"
    );
    let (_, c2) = claim(&t, link).await;
    assert_eq!(fetch(&t, &c2).await.0, StatusCode::OK);
    // Consumed (limit reached) but the ticket is live: revoking still stops it.
    assert_eq!(revoke(&t, &share).await, StatusCode::NO_CONTENT);
    let (s, body) = fetch(&t, &c2).await;
    assert_eq!(s, StatusCode::GONE);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["reason"], "revoked");
    assert!(v["at"].is_string());
    let complete = c2["content_url"]
        .as_str()
        .unwrap()
        .replace("/content", "/complete");
    assert_eq!(
        t.http.post(&complete).send().await.unwrap().status(),
        StatusCode::GONE
    );
    // First terminal state wins on the link.
    assert_eq!(view(&t, link).await.1["reason"], "consumed");
    assert_eq!(revoke(&t, &share).await, StatusCode::NO_CONTENT);
    t.stop().await;
}

#[tokio::test]
async fn revoking_before_any_claim() {
    let t = relay().await;
    let (share, _) = ready_share(&t, 64, json!({})).await;
    assert_eq!(revoke(&t, &share).await, StatusCode::NO_CONTENT);
    let (s, v) = view(&t, share["link"].as_str().unwrap()).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("revoked"))
    );
    let (s, v) = claim(&t, share["link"].as_str().unwrap()).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("revoked"))
    );
    let (s, v) = upload(&t, &share, age_bytes(64)).await;
    assert_eq!(
        (s, v["reason"].clone()),
        (StatusCode::GONE, json!("revoked"))
    );
    assert_eq!(status_of(&t, &share).await["state"], "revoked");
    t.stop().await;
}
