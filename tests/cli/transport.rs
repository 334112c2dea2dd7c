//! Flaky and hostile networks: retries, resumed downloads, timeouts, wrong lengths,
//! redirects, TLS and proxies, against the stand-in and hand-driven raw servers.

use std::fs;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::raw::{self, Responder, Tls};
use crate::support::tflink::{DownloadFault, StandIn, UploadFault};
use crate::support::{Sandbox, assert_failure, link_and_passphrase, texts};
use crate::support::{distinctive, send};

const PASSPHRASE_ENV: &str = "SHARE_PASSPHRASE";

/// A real share: its ciphertext, its passphrase and the original bytes.
fn made_share(size: usize) -> (Vec<u8>, String, Vec<u8>) {
    let server = StandIn::start();
    let sender = Sandbox::new();
    let content = distinctive(size);
    sender.write("payload.bin", &content);
    let (_, passphrase) = send(&sender, &server, &["payload.bin"]);
    (server.uploads().pop().unwrap().body, passphrase, content)
}

fn serve_bytes(body: Vec<u8>) -> Responder {
    Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", body.len()).as_bytes());
        let _ = out.write_all(&body);
    })
}

#[test]
fn transient_upload_failures_are_retried_with_a_fresh_stream() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::FailTimes {
        times: 2,
        status: 503,
        retry_after: None,
    });
    let sender = Sandbox::new();
    sender.write("a.bin", &distinctive(200_000));
    let output = sender
        .share(&server)
        .args(["send", "a.bin"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(server.upload_attempts(), 3);
    assert_eq!(stderr.matches("retrying in").count(), 2, "{stderr}");
    // Every attempt carried a complete, different ciphertext (fresh encryption each time).
    let uploads = server.uploads();
    assert_eq!(uploads.len(), 3);
    assert_ne!(uploads[0].body, uploads[2].body);
    assert_eq!(uploads[0].body.len(), uploads[2].body.len());

    let (link, passphrase) = link_and_passphrase(&stdout);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success());
    assert_eq!(
        fs::read(receiver.work().join("a.bin")).unwrap(),
        distinctive(200_000)
    );
}

#[test]
fn retry_after_is_honoured() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::FailTimes {
        times: 1,
        status: 429,
        retry_after: Some(1),
    });
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let started = Instant::now();
    let output = sender
        .share(&server)
        .args(["send", "-q", "a.txt"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.upload_attempts(), 2);
}

#[test]
fn a_host_that_keeps_failing_gives_up_in_bounded_time() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::FailTimes {
        times: 100,
        status: 502,
        retry_after: None,
    });
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let started = Instant::now();
    let output = sender
        .share(&server)
        .args([
            "send",
            "-q",
            "--retries",
            "2",
            "--passphrase-out",
            "p.txt",
            "a.txt",
        ])
        .output()
        .unwrap();
    assert_failure(&output, 6, "the host refused the upload (502 Bad Gateway)");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(server.upload_attempts(), 3);
    assert!(!sender.work().join("p.txt").exists());
}

#[test]
fn transient_download_failures_are_retried() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.bin", &distinctive(100_000));
    let (link, passphrase) = send(&sender, &server, &["a.bin"]);

    server.set_download_fault(DownloadFault::FailTimes {
        times: 2,
        status: 503,
        retry_after: Some(1),
    });
    let receiver = Sandbox::new();
    let started = Instant::now();
    let output = receiver.receive(&server, &link, &passphrase, &["-q"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After honoured"
    );
    assert_eq!(server.downloads().len(), 3);
    assert_eq!(
        fs::read(receiver.work().join("a.bin")).unwrap(),
        distinctive(100_000)
    );
}

#[test]
fn a_download_host_that_keeps_failing_gives_up_in_bounded_time() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.bin", b"alpha");
    let (link, passphrase) = send(&sender, &server, &["a.bin"]);

    server.set_download_fault(DownloadFault::FailTimes {
        times: 100,
        status: 502,
        retry_after: None,
    });
    let receiver = Sandbox::new();
    let started = Instant::now();
    let output = receiver.receive(&server, &link, &passphrase, &["--retries", "2"]);
    // Downloads announce their retries as uploads do: one notice per retry, then the error.
    let (stdout, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains("502 Bad Gateway); retrying in")
            && lines[0].ends_with("(attempt 2 of 3)")
    );
    assert!(lines[1].ends_with("(attempt 3 of 3)"), "{stderr}");
    assert!(lines[2].starts_with("share: error: the host refused the download (502 Bad Gateway)"));
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(server.downloads().len(), 3);
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn a_dropped_download_resumes_with_a_range_request() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(400_000));
    let (link, passphrase) = send(&sender, &server, &["big.bin"]);
    server.set_download_fault(DownloadFault::DropOnce(150_000));
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("big.bin")).unwrap(),
        distinctive(400_000)
    );
    assert_eq!(server.range_requests(), vec!["bytes=150000-".to_owned()]);
}

#[test]
fn a_dropped_download_restarts_where_range_is_ignored() {
    let server = StandIn::start();
    server.ignore_ranges();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(400_000));
    let (link, passphrase) = send(&sender, &server, &["big.bin"]);
    server.set_download_fault(DownloadFault::DropOnce(150_000));
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("big.bin")).unwrap(),
        distinctive(400_000)
    );
    assert_eq!(server.downloads().len(), 2);
}

#[test]
fn unreachable_hosts_exit_6() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("k.bin", b"k");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = sandbox
        .share(&server)
        .args([
            "send",
            "--retries",
            "0",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "k.bin",
        ])
        .output()
        .unwrap();
    assert_failure(&output, 6, "Connection refused");

    let output = sandbox
        .share(&server)
        .args([
            "send",
            "--retries",
            "0",
            "--connect-timeout",
            "5",
            "--server",
            "http://no-such-host.invalid",
            "k.bin",
        ])
        .output()
        .unwrap();
    assert_failure(&output, 6, "no-such-host.invalid");

    let output = sandbox.receive(
        &server,
        &format!("http://127.0.0.1:{port}/x"),
        "p",
        &["--retries", "0"],
    );
    assert_failure(&output, 6, "cannot download 127.0.0.1");
    assert_eq!(Sandbox::listing(&sandbox.work()), vec!["k.bin"]);
}

#[test]
fn stalled_servers_time_out() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let (share, passphrase, _) = made_share(200_000);

    // Headers, then nothing.
    let (after_headers, _) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(raw::head("200 OK", "application/octet-stream", 5000).as_bytes());
        let _ = out.flush();
        raw::stall(Duration::from_secs(10));
    }));
    // Part of the body, then nothing.
    let partial = share[..70_000].to_vec();
    let (mid_body, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(raw::head("200 OK", "application/octet-stream", 200_000).as_bytes());
        let _ = out.write_all(&partial);
        let _ = out.flush();
        raw::stall(Duration::from_secs(10));
    }));
    for base in [after_headers, mid_body] {
        let started = Instant::now();
        let output = sandbox.receive(
            &server,
            &format!("{base}/share.age"),
            &passphrase,
            &["--retries", "0", "--idle-timeout", "1"],
        );
        assert_failure(&output, 6, "timed out");
        assert!(started.elapsed() < Duration::from_secs(8));
        assert!(Sandbox::listing(&sandbox.work()).is_empty());
    }

    // An upload endpoint that reads the request and never answers.
    let (silent, _) = raw::http(Arc::new(|_head: &str, _out: &mut dyn Write| {
        raw::stall(Duration::from_secs(10))
    }));
    sandbox.write("a.txt", b"alpha");
    let output = sandbox
        .share(&server)
        .args([
            "send",
            "--retries",
            "0",
            "--idle-timeout",
            "1",
            "--server",
            &silent,
            "a.txt",
        ])
        .output()
        .unwrap();
    assert_failure(&output, 6, "timed out");

    // The overall deadline holds even while data trickles in.
    let (trickle, _) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(raw::head("200 OK", "application/octet-stream", 100_000).as_bytes());
        let _ = out.write_all(b"age-encryption.org/v1\n");
        for _ in 0..40 {
            if out.write_all(b"-").and_then(|()| out.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }));
    let started = Instant::now();
    let output = sandbox.receive(
        &server,
        &format!("{trickle}/x.age"),
        &passphrase,
        &["--timeout", "2"],
    );
    assert_failure(&output, 6, "did not finish within 2 seconds");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[test]
fn wrong_lengths_are_handled() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let (share, passphrase, content) = made_share(100_000);

    // Shorter than its Content-Length, every time: resumed, then given up.
    let short = share[..50_000].to_vec();
    let full_length = share.len();
    let (shorter, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", full_length).as_bytes());
        let _ = out.write_all(&short);
    }));
    let output = sandbox.receive(
        &server,
        &format!("{shorter}/share.age"),
        &passphrase,
        &["--retries", "1"],
    );
    assert_eq!(output.status.code(), Some(6), "{}", texts(&output).1);
    assert!(Sandbox::listing(&sandbox.work()).is_empty());

    // Longer than its Content-Length: what follows the announced length is never read.
    let mut long = share.clone();
    long.extend_from_slice(b"EXTRA BYTES THAT ARE NOT PART OF THE FILE");
    let announced = share.len();
    let (longer, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", announced).as_bytes());
        let _ = out.write_all(&long);
    }));
    let output = sandbox.receive(&server, &format!("{longer}/payload.age"), &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(sandbox.work().join("payload.bin")).unwrap(),
        content
    );

    // A length beyond any share file is refused before reading.
    let (huge, _) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", 200_000_000).as_bytes());
    }));
    let empty = Sandbox::new();
    let output = empty.receive(&server, &format!("{huge}/x.age"), &passphrase, &[]);
    assert_failure(&output, 6, "more than 134217728 bytes");

    // An endless chunked body fails as soon as a chunk does not authenticate.
    let prefix = share[..1000].to_vec();
    let (endless, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        let _ = out.write_all(format!("{:x}\r\n", prefix.len()).as_bytes());
        let _ = out.write_all(&prefix);
        let _ = out.write_all(b"\r\n");
        let chunk = vec![0x5a; 1 << 20];
        for _ in 0..300 {
            let written = out
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .and_then(|()| out.write_all(&chunk))
                .and_then(|()| out.write_all(b"\r\n"));
            if written.is_err() {
                return;
            }
        }
    }));
    let started = Instant::now();
    let output = empty.receive(&server, &format!("{endless}/x.age"), &passphrase, &[]);
    assert_failure(&output, 4, "failed authentication");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(Sandbox::listing(&empty.work()).is_empty());
}

#[test]
fn json_where_ciphertext_was_expected_exits_4() {
    let server = StandIn::start();
    let (json, _) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let body = br#"{"error":"File not found"}"#;
        let _ = out.write_all(raw::head("200 OK", "application/json", body.len()).as_bytes());
        let _ = out.write_all(body);
    }));
    let sandbox = Sandbox::new();
    let output = sandbox.receive(&server, &format!("{json}/share.age"), "p", &[]);
    assert_failure(
        &output,
        4,
        "the link did not return an age file or a share index",
    );
}

#[test]
fn redirects_are_followed_only_within_limits() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let (share, passphrase, content) = made_share(1000);

    let (target, target_heads) = raw::http(serve_bytes(share));
    let hop_target = format!("{target}/payload.age");
    let (hop, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(format!("HTTP/1.1 302 Found\r\nLocation: {hop_target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
    }));
    let output = sandbox.receive(&server, &format!("{hop}/start"), &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(sandbox.work().join("payload.bin")).unwrap(),
        content
    );
    let heads = target_heads.lock().unwrap().join("").to_ascii_lowercase();
    assert!(!heads.contains("referer"), "{heads}");

    let (looping, _) = raw::http(Arc::new(|head: &str, out: &mut dyn Write| {
        let n: u32 = head
            .split(' ')
            .nth(1)
            .and_then(|p| p.trim_start_matches('/').parse().ok())
            .unwrap_or(0);
        let _ = out.write_all(format!("HTTP/1.1 302 Found\r\nLocation: /{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", n + 1).as_bytes());
    }));
    let empty = Sandbox::new();
    let output = empty.receive(&server, &format!("{looping}/0"), &passphrase, &[]);
    assert_failure(&output, 6, "more than 5 redirects");

    let (to_ftp, to_ftp_heads) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/share.age\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }));
    let output = empty.receive(&server, &format!("{to_ftp}/x"), &passphrase, &[]);
    assert_eq!(output.status.code(), Some(6), "{}", texts(&output).1);
    assert!(Sandbox::listing(&empty.work()).is_empty());
    // A refused redirect would be refused again: it is not retried.
    assert_eq!(to_ftp_heads.lock().unwrap().len(), 1);
}

#[test]
fn uploads_never_follow_redirects() {
    let server = StandIn::start();
    let (elsewhere, elsewhere_heads) = raw::http(Arc::new(|_head: &str, _out: &mut dyn Write| {}));
    let location = format!("{elsewhere}/api/upload");
    let (redirecting, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
    }));
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    let output = sandbox
        .share(&server)
        .args(["send", "--server", &redirecting, "a.txt"])
        .env("TFLINK_USER_ID", "user")
        .env("TFLINK_AUTH_TOKEN", "token-secret")
        .output()
        .unwrap();
    assert_failure(&output, 6, "redirected the upload");
    assert!(
        elsewhere_heads.lock().unwrap().is_empty(),
        "credentials must not reach another host"
    );
}

#[test]
fn tls_needs_a_trusted_certificate_and_never_downgrades() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let (share, passphrase, content) = made_share(5000);
    let tls = Tls::new();
    let (https, _) = tls.https(serve_bytes(share));
    let link = format!("{https}/payload.age");

    // An untrusted certificate would be untrusted again: no retries, no backoff.
    let started = Instant::now();
    let output = sandbox.receive(&server, &link, &passphrase, &[]);
    assert_failure(&output, 6, "certificate");
    assert!(texts(&output).1.contains("--ca-file"));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(Sandbox::listing(&sandbox.work()).is_empty());

    sandbox.write("ca.pem", tls.ca_pem.as_bytes());
    let output = sandbox.receive(&server, &link, &passphrase, &["--ca-file", "ca.pem"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(sandbox.work().join("payload.bin")).unwrap(),
        content
    );

    sandbox.write("not-a-ca.pem", b"hello");
    let output = sandbox.receive(&server, &link, &passphrase, &["--ca-file", "not-a-ca.pem"]);
    assert_failure(&output, 2, "holds no PEM certificate");

    let (plain, plain_heads) = raw::http(Arc::new(|_head: &str, _out: &mut dyn Write| {}));
    let location = format!("{plain}/payload.age");
    let (downgrading, _) = tls.https(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
    }));
    let fresh = Sandbox::new();
    fresh.write("ca.pem", tls.ca_pem.as_bytes());
    let output = fresh.receive(
        &server,
        &format!("{downgrading}/x"),
        &passphrase,
        &["--ca-file", "ca.pem"],
    );
    assert_failure(&output, 6, "down to http");
    assert!(plain_heads.lock().unwrap().is_empty());
}

#[test]
fn proxies_from_the_environment_are_honoured() {
    let server = StandIn::start();
    let (share, passphrase, content) = made_share(5000);
    let tls = Tls::new();
    let (https, _) = tls.https(serve_bytes(share));
    let link = format!("{https}/payload.age");
    let (proxy, requests) = raw::proxy();

    let sandbox = Sandbox::new();
    sandbox.write("ca.pem", tls.ca_pem.as_bytes());
    let output = sandbox
        .share(&server)
        .args(["receive", "--ca-file", "ca.pem", &link])
        .env(PASSPHRASE_ENV, &passphrase)
        .env("HTTPS_PROXY", &proxy)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(sandbox.work().join("payload.bin")).unwrap(),
        content
    );
    let seen = requests.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("CONNECT 127.0.0.1:"), "{seen:?}");

    let other = Sandbox::new();
    other.write("ca.pem", tls.ca_pem.as_bytes());
    let output = other
        .share(&server)
        .args(["receive", "--ca-file", "ca.pem", &link])
        .env(PASSPHRASE_ENV, &passphrase)
        .env("HTTPS_PROXY", &proxy)
        .env("NO_PROXY", "127.0.0.1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        requests.lock().unwrap().len(),
        1,
        "NO_PROXY must bypass the proxy"
    );
}

#[test]
fn a_download_link_on_another_scheme_is_refused() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::ReplyLink(
        "ftp://d.tmpfile.link/public/x/share.age".to_owned(),
    ));
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    let output = sandbox
        .share(&server)
        .args(["send", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 6, "downloadLink is not an http(s) URL");
    assert!(!texts(&output).1.contains("Passphrase"));
}
