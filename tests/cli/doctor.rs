//! `share doctor` through the real binary: against a real relay, the tfLink stand-in, raw
//! servers and closed ports; what it reports, its exit codes, and that it changes nothing.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use std::sync::Arc;

use crate::support::prelude::*;
use crate::support::relay::TestRelay;
use crate::support::{raw, texts};

fn doctor(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = sandbox.bare();
    command.arg("doctor").args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// The report as JSON, and the check named `name` in it.
fn report(output: &Output) -> serde_json::Value {
    let (stdout, stderr) = texts(output);
    serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("{err}: {stdout:?} {stderr}"))
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_ready_relay_that_takes_the_key_passes_and_nothing_is_created_or_audited() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    let audit_before = std::fs::read_to_string(relay.audit_path()).unwrap_or_default();
    let output = doctor(
        &sandbox,
        &["--relay", &relay.url, "--json"],
        &[("SHARE_RELAY_KEY", &relay.key)],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let report = report(&output);
    assert_eq!(report["ok"], true);
    for name in ["relay", "limits", "ready", "api key", "clock", "resume"] {
        assert_eq!(check(&report, name)["status"], "ok", "{name}: {report}");
    }
    assert_eq!(check(&report, "terminal")["status"], "info");
    let audit = std::fs::read_to_string(relay.audit_path()).unwrap_or_default();
    assert_eq!(audit, audit_before, "doctor left audit events");
    // And the key it was given appears nowhere in what it printed.
    assert!(!texts(&output).0.contains(&relay.key));
}

#[test]
fn a_refused_relay_key_is_a_configuration_problem() {
    let relay = TestRelay::start();
    let sandbox = Sandbox::new();
    let wrong = "sr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let output = doctor(
        &sandbox,
        &["--relay", &relay.url],
        &[("SHARE_RELAY_KEY", wrong)],
    );
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout} {stderr}");
    assert!(
        stdout.contains("PROBLEM  api key   the relay refused the key from SHARE_RELAY_KEY"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("doctor found a problem: the relay refused the key"),
        "{stderr}"
    );
    assert!(!stdout.contains(wrong) && !stderr.contains(wrong));
}

#[test]
fn a_relay_that_needs_a_key_and_gets_none_is_a_configuration_problem() {
    let relay = TestRelay::start();
    let output = doctor(&Sandbox::new(), &["--relay", &relay.url, "--json"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let report = report(&output);
    assert_eq!(report["ok"], false);
    assert_eq!(check(&report, "api key")["status"], "problem");
    assert!(
        check(&report, "api key")["hint"]
            .as_str()
            .unwrap()
            .contains("SHARE_RELAY_KEY")
    );
}

#[test]
fn a_host_that_is_not_a_relay_given_as_relay_is_named() {
    let server = StandIn::start();
    let output = doctor(&Sandbox::new(), &["--relay", &server.api_base()], &[]);
    let (stdout, _) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("is not a share relay"), "{stdout}");
}

#[test]
fn the_tflink_stand_in_answers_and_the_clocks_agree() {
    let server = StandIn::start();
    let output = doctor(
        &Sandbox::new(),
        &["--server", &server.api_base(), "--json"],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let report = report(&output);
    let host = check(&report, "host");
    assert_eq!(host["status"], "ok");
    assert!(
        host["detail"].as_str().unwrap().contains("plain HTTP"),
        "{host}"
    );
    assert_eq!(check(&report, "clock")["status"], "ok");
    assert_eq!(check(&report, "account")["status"], "info");
    assert!(server.uploads().is_empty(), "doctor uploaded something");
}

#[test]
fn a_host_that_does_not_answer_is_a_host_problem() {
    let server = format!("http://127.0.0.1:{}", closed_port());
    let output = doctor(&Sandbox::new(), &["--server", &server], &[]);
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(6), "{stdout} {stderr}");
    assert!(stdout.contains("PROBLEM  host"), "{stdout}");
    assert!(
        stdout.contains("not compared: no host answered"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.trim_end().ends_with(';'), "{stderr}");
}

#[test]
fn https_to_a_plain_http_port_is_a_host_problem_not_a_pass() {
    let server = StandIn::start();
    let https = server.api_base().replace("http://", "https://");
    let output = doctor(&Sandbox::new(), &["--server", &https, "--json"], &[]);
    assert_eq!(output.status.code(), Some(6));
    assert_eq!(check(&report(&output), "host")["status"], "problem");
}

#[test]
fn a_server_that_is_not_a_url_is_a_configuration_problem_named_by_its_source() {
    let output = doctor(&Sandbox::new(), &[], &[("SHARE_SERVER", "tmpfile.link")]);
    let (stdout, _) = texts(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("SHARE_SERVER"), "{stdout}");
}

#[test]
fn half_a_tflink_account_is_a_configuration_problem() {
    let server = StandIn::start();
    let output = doctor(
        &Sandbox::new(),
        &["--server", &server.api_base(), "--json"],
        &[("TFLINK_USER_ID", "12345")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(check(&report(&output), "account")["status"], "problem");
}

#[test]
fn a_host_clock_an_hour_ahead_is_a_warning() {
    let ahead = httpdate_in(3600);
    let (base, _) = raw::http(Arc::new(move |_head, out| {
        let _ = write!(
            out,
            "HTTP/1.1 200 OK\r\nDate: {ahead}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }));
    let output = doctor(&Sandbox::new(), &["--server", &base, "--json"], &[]);
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    let clock = check(&report(&output), "clock").clone();
    assert_eq!(clock["status"], "warning", "{clock}");
    let detail = clock["detail"].as_str().unwrap();
    assert!(detail.contains("behind the host's"), "{detail}");
}

#[test]
fn proxy_passwords_are_never_printed() {
    let server = StandIn::start();
    let output = doctor(
        &Sandbox::new(),
        &["--server", &server.api_base()],
        &[
            (
                "HTTPS_PROXY",
                "http://builder:hunter2-proxy-secret@127.0.0.1:9",
            ),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    let (stdout, stderr) = texts(&output);
    assert!(
        stdout.contains("HTTPS_PROXY=http://builder:***@127.0.0.1:9"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"));
}

#[test]
fn a_resume_directory_open_to_others_is_reported_and_left_as_it_was() {
    let sandbox = Sandbox::new();
    let resume = sandbox.home().join(".cache/share/resume");
    std::fs::create_dir_all(&resume).unwrap();
    std::fs::set_permissions(&resume, std::fs::Permissions::from_mode(0o777)).unwrap();
    let server = StandIn::start();
    let output = doctor(&sandbox, &["--server", &server.api_base(), "--json"], &[]);
    assert_eq!(output.status.code(), Some(0), "{:?}", texts(&output));
    assert_eq!(check(&report(&output), "resume")["status"], "warning");
    let mode = std::fs::metadata(&resume).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o777, "doctor changed the directory");
}

/// An HTTP date `seconds` from now.
fn httpdate_in(seconds: u64) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(seconds))
}

/// Every host a send may fall back on is checked, in order: here the first answers and
/// the second does not, which is a host problem (exit 6) naming the second.
#[test]
fn every_fallback_host_is_checked() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let servers = format!("{} {dead}", server.api_base());
    let output = doctor(&sandbox, &["--json"], &[("SHARE_SERVER", &servers)]);
    assert_eq!(output.status.code(), Some(6), "{:?}", texts(&output));
    let report = report(&output);
    let hosts: Vec<&serde_json::Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["check"] == "host")
        .collect();
    assert_eq!(hosts.len(), 2, "{report}");
    assert_eq!(hosts[0]["status"], "ok", "{report}");
    assert_eq!(hosts[1]["status"], "problem", "{report}");
    assert!(
        hosts[1]["detail"]
            .as_str()
            .unwrap()
            .contains(dead.trim_start_matches("http://")),
        "{report}"
    );
}
