//! Hints that point the right way: a failure names where the bad value came from (the
//! flag or the variable) and the likely fix, not a generic "try again later".

use crate::support::prelude::*;
use crate::support::texts;

const PASSPHRASE: &str = "hints-test-passphrase-orbit-candle-meadow";

fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn send_with(sandbox: &Sandbox, configure: impl FnOnce(&mut std::process::Command)) -> String {
    sandbox.write("a.txt", b"x");
    let mut command = sandbox.bare();
    command
        .args(["send", "--retries", "0", "a.txt"])
        .env("SHARE_PASSPHRASE", PASSPHRASE);
    configure(&mut command);
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", texts(&output).1);
    texts(&output).1
}

#[test]
fn a_missing_link_suggests_checking_that_the_whole_link_was_copied() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let output = sandbox
        .share(&server)
        .args(["receive", &server.missing_link()])
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(&output, 5, "check that you copied the whole link");
}

#[test]
fn a_link_without_its_scheme_says_so() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .bare()
        .args(["receive", "tmpfile.link/abc123/share.age"])
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(
        &output,
        2,
        "the link does not start with http:// or https://; copy the whole link",
    );
    assert!(!texts(&output).1.contains("relative URL"));
}

#[test]
fn a_wrong_server_names_the_variable_or_the_flag_it_came_from() {
    let sandbox = Sandbox::new();
    let dead = dead_address();
    let from_env = send_with(&sandbox, |command| {
        command.env("SHARE_SERVER", &dead);
    });
    assert!(
        from_env.ends_with("check the address in SHARE_SERVER and your network connection\n"),
        "{from_env}"
    );
    assert!(!from_env.contains("try again later"), "{from_env}");
    let from_flag = send_with(&sandbox, |command| {
        command.args(["--server", &dead]);
    });
    assert!(
        from_flag.ends_with("check the address in --server and your network connection\n"),
        "{from_flag}"
    );

    // An address that is no URL at all is a usage error that names its source too.
    let output = sandbox
        .bare()
        .args(["send", "a.txt"])
        .env("SHARE_SERVER", "ftp://example.org")
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert_failure(
        &output,
        2,
        "SHARE_SERVER must be an http:// or https:// address; give SHARE_SERVER",
    );
}

#[test]
fn https_against_a_plain_http_port_is_not_called_an_untrusted_certificate() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let https = server.api_base().replacen("http://", "https://", 1);
    let stderr = send_with(&sandbox, |command| {
        command.args(["--server", &https]);
    });
    assert!(stderr.contains("does not answer TLS there"), "{stderr}");
    assert!(
        stderr.ends_with("use http:// in --server for a server without TLS, or check the port\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("certificate"), "{stderr}");
}

#[test]
fn a_host_that_is_not_a_tflink_api_is_named_by_its_source() {
    let server = StandIn::start();
    server.set_upload_fault(crate::support::tflink::UploadFault::Status(404));
    let sandbox = Sandbox::new();
    let stderr = send_with(&sandbox, |command| {
        command.env("SHARE_SERVER", server.api_base());
    });
    assert!(
        stderr.ends_with(
            "check SHARE_SERVER: it must be a tfLink-compatible API base; nothing was shared\n"
        ),
        "{stderr}"
    );
}
