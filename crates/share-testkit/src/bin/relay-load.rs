//! A load generator for `share-relay`: how many claims per second it grants, and how fast.
//!
//!     relay-load --relay URL [--key KEY] [--clients 64] [--seconds 10] [--shares 200]
//!                [--downloads N] [--complete] [--threads 2]
//!
//! First it sets up `--shares` shares of a 1 KiB body that looks like age ciphertext (it
//! starts with `age-encryption.org/v1\n`; the rest is filler), each allowing `--downloads`
//! downloads: `POST /api/v1/shares` (with `Authorization: Bearer KEY` when `--key` is given,
//! else the relay must run with `--allow-anonymous`), then `PUT` of the content with the
//! manage token. The relay must allow that many downloads (`--max-downloads`) and must not
//! throttle a single address (`--rate-limit 1000000/1s`), since every client here is
//! 127.0.0.1. `--downloads` must cover the run: the clients spread their claims over the
//! shares round-robin, so each share sees about `claims / shares` of them.
//!
//! Then `--clients` tasks, each with its own keep-alive HTTP/1.1 connection, loop for
//! `--seconds`: `POST /api/v1/claims {"token"}`, then `GET` of the returned `content_url`,
//! reading the whole body (and, with `--complete`, `POST …/complete`). One such pair is one
//! claim; its latency is from sending the claim to having read the last byte (or to the
//! completion's answer). A pair in flight when the time is up still finishes and counts,
//! and the rate is over the time until the last one finished.
//!
//! Prints one line of JSON on stdout:
//! `{"clients","seconds","claims","claims_per_sec","p50_ms","p99_ms","errors"}`, where
//! `seconds` is the measured time and `claims` the successful pairs. Every non-2xx answer,
//! transport failure or short body is an error: the pair is abandoned and not counted, and
//! the first few errors are described on stderr. The tokio runtime has `--threads` workers
//! (default 2, like `wrk -t2`); on a small machine the generator competes with the relay
//! for the same cores, and its share of them counts against the relay's rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// The body of every share: the age header line, then filler, 1 KiB in all.
fn body() -> Vec<u8> {
    let mut b = b"age-encryption.org/v1\n".to_vec();
    let filler = b"-> scrypt bench 10\nbenchmark filler, not a real stanza\n";
    while b.len() < 1024 {
        b.push(filler[b.len() % filler.len()]);
    }
    b
}

struct Args {
    relay: String,
    key: Option<String>,
    clients: usize,
    seconds: f64,
    shares: usize,
    downloads: u32,
    complete: bool,
    threads: usize,
}

const USAGE: &str = "usage: relay-load --relay URL [--key KEY] [--clients 64] [--seconds 10] \
                     [--shares 200] [--downloads N] [--complete] [--threads 2]";

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        relay: String::new(),
        key: std::env::var("SHARE_RELAY_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        clients: 64,
        seconds: 10.0,
        shares: 200,
        downloads: 1000,
        complete: false,
        threads: 2,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--complete" {
            a.complete = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("{flag} {value}: {e}");
        match flag.as_str() {
            "--relay" => a.relay = value.trim_end_matches('/').to_owned(),
            "--key" => a.key = Some(value),
            "--clients" => a.clients = value.parse().map_err(|e| bad(&e))?,
            "--seconds" => a.seconds = value.parse().map_err(|e| bad(&e))?,
            "--shares" => a.shares = value.parse().map_err(|e| bad(&e))?,
            "--downloads" => a.downloads = value.parse().map_err(|e| bad(&e))?,
            "--threads" => a.threads = value.parse().map_err(|e| bad(&e))?,
            _ => bail!("unknown argument {flag}\n{USAGE}"),
        }
    }
    if a.relay.is_empty() {
        bail!("--relay URL is required\n{USAGE}");
    }
    if a.clients == 0 || a.shares == 0 || a.downloads == 0 || a.threads == 0 || a.seconds <= 0.0 {
        bail!("--clients, --shares, --downloads, --threads and --seconds must be positive");
    }
    Ok(a)
}

/// Turns a non-2xx answer into an error that names the step, the status and the body.
async fn check(step: &str, res: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let text = res.text().await.unwrap_or_default();
    bail!("{step}: HTTP {status}: {}", text.trim());
}

/// Creates and uploads one share; returns its link token.
async fn set_up_share(
    http: &reqwest::Client,
    a: &Args,
    content: &'static [u8],
) -> anyhow::Result<String> {
    let mut req = http
        .post(format!("{}/api/v1/shares", a.relay))
        .json(&json!({
            "size": content.len(),
            "max_downloads": a.downloads,
        }));
    if let Some(k) = &a.key {
        req = req.bearer_auth(k);
    }
    let created: Value = check("create", req.send().await?).await?.json().await?;
    let field = |name: &str| {
        created[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("create: no {name} in {created}"))
    };
    let (link, manage, upload) = (field("link")?, field("manage_token")?, field("upload_url")?);
    let put = http
        .put(upload)
        .bearer_auth(manage)
        .header("content-type", "application/octet-stream")
        .body(content)
        .send()
        .await?;
    check("upload", put).await?;
    let token = link.rsplit('/').next().unwrap_or_default().to_owned();
    anyhow::ensure!(!token.is_empty(), "create: a link without a token: {link}");
    Ok(token)
}

/// One claim, fetch (and completion): `Ok` once all of it succeeded.
async fn claim_once(
    http: &reqwest::Client,
    relay: &str,
    token: &str,
    size: usize,
    complete: bool,
) -> anyhow::Result<()> {
    let res = http
        .post(format!("{relay}/api/v1/claims"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .context("claim")?;
    let claim: Value = check("claim", res).await?.json().await.context("claim")?;
    let content_url = claim["content_url"]
        .as_str()
        .with_context(|| format!("claim: no content_url in {claim}"))?;
    let res = http.get(content_url).send().await.context("fetch")?;
    let got = check("fetch", res).await?.bytes().await.context("fetch")?;
    anyhow::ensure!(
        got.len() == size,
        "fetch: {} bytes instead of {size}",
        got.len()
    );
    if complete {
        let ticket = claim["ticket"].as_str().context("claim: no ticket")?;
        let res = http
            .post(format!("{relay}/api/v1/claims/{ticket}/complete"))
            .send()
            .await
            .context("complete")?;
        check("complete", res).await?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(a: Args) -> anyhow::Result<Value> {
    let content: &'static [u8] = Box::leak(body().into_boxed_slice());
    let a = Arc::new(a);

    // Set-up, 8 shares at a time.
    let setup = reqwest::Client::new();
    let mut tokens = Vec::with_capacity(a.shares);
    for chunk in (0..a.shares).collect::<Vec<_>>().chunks(8) {
        let batch = chunk.iter().map(|_| set_up_share(&setup, &a, content));
        for t in futures_util::future::join_all(batch).await {
            tokens.push(t.context("setting up the shares")?);
        }
    }
    let tokens = Arc::new(tokens);

    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let reported = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.seconds);
    let mut tasks = Vec::with_capacity(a.clients);
    for _ in 0..a.clients {
        let (a, tokens, next) = (a.clone(), tokens.clone(), next.clone());
        let (errors, reported) = (errors.clone(), reported.clone());
        tasks.push(tokio::spawn(async move {
            // One connection per client, kept alive, as a separate receiver would have.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("an HTTP client");
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let token = &tokens[next.fetch_add(1, Ordering::Relaxed) % tokens.len()];
                let began = Instant::now();
                match claim_once(&http, &a.relay, token, content.len(), a.complete).await {
                    Ok(()) => latencies.push(began.elapsed().as_secs_f64() * 1000.0),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if reported.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("relay-load: error: {e:#}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let errors = errors.load(Ordering::Relaxed);
    if errors > 5 {
        eprintln!("relay-load: {errors} errors in all (the first 5 shown)");
    }
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    Ok(json!({
        "clients": a.clients,
        "seconds": round(elapsed, 3),
        "claims": all.len(),
        "claims_per_sec": round(all.len() as f64 / elapsed, 1),
        "p50_ms": round(percentile(&all, 50.0), 2),
        "p99_ms": round(percentile(&all, 99.0), 2),
        "errors": errors,
    }))
}

fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(a))?;
    println!("{report}");
    Ok(())
}
