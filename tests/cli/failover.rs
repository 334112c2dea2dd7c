//! Failover between hosts: `--server` repeated or `SHARE_SERVER` space-separated (and
//! `--relay` likewise). A share that cannot be uploaded to one host after its retries
//! (unreachable, 5xx, 429 past the `Retry-After` limit, an unusable reply) goes whole to
//! the next; every other failure ends the send on the host that caused it.

use crate::support::prelude::*;
use crate::support::relay::TestRelay;
use crate::support::texts;
use crate::support::tflink::{StandIn, UploadFault};

const PASSPHRASE: &str = "failover-test-passphrase-orbit-candle-meadow";

/// An address where nothing listens: a port bound for a moment and released.
fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// `share send --json --retries 1` of `a.bin` with `SHARE_SERVER` set to `servers`.
fn send_to(sandbox: &Sandbox, servers: &str, extra: &[&str]) -> std::process::Output {
    sandbox
        .bare()
        .args(["send", "--json", "--retries", "1"])
        .args(extra)
        .arg("a.bin")
        .env("SHARE_SERVER", servers)
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text:?}"))
}

/// Receives `link` into `out` and returns the bytes written.
fn received(sandbox: &Sandbox, link: &str, out: &str) -> Vec<u8> {
    let output = sandbox
        .bare()
        .args(["receive", "-o", out, link])
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_success(&output);
    std::fs::read(sandbox.work().join(out)).unwrap()
}

/// The first host fails in `fault`'s way: the share goes to the second, stderr names
/// both hosts, the JSON names the second, and the link works.
fn fails_over(fault: UploadFault, why: &str) {
    let first = StandIn::start();
    first.set_upload_fault(fault);
    let second = StandIn::start();
    let sandbox = Sandbox::new();
    let content = distinctive(50_000);
    sandbox.write("a.bin", &content);
    let servers = format!("{} {}", first.api_base(), second.api_base());
    let output = send_to(&sandbox, &servers, &[]);
    let (stdout, stderr) = assert_success(&output);
    assert!(
        stderr.contains(&format!("could not upload to {}", first.api_base()))
            && stderr.contains(&format!("sending the whole share to {}", second.api_base())),
        "{why}: {stderr}"
    );
    let report = json(&stdout);
    let host = report["host"].as_str().unwrap();
    assert!(host.starts_with(&second.api_base()), "{why}: {host}");
    assert_eq!(second.uploads().len(), 1, "{why}");
    let link = report["link"].as_str().unwrap();
    assert_eq!(received(&sandbox, link, "copy.bin"), content, "{why}");
    assert!(first.downloads().is_empty(), "{why}");
}

#[test]
fn a_host_answering_5xx_after_its_retries_hands_the_share_to_the_next() {
    fails_over(UploadFault::Status(503), "503");
}

#[test]
fn a_host_rate_limiting_past_the_retry_after_limit_hands_the_share_to_the_next() {
    fails_over(
        UploadFault::FailTimes {
            times: 100,
            status: 429,
            retry_after: Some(3600),
        },
        "429 with Retry-After: 3600",
    );
}

#[test]
fn a_host_with_an_unusable_reply_hands_the_share_to_the_next() {
    fails_over(UploadFault::HtmlOk, "an HTML page");
}

#[test]
fn an_unreachable_host_hands_the_share_to_the_next_and_repeated_flags_work_too() {
    let second = StandIn::start();
    let sandbox = Sandbox::new();
    let content = distinctive(10_000);
    sandbox.write("a.bin", &content);
    let dead = dead_address();
    let output = sandbox
        .bare()
        .args(["send", "--json", "--retries", "0"])
        .args(["--server", &dead, "--server", &second.api_base()])
        .arg("a.bin")
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    let (stdout, stderr) = assert_success(&output);
    assert!(
        stderr.contains(&format!("could not upload to {dead}")) && stderr.contains("refused"),
        "{stderr}"
    );
    let report = json(&stdout);
    assert!(
        report["host"]
            .as_str()
            .unwrap()
            .starts_with(&second.api_base())
    );
    assert_eq!(
        received(&sandbox, report["link"].as_str().unwrap(), "copy.bin"),
        content
    );
}

/// A multi-part share whose third upload fails on the first host starts again on the
/// second: every part and the index live there, and the first host serves nothing.
#[test]
fn a_multi_part_share_that_fails_midway_is_sent_whole_to_the_next_host() {
    let first = StandIn::start();
    first.set_upload_fault(UploadFault::FailAfter {
        served: 2,
        status: 502,
    });
    let second = StandIn::start();
    let sandbox = Sandbox::new();
    let content = distinctive(450_000);
    sandbox.write("a.bin", &content);
    let servers = format!("{} {}", first.api_base(), second.api_base());
    let output = send_to(
        &sandbox,
        &servers,
        &["--part-size", "100000", "--jobs", "1", "--no-pad"],
    );
    let (stdout, stderr) = assert_success(&output);
    assert!(stderr.contains("sending the whole share to"), "{stderr}");
    let report = json(&stdout);
    let parts = report["parts"].as_u64().unwrap();
    assert!(parts >= 5, "{report}");
    // Two parts reached the first host, then the third failed on both of its attempts;
    // no index went there. The second holds every part and the index.
    let on_first = first.uploads();
    assert_eq!(on_first.len(), 4);
    assert!(
        on_first
            .iter()
            .all(|upload| upload.content_type.as_deref() == Some("application/octet-stream")),
        "an index reached the first host"
    );
    assert_eq!(second.uploads().len() as u64, parts + 1);
    let link = report["link"].as_str().unwrap();
    assert_eq!(received(&sandbox, link, "copy.bin"), content);
    assert!(first.downloads().is_empty(), "{:?}", first.downloads());
    assert_eq!(second.downloads().len() as u64, parts + 1);
}

/// A refusal of the request itself (a 4xx other than 429) would fail anywhere: the send
/// stops there, names where the address came from, and the next host gets nothing.
#[test]
fn a_refusal_of_the_request_does_not_fail_over() {
    let first = StandIn::start();
    first.set_upload_fault(UploadFault::Status(404));
    let second = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.bin", b"x");
    let servers = format!("{} {}", first.api_base(), second.api_base());
    let output = send_to(&sandbox, &servers, &[]);
    assert_failure(
        &output,
        6,
        "check SHARE_SERVER: it must be a tfLink-compatible API base",
    );
    assert!(second.uploads().is_empty());
    assert!(!texts(&output).1.contains("sending the whole share"));
}

/// When every host fails, the error is the last one's, one line, exit 6.
#[test]
fn when_every_host_fails_the_last_error_is_reported() {
    let first = StandIn::start();
    first.set_upload_fault(UploadFault::Status(500));
    let sandbox = Sandbox::new();
    sandbox.write("a.bin", b"x");
    let dead = dead_address();
    let servers = format!("{} {dead}", first.api_base());
    let output = send_to(&sandbox, &servers, &[]);
    assert_eq!(output.status.code(), Some(6));
    let stderr = texts(&output).1;
    assert!(
        stderr.contains(&format!("sending the whole share to {dead}")),
        "{stderr}"
    );
    // Notices of the retries and of the failover, then one error line, the last host's.
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("share: error: cannot upload to")
            && last.ends_with("check the address in SHARE_SERVER and your network connection"),
        "{last}"
    );
}

/// Relays fail over the same way: the first is down, the second holds the share, and
/// the receipt and the JSON name the second.
#[test]
fn relays_fail_over_too() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    let content = distinctive(20_000);
    sandbox.write("a.bin", &content);
    let dead = dead_address();
    let output = sandbox
        .bare()
        .args(["send", "--json", "--retries", "0", "a.bin"])
        .env("SHARE_RELAY", format!("{dead} {}", relay.url))
        .env("SHARE_RELAY_KEY", &relay.key)
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    let (stdout, stderr) = assert_success(&output);
    assert!(
        stderr.contains(&format!("could not upload to {dead}")),
        "{stderr}"
    );
    let report = json(&stdout);
    assert!(
        report["host"]
            .as_str()
            .unwrap()
            .starts_with(relay.url.trim_end_matches('/'))
    );
    let list = sandbox.bare().args(["list", "--json"]).output().unwrap();
    let (listed, _) = assert_success(&list);
    assert!(listed.contains(relay.url.trim_end_matches('/')), "{listed}");
    let link = report["link"].as_str().unwrap();
    assert_eq!(received(&sandbox, link, "copy.bin"), content);
}
