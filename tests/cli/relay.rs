//! `share send --relay`, `share receive` of relay links, and `share revoke|status|list`,
//! against a real in-process share-relay (SQLite in a temporary directory).

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use crate::support::prelude::*;
use crate::support::relay::TestRelay;
use crate::support::{link_and_passphrase, texts};

const PASSPHRASE: &str = "relay-test-passphrase-orbit-candle-meadow";

fn send_relay(sandbox: &Sandbox, relay: &TestRelay, args: &[&str]) -> Output {
    sandbox
        .bare()
        .arg("send")
        .arg("--relay")
        .arg(&relay.url)
        .args(args)
        .env("SHARE_RELAY_KEY", &relay.key)
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap()
}

fn sent(sandbox: &Sandbox, relay: &TestRelay, args: &[&str]) -> (String, String) {
    assert_success(&send_relay(sandbox, relay, args))
}

fn receive(sandbox: &Sandbox, link: &str, passphrase: &str, out: &str) -> Output {
    sandbox
        .bare()
        .args(["receive", "--force", "-o", out, link])
        .env("SHARE_PASSPHRASE", passphrase)
        .output()
        .unwrap()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text:?}"))
}

#[test]
fn a_relay_link_works_once_and_then_says_when_it_was_used() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    let plaintext = distinctive(300_000);
    sandbox.write("contract.pdf", &plaintext);
    let (stdout, stderr) = sent(&sandbox, &relay, &["contract.pdf"]);
    let (link, passphrase) = link_and_passphrase(&stdout);
    assert!(link.starts_with(&format!("{}/s/", relay.url)), "{link}");
    assert!(stderr.contains("1 download until"), "{stderr}");
    assert!(stderr.contains("share revoke"), "{stderr}");

    let first = receive(&sandbox, &link, &passphrase, "got.pdf");
    assert!(first.status.success(), "{}", texts(&first).1);
    assert_eq!(
        std::fs::read(sandbox.work().join("got.pdf")).unwrap(),
        plaintext
    );

    let second = receive(&sandbox, &link, &passphrase, "again.pdf");
    assert_failure(&second, 5, "this link was already used at ");
    assert!(
        texts(&second)
            .1
            .contains("UTC; if that was not you, tell the sender")
    );
    assert!(!sandbox.work().join("again.pdf").exists());
}

#[test]
fn json_reports_the_relay_share_and_n_downloads_work_n_times() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"three times");
    let (stdout, _) = sent(
        &sandbox,
        &relay,
        &["--json", "--downloads", "3", "--expires", "2h", "a.txt"],
    );
    let report = json(&stdout);
    assert_eq!(report["max_downloads"], 3);
    assert!(report["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(
        report["manage_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 43)
    );
    assert!(
        report["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let link = report["link"].as_str().unwrap();
    let passphrase = report["passphrase"].as_str().unwrap();
    for round in 0..3 {
        let output = receive(&sandbox, link, passphrase, &format!("out-{round}.txt"));
        assert!(
            output.status.success(),
            "round {round}: {}",
            texts(&output).1
        );
    }
    assert_failure(
        &receive(&sandbox, link, passphrase, "out-4.txt"),
        5,
        "already used",
    );
}

#[test]
fn a_wrong_passphrase_does_not_burn_the_link() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"retry me");
    let (stdout, _) = sent(&sandbox, &relay, &["--json", "--downloads", "2", "a.txt"]);
    let report = json(&stdout);
    let (link, passphrase) = (
        report["link"].as_str().unwrap(),
        report["passphrase"].as_str().unwrap(),
    );

    let wrong = receive(&sandbox, link, "not-the-passphrase-at-all-no", "a-copy.txt");
    assert_failure(&wrong, 3, "the link is not used up");
    let right = receive(&sandbox, link, passphrase, "a-copy.txt");
    let (_, stderr) = texts(&right);
    assert!(right.status.success(), "{stderr}");
    assert!(
        stderr.contains("ticket of the previous attempt"),
        "{stderr}"
    );

    // One download was used for both attempts: one is left.
    let status = sandbox
        .bare()
        .args(["status", "--json", link])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", texts(&status).1);
    let share = json(&texts(&status).0);
    assert_eq!(share["downloads_left"], 1);
    assert_eq!(share["link"], link);
    let events: Vec<&str> = share["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events.iter().filter(|e| **e == "claim.granted").count(),
        1,
        "{events:?}"
    );
    assert!(events.contains(&"download.confirmed"), "{events:?}");
}

#[test]
fn revoke_ends_the_link_and_status_and_list_show_it() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"revoke me");
    let (stdout, _) = sent(&sandbox, &relay, &["a.txt"]);
    let (link, passphrase) = link_and_passphrase(&stdout);

    let listed = sandbox.bare().args(["list", "--json"]).output().unwrap();
    let list = json(&texts(&listed).0);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["link"], link.as_str());
    assert_eq!(
        list[0]["relay"].as_str().unwrap().trim_end_matches('/'),
        relay.url
    );
    assert!(list[0].get("manage_token").is_none());

    let revoked = sandbox.bare().args(["revoke", &link]).output().unwrap();
    assert!(revoked.status.success(), "{}", texts(&revoked).1);
    assert_failure(
        &receive(&sandbox, &link, &passphrase, "x.txt"),
        5,
        "the sender revoked this link",
    );

    let id = list[0]["id"].as_str().unwrap();
    let status = sandbox.bare().args(["status", id]).output().unwrap();
    let (text, stderr) = texts(&status);
    assert!(status.status.success(), "{stderr}");
    assert!(text.contains("state:      revoked"), "{text}");
    assert!(text.contains("share.revoked"), "{text}");
}

#[test]
fn receipts_are_private_and_hold_no_passphrase() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"receipt");
    let (stdout, _) = sent(&sandbox, &relay, &["a.txt"]);
    let (_, passphrase) = link_and_passphrase(&stdout);
    let dir = sandbox.home().join(".local/state/share/receipts");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files = Sandbox::listing(&dir);
    assert_eq!(files.len(), 1);
    let receipt = dir.join(&files[0]);
    assert_eq!(mode(&receipt), 0o600);
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(!text.contains(&passphrase));
    assert!(text.contains("manage_token"));

    let skipped = Sandbox::new();
    skipped.write("a.txt", b"no receipt");
    let (stdout, _) = sent(&skipped, &relay, &["--no-receipt", "a.txt"]);
    let (link, _) = link_and_passphrase(&stdout);
    assert!(!skipped.home().join(".local/state/share/receipts").exists());
    assert_failure(
        &skipped.bare().args(["revoke", &link]).output().unwrap(),
        2,
        "there is no receipt for this share here",
    );
}

#[test]
fn relay_flags_and_credentials_are_checked() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"x");
    let server = StandIn::start();
    for flags in [
        &["--downloads", "3"][..],
        &["--expires", "1h"],
        &["--allow-ip", "10.0.0.0/8"],
    ] {
        let output = sandbox
            .share(&server)
            .arg("send")
            .args(flags)
            .arg("a.txt")
            .env("SHARE_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap();
        assert_failure(&output, 2, "needs a relay");
    }
    assert!(server.uploads().is_empty());

    assert_failure(
        &send_relay(&sandbox, &relay, &["--allow-ip", "10.0.0/8", "a.txt"]),
        2,
        "not an address or a CIDR range",
    );
    assert_failure(
        &send_relay(&sandbox, &relay, &["--expires", "30d", "a.txt"]),
        2,
        "the relay refused the share's limits",
    );
    assert_failure(
        &send_relay(&sandbox, &relay, &["--downloads", "1000", "a.txt"]),
        2,
        "the relay refused the share's limits",
    );

    let keyless = sandbox
        .bare()
        .args(["send", "--relay", &relay.url, "a.txt"])
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(&keyless, 2, "the relay refused the credentials");
    let wrong_key = sandbox
        .bare()
        .args(["send", "--relay", &relay.url, "a.txt"])
        .env("SHARE_RELAY_KEY", format!("sr_{}", "A".repeat(43)))
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(&wrong_key, 2, "the relay refused the credentials");
    let key_file = sandbox.write("relay.key", format!("{}\n", relay.key).as_bytes());
    let with_file = sandbox
        .bare()
        .args(["send", "--relay", &relay.url, "--relay-key-file"])
        .arg(&key_file)
        .arg("a.txt")
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(with_file.status.success(), "{}", texts(&with_file).1);

    // A tfLink stand-in is not a relay; a tfLink link cannot be managed.
    assert_failure(
        &sandbox
            .bare()
            .args(["send", "--relay", &server.api_base(), "a.txt"])
            .env("SHARE_RELAY_KEY", &relay.key)
            .env("SHARE_PASSPHRASE", PASSPHRASE)
            .output()
            .unwrap(),
        6,
        "",
    );
    for command in ["revoke", "status"] {
        let output = sandbox
            .bare()
            .args([
                command,
                "https://d.tmpfile.link/public/2026-11-22/u/share.age",
            ])
            .output()
            .unwrap();
        assert_failure(&output, 2, "tfLink links cannot be revoked");
    }
}

#[test]
fn a_link_bound_to_other_addresses_is_refused_without_being_used() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"bound");
    let (stdout, _) = sent(&sandbox, &relay, &["--allow-ip", "10.0.0.0/8", "a.txt"]);
    let (link, passphrase) = link_and_passphrase(&stdout);
    assert_failure(
        &receive(&sandbox, &link, &passphrase, "a.txt"),
        5,
        "may not be used from your network address",
    );
}

#[test]
fn an_unreachable_relay_is_a_host_error_and_nothing_is_claimed_without_a_key_source() {
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"x");
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let output = sandbox
        .bare()
        .args(["send", "--relay", &dead, "--retries", "0", "a.txt"])
        .env("SHARE_RELAY_KEY", "sr_x")
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(&output, 6, "");

    // Without a passphrase source the receive stops before it claims the only download.
    let relay = TestRelay::start();
    let (stdout, _) = sent(&sandbox, &relay, &["a.txt"]);
    let (link, passphrase) = link_and_passphrase(&stdout);
    let no_key = sandbox.bare().args(["receive", &link]).output().unwrap();
    assert_failure(&no_key, 2, "no passphrase");
    let output = receive(&sandbox, &link, &passphrase, "a-copy.txt");
    assert!(output.status.success(), "{}", texts(&output).1);
}

#[test]
fn managing_without_a_receipt_needs_a_token_and_a_relay() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"managed elsewhere");
    let (stdout, _) = sent(&sandbox, &relay, &["--json", "--no-receipt", "a.txt"]);
    let report = json(&stdout);
    let (link, id, token) = (
        report["link"].as_str().unwrap(),
        report["id"].as_str().unwrap(),
        report["manage_token"].as_str().unwrap(),
    );

    // An id without a relay, an empty token file, an unreadable one, a wrong token.
    let no_relay = sandbox
        .bare()
        .args(["status", id])
        .env("SHARE_MANAGE_TOKEN", token)
        .output()
        .unwrap();
    assert_failure(&no_relay, 2, "an id alone does not say which relay");
    let empty = sandbox.write("empty.token", b"\n");
    let output = sandbox
        .bare()
        .args(["revoke", "--manage-token-file"])
        .arg(&empty)
        .arg(link)
        .output()
        .unwrap();
    assert_failure(&output, 2, "is empty");
    let output = sandbox
        .bare()
        .args(["revoke", "--manage-token-file", "missing.token", link])
        .output()
        .unwrap();
    assert_failure(&output, 2, "cannot read --manage-token-file");
    let output = sandbox
        .bare()
        .args(["revoke", link])
        .env("SHARE_MANAGE_TOKEN", "A".repeat(43))
        .output()
        .unwrap();
    assert_failure(&output, 2, "the relay refused the credentials");
    let empty_key = sandbox.write("empty.key", b"");
    let output = sandbox
        .bare()
        .args(["send", "--relay", &relay.url, "--relay-key-file"])
        .arg(&empty_key)
        .arg("a.txt")
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(&output, 2, "is empty");

    // The token from --json, by link and by id with --relay.
    let token_file = sandbox.write("share.token", format!("{token}\n").as_bytes());
    let status = sandbox
        .bare()
        .args([
            "status",
            "--json",
            "--relay",
            &relay.url,
            "--manage-token-file",
        ])
        .arg(&token_file)
        .arg(id)
        .output()
        .unwrap();
    let (text, _) = assert_success(&status);
    assert_eq!(json(&text)["state"], "available");
    let revoked = sandbox
        .bare()
        .args(["revoke", link])
        .env("SHARE_MANAGE_TOKEN", token)
        .output()
        .unwrap();
    assert_success(&revoked);
    let passphrase = report["passphrase"].as_str().unwrap();
    assert_failure(
        &receive(&sandbox, link, passphrase, "a-copy.txt"),
        5,
        "revoked",
    );
}
