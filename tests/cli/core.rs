//! Sending and receiving through the stand-in: round trips, what the host sees, output
//! modes, JSON, and every failure path of the core.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::support::prelude::*;
use crate::support::tflink::{DownloadFault, UploadFault};
use crate::support::{link_and_passphrase, texts};

/// The host must have seen only age ciphertext, under a neutral name, with none of `secrets`.
fn assert_host_saw_only_ciphertext(server: &StandIn, secrets: &[&[u8]]) {
    let uploads = server.uploads();
    assert!(!uploads.is_empty());
    for upload in uploads {
        assert_eq!(upload.file_name.as_deref(), Some("share.age"));
        assert_eq!(
            upload.content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert!(
            upload
                .body
                .starts_with(b"age-encryption.org/v1\n-> scrypt ")
        );
        for secret in secrets {
            if secret.len() >= 8 {
                assert!(
                    !upload.body.windows(secret.len()).any(|w| w == *secret),
                    "the host saw plaintext"
                );
            }
        }
    }
}

fn mode_of(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn single_files_of_boundary_sizes_round_trip() {
    let server = StandIn::start();
    for size in [0usize, 1, 65535, 65536, 65537, 3_000_000] {
        let sender = Sandbox::new();
        let name = format!("report-{size}.bin");
        let content = distinctive(size);
        sender.write(&name, &content);
        let (link, passphrase) = send(&sender, &server, &[&name]);
        assert_eq!(passphrase.split('-').count(), 10);

        let receiver = Sandbox::new();
        let output = receiver.receive(&server, &link, &passphrase, &[]);
        assert!(output.status.success(), "{}", texts(&output).1);
        let written = receiver.work().join(&name);
        assert_eq!(fs::read(&written).unwrap(), content, "size {size}");
        assert_eq!(mode_of(&written), 0o600);
        assert_eq!(Sandbox::listing(&receiver.work()), vec![name.clone()]);
        let upload = server.uploads().pop().unwrap();
        assert!(
            !upload
                .body
                .windows(name.len())
                .any(|w| w == name.as_bytes()),
            "name leaked"
        );
        assert_host_saw_only_ciphertext(&server, &[&content[..content.len().min(64)]]);
    }
}

#[test]
fn directories_and_several_files_round_trip_as_one_bundle() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("project/src/main.rs", b"fn main() {}\n");
    sender.write("project/docs/deep/nested/notes.txt", &distinctive(100_000));
    fs::create_dir_all(sender.work().join("project/empty-dir")).unwrap();
    sender.write("extra.txt", b"extra file");
    let (link, passphrase) = send(&sender, &server, &["project", "extra.txt"]);

    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    let work = receiver.work();
    assert_eq!(
        fs::read(work.join("project/src/main.rs")).unwrap(),
        b"fn main() {}\n"
    );
    assert_eq!(
        fs::read(work.join("project/docs/deep/nested/notes.txt")).unwrap(),
        distinctive(100_000)
    );
    assert!(work.join("project/empty-dir").is_dir());
    assert_eq!(fs::read(work.join("extra.txt")).unwrap(), b"extra file");
    assert_eq!(Sandbox::listing(&work), vec!["extra.txt", "project"]);
    for name in ["project", "main.rs", "notes.txt", "extra.txt"] {
        let body = &server.uploads()[0].body;
        assert!(
            !body.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} leaked to the host"
        );
    }
}

#[test]
fn output_option_names_a_file_a_directory_or_stdout() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    sender.write("b.txt", b"beta");
    let (single, single_pass) = send(&sender, &server, &["a.txt"]);
    let (bundle, bundle_pass) = send(&sender, &server, &["a.txt", "b.txt"]);

    let receiver = Sandbox::new();
    // -o FILE: a single file gets that name.
    let output = receiver.receive(&server, &single, &single_pass, &["-o", "renamed.txt"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("renamed.txt")).unwrap(),
        b"alpha"
    );

    // -o DIR (existing): files go inside under their own names.
    fs::create_dir(receiver.work().join("inbox")).unwrap();
    let output = receiver.receive(&server, &single, &single_pass, &["-o", "inbox"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("inbox/a.txt")).unwrap(),
        b"alpha"
    );

    // -o NEW for several files: a new directory.
    let output = receiver.receive(&server, &bundle, &bundle_pass, &["-o", "bundle"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("bundle/b.txt")).unwrap(),
        b"beta"
    );

    // -o -: the bytes on stdout, nothing on disk.
    let before = Sandbox::listing(&receiver.work());
    let output = receiver.receive(&server, &single, &single_pass, &["-o", "-"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(output.stdout, b"alpha");
    assert_eq!(Sandbox::listing(&receiver.work()), before);

    // -o - with several files is refused before anything is written.
    let output = receiver.receive(&server, &bundle, &bundle_pass, &["-o", "-"]);
    assert_failure(&output, 2, "single-file share");
}

#[test]
fn json_reports_agree_between_send_and_receive() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("data.csv", b"a,b\n1,2\n");
    let output = sender
        .share(&server)
        .args(["send", "--json", "data.csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let sent: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sent["version"], 1);
    assert_eq!(sent["parts"], 1);
    assert_eq!(sent["recipients"], serde_json::json!([]));
    assert!(sent["expires_at"].as_str().unwrap().ends_with('Z'));
    let upload = server.uploads().pop().unwrap();
    assert_eq!(
        sent["ciphertext_size"].as_u64().unwrap(),
        upload.body.len() as u64
    );
    let link = sent["link"].as_str().unwrap();
    let passphrase = sent["passphrase"].as_str().unwrap();

    let receiver = Sandbox::new();
    let output = receiver.receive(&server, link, passphrase, &["--json"]);
    assert!(output.status.success());
    let got: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(got["version"], 1);
    assert_eq!(
        got["files"],
        serde_json::json!([{ "path": "data.csv", "size": 8 }])
    );
    assert_eq!(got["sha256"], sent["sha256"]);
    // Both describe the plaintext payload: exactly what `age -d` outputs.
    assert_eq!(
        sent["sha256"].as_str().unwrap(),
        sha256_hex(&decrypt(&upload.body, passphrase))
    );
}

/// What `age -d` makes of a passphrase-encrypted upload.
pub fn decrypt(ciphertext: &[u8], passphrase: &str) -> Vec<u8> {
    use std::io::Read;
    let decryptor = age::Decryptor::new(ciphertext).unwrap();
    let identity = age::scrypt::Identity::new(passphrase.to_owned().into());
    let mut plaintext = Vec::new();
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut plaintext)
        .unwrap();
    plaintext
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    share_client::stream::digest::hex(&sha2::Sha256::digest(bytes))
}

#[test]
fn passphrase_out_keeps_the_passphrase_off_stdout() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("build.tar", b"artifact");
    let output = sandbox
        .share(&server)
        .args(["send", "--passphrase-out", "pass.txt", "build.tar"])
        .output()
        .unwrap();
    let (stdout, _) = texts(&output);
    assert!(output.status.success());
    let pass_file = sandbox.work().join("pass.txt");
    assert_eq!(mode_of(&pass_file), 0o600);
    let passphrase = fs::read_to_string(&pass_file).unwrap();
    assert!(passphrase.ends_with('\n'));
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("http://"));
    assert!(!stdout.contains(passphrase.trim()));

    let receiver = Sandbox::new();
    fs::copy(&pass_file, receiver.work().join("pass.txt")).unwrap();
    let output = receiver
        .share(&server)
        .args(["receive", "--passphrase-file", "pass.txt", stdout.trim()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("build.tar")).unwrap(),
        b"artifact"
    );

    // An existing passphrase file is never overwritten, and nothing is uploaded.
    let uploads = server.uploads().len();
    let output = sandbox
        .share(&server)
        .args(["send", "--passphrase-out", "pass.txt", "build.tar"])
        .output()
        .unwrap();
    assert_failure(&output, 7, "already exists");
    assert_eq!(fs::read_to_string(&pass_file).unwrap(), passphrase);
    assert_eq!(server.uploads().len(), uploads);
}

#[test]
fn failed_send_removes_the_passphrase_out_file_and_prints_no_passphrase() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::HtmlOk);
    let sandbox = Sandbox::new();
    sandbox.write("secret.txt", b"secret");
    let output = sandbox
        .share(&server)
        .args(["send", "--passphrase-out", "pass.txt", "secret.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 6, "the host's reply was unusable");
    assert!(!sandbox.work().join("pass.txt").exists());

    let output = sandbox
        .share(&server)
        .args(["send", "secret.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 6, "the host's reply was unusable");
    assert!(!texts(&output).1.contains("Passphrase"));
}

#[test]
fn own_passphrase_from_file_or_environment() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("notes.txt", b"my notes");
    let strong = "orbit-velvet-canyon-mosaic-thunder-pickle";
    sandbox.write("pass.txt", format!("{strong}\n").as_bytes());
    let output = sandbox
        .share(&server)
        .args([
            "send",
            "--json",
            "--passphrase-file",
            "pass.txt",
            "notes.txt",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    let sent: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sent["passphrase"], strong);
    let header = String::from_utf8_lossy(&server.uploads()[0].body[..80]).into_owned();
    assert!(
        header.lines().nth(1).unwrap().ends_with(" 18"),
        "own passphrases use work factor 18: {header}"
    );

    let receiver = Sandbox::new();
    let output = receiver.receive(&server, sent["link"].as_str().unwrap(), strong, &[]);
    assert!(output.status.success());
    assert_eq!(
        fs::read(receiver.work().join("notes.txt")).unwrap(),
        b"my notes"
    );
}

#[test]
fn weak_own_passphrase_is_refused_before_anything_is_sent() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("notes.txt", b"my notes");
    let output = sandbox
        .share(&server)
        .args(["send", "notes.txt"])
        .env("SHARE_PASSPHRASE", "password123")
        .output()
        .unwrap();
    assert_failure(&output, 2, "too weak");
    assert!(!texts(&output).1.contains("password123"));
    assert!(server.uploads().is_empty());
}

/// Famous phrases, the product's own words and BIP39 words in list order cost an attacker
/// a handful of guesses, however zxcvbn scores their words one by one: they are refused,
/// from a file or from the environment, and a strong phrase of one's own still passes.
#[test]
fn famous_and_ordered_passphrases_are_too_weak() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("notes.txt", b"my notes");
    for weak in [
        "correct horse battery staple",
        "Correct-Horse-Battery-Staple",
        "share-passphrase-2026",
        "abandon ability able about above absent absorb abstract absurd abuse",
    ] {
        sandbox.write("pass.txt", format!("{weak}\n").as_bytes());
        let output = sandbox
            .share(&server)
            .args(["send", "--passphrase-file", "pass.txt", "notes.txt"])
            .output()
            .unwrap();
        assert_failure(&output, 2, "too weak");
        let output = sandbox
            .share(&server)
            .args(["send", "notes.txt"])
            .env("SHARE_PASSPHRASE", weak)
            .output()
            .unwrap();
        assert_failure(&output, 2, "too weak");
        assert!(!texts(&output).1.contains(weak));
    }
    assert!(server.uploads().is_empty());

    let output = sandbox
        .share(&server)
        .args(["send", "notes.txt"])
        .env(
            "SHARE_PASSPHRASE",
            "wombat quasar lisbon tundra 1987 glacier orbit",
        )
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
}

/// A local file whose name Windows cannot create is refused before anything is sent, so
/// the sender can rename it instead of the receiver failing.
#[test]
fn names_windows_cannot_create_are_refused_on_send() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    for name in ["a:b", "trailing."] {
        sandbox.write(name, b"x");
        let output = sandbox
            .share(&server)
            .args(["send", name])
            .output()
            .unwrap();
        assert_failure(&output, 2, "rename it");
        assert!(texts(&output).1.contains(name), "{}", texts(&output).1);
    }
    assert!(server.uploads().is_empty());
}

#[test]
fn wrong_passphrase_exits_3_and_writes_nothing() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let (link, _) = send(&sender, &server, &["a.txt"]);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, "not-the-right-passphrase", &[]);
    assert_failure(&output, 3, "wrong passphrase");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn tampered_and_truncated_downloads_exit_4_and_write_nothing() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(300_000));
    let (link, passphrase) = send(&sender, &server, &["big.bin"]);
    let body = server.uploads()[0].body.clone();
    let full = body.len();
    let mac_at = body.windows(4).position(|w| w == b"\n---").unwrap() + 10;
    for (fault, needle) in [
        (DownloadFault::FlipFromEnd(0), "failed authentication"),
        (DownloadFault::FlipFromEnd(200_000), "failed authentication"),
        (
            DownloadFault::FlipFromEnd(full - 1 - mac_at),
            "the age header",
        ),
        (DownloadFault::Truncate(full - 1000), "cut short"),
        (DownloadFault::Truncate(100), "truncated"),
        (DownloadFault::Truncate(0), "did not return an age file"),
    ] {
        server.set_download_fault(fault.clone());
        let receiver = Sandbox::new();
        let output = receiver.receive(&server, &link, &passphrase, &[]);
        assert_failure(&output, 4, needle);
        assert!(
            Sandbox::listing(&receiver.work()).is_empty(),
            "{fault:?} left files behind"
        );
    }
}

#[test]
fn html_instead_of_ciphertext_exits_4() {
    let server = StandIn::start();
    server.set_download_fault(DownloadFault::HtmlOk);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &server.missing_link(), "whatever-pass", &[]);
    assert_failure(&output, 4, "the link did not return an age file");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn missing_or_expired_links_exit_5() {
    let server = StandIn::start();
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &server.missing_link(), "whatever-pass", &[]);
    assert_failure(&output, 5, "not found or has expired (404");
    server.set_download_fault(DownloadFault::Status(410));
    let output = receiver.receive(&server, &server.missing_link(), "whatever-pass", &[]);
    assert_failure(&output, 5, "(410");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn host_errors_exit_6() {
    let server = StandIn::with_limit(1_000);
    let sandbox = Sandbox::new();
    sandbox.write("k.bin", &distinctive(5_000));
    let output = sandbox
        .share(&server)
        .args(["send", "k.bin"])
        .output()
        .unwrap();
    assert_failure(&output, 6, "too large (413)");

    let server = StandIn::start();
    server.set_upload_fault(UploadFault::Status(503));
    let output = sandbox
        .share(&server)
        .args(["send", "-q", "--retries", "1", "k.bin"])
        .output()
        .unwrap();
    assert_failure(&output, 6, "503");
}

#[test]
fn a_part_size_over_the_host_limit_is_refused() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    let output = sandbox
        .share(&server)
        .args(["send", "--part-size", "101M", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "over the host's limit");
    assert!(server.uploads().is_empty());
}

#[test]
fn no_passphrase_source_without_a_terminal_fails_at_once() {
    let server = StandIn::start();
    let receiver = Sandbox::new();
    let started = Instant::now();
    let output = receiver
        .share(&server)
        .args(["receive", &server.missing_link()])
        .output()
        .unwrap();
    assert_failure(&output, 2, "no passphrase");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        server.downloads().is_empty(),
        "it must fail before downloading"
    );
}

#[test]
fn existing_output_is_never_touched_without_force() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"new content");
    let (link, passphrase) = send(&sender, &server, &["a.txt"]);

    let receiver = Sandbox::new();
    receiver.write("a.txt", b"precious");
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert_failure(&output, 7, "a.txt already exists");
    assert_eq!(
        fs::read(receiver.work().join("a.txt")).unwrap(),
        b"precious"
    );
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["a.txt"]);

    let output = receiver.receive(&server, &link, &passphrase, &["-o", "a.txt"]);
    assert_failure(&output, 7, "already exists");
    assert_eq!(
        fs::read(receiver.work().join("a.txt")).unwrap(),
        b"precious"
    );

    let output = receiver.receive(&server, &link, &passphrase, &["--force"]);
    assert!(output.status.success());
    assert_eq!(
        fs::read(receiver.work().join("a.txt")).unwrap(),
        b"new content"
    );
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["a.txt"]);
}

#[test]
fn account_credentials_go_in_headers_and_must_come_in_pairs() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    let output = sandbox
        .share(&server)
        .args(["send", "--json", "a.txt"])
        .env("TFLINK_USER_ID", "user-42")
        .env("TFLINK_AUTH_TOKEN", "token-secret")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    let sent: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sent["expires_at"], serde_json::Value::Null);
    let upload = server.uploads().pop().unwrap();
    assert_eq!(upload.headers["x-user-id"], "user-42");
    assert_eq!(upload.headers["x-auth-token"], "token-secret");

    let output = sandbox
        .share(&server)
        .args(["send", "a.txt"])
        .env("TFLINK_USER_ID", "user-42")
        .output()
        .unwrap();
    assert_failure(&output, 2, "must be set together");
}

#[test]
fn bad_inputs_and_links_are_usage_errors() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let output = sandbox
        .share(&server)
        .args(["send", "missing.pdf"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "cannot read missing.pdf");
    let output = sandbox
        .share(&server)
        .args(["receive", "ftp://example.invalid/x"])
        .env("SHARE_PASSPHRASE", "x")
        .output()
        .unwrap();
    assert_failure(&output, 2, "http:// or https://");
    let output = sandbox
        .share(&server)
        .args(["send", "--server", "not a url", "x"])
        .output()
        .unwrap();
    assert_failure(
        &output,
        2,
        "--server does not start with http:// or https://",
    );
    sandbox.write("pass.txt", b"\n");
    let output = sandbox
        .share(&server)
        .args([
            "receive",
            "--passphrase-file",
            "pass.txt",
            &server.missing_link(),
        ])
        .output()
        .unwrap();
    assert_failure(&output, 2, "is empty");
}

#[test]
fn stderr_in_a_pipe_carries_no_progress_bar() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.bin", &distinctive(500_000));
    let output = sandbox
        .share(&server)
        .args(["send", "a.bin"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&output);
    assert!(!stderr.contains("Uploading"));
    assert_eq!(stderr.lines().count(), 1, "just the hint: {stderr:?}");
    assert!(stderr.contains("different channels"));
    assert!(stderr.contains("expires in 7 days"));

    let output = sandbox
        .share(&server)
        .args(["send", "-q", "a.bin"])
        .output()
        .unwrap();
    assert!(output.stderr.is_empty());
}

#[test]
fn inputs_that_cannot_be_shared_are_refused_before_anything_is_sent() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("x/same.txt", b"1");
    sandbox.write("y/same.txt", b"2");
    let output = sandbox
        .share(&server)
        .args(["send", "x/same.txt", "y/same.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "two inputs are both named same.txt");

    let output = sandbox
        .share(&server)
        .args(["send", "/dev/null"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "not a regular file or directory");

    sandbox.write("odd\u{1b}[31mname", b"1");
    let output = sandbox
        .share(&server)
        .args(["send", "odd\u{1b}[31mname"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "control characters");
    assert!(
        !texts(&output).1.contains('\u{1b}'),
        "the name must be escaped"
    );
    assert!(server.uploads().is_empty());
}

#[test]
fn symbolic_links_inside_directories_are_skipped_with_a_warning() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("dir/real.txt", b"real");
    std::os::unix::fs::symlink("/etc/passwd", sender.work().join("dir/link")).unwrap();
    let output = sender
        .share(&server)
        .args(["send", "dir"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped") && stderr.contains("dir/link"),
        "{stderr}"
    );
    let (link, passphrase) = link_and_passphrase(&stdout);

    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success());
    assert_eq!(
        Sandbox::listing(&receiver.work().join("dir")),
        vec!["real.txt"]
    );
}

#[test]
fn local_write_failures_exit_7_and_leave_nothing() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.bin", &distinctive(200_000));
    let (link, passphrase) = send(&sender, &server, &["a.bin"]);

    let receiver = Sandbox::new();
    let output = receiver
        .share(&server)
        .args(["receive", "-o", "-", &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .stdout(fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot write to standard output: No space left on device"),
        "{stderr}"
    );

    let output = receiver.receive(&server, &link, &passphrase, &["-o", "no/such/dir/a.bin"]);
    assert_failure(&output, 7, "cannot write to no/such/dir");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn json_and_stdout_output_conflict() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    let output = sandbox
        .share(&server)
        .args(["receive", "--json", "-o", "-", &server.missing_link()])
        .env("SHARE_PASSPHRASE", "x")
        .output()
        .unwrap();
    assert_failure(&output, 2, "--json and -o - both want standard output");
}

#[test]
fn github_actions_masks_the_passphrase_before_it_appears() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    // stdout and stderr into one pipe, to see the order in which a log would show them.
    let output = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("'{}' send -q a.txt 2>&1", env!("CARGO_BIN_EXE_share")),
        ])
        .current_dir(sandbox.work())
        .env_clear()
        .env("HOME", sandbox.home())
        .env("SHARE_SERVER", server.api_base())
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert!(output.status.success());
    let log = String::from_utf8(output.stdout).unwrap();
    let (_, passphrase) = link_and_passphrase(&log);
    let mask = log
        .find(&format!("::add-mask::{passphrase}"))
        .expect("a mask command");
    let first_use = log.find(&format!("Passphrase: {passphrase}")).unwrap();
    assert!(mask < first_use, "{log}");

    // Outside GitHub Actions, no workflow command.
    let output = sandbox
        .share(&server)
        .args(["send", "a.txt"])
        .output()
        .unwrap();
    assert!(!texts(&output).1.contains("::add-mask::"));
}

/// Under GitHub Actions, the mask command (which names the passphrase) is printed only when
/// the passphrase reaches the output: `-q` alone prints it on stdout and needs the mask;
/// `--passphrase-out` keeps it in its file, where a mask would only leak it into the log.
#[test]
fn github_actions_masks_only_a_passphrase_that_is_printed() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"alpha");
    let in_actions = |args: &[&str]| {
        let output = std::process::Command::new(crate::support::share_binary())
            .arg("send")
            .args(args)
            .current_dir(sandbox.work())
            .env_clear()
            .env("HOME", sandbox.home())
            .env("SHARE_SERVER", server.api_base())
            .env("GITHUB_ACTIONS", "true")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", texts(&output).1);
        output
    };

    let output = in_actions(&["-q", "--passphrase-out", "pass.txt", "a.txt"]);
    let (stdout, stderr) = texts(&output);
    let passphrase = fs::read_to_string(sandbox.work().join("pass.txt")).unwrap();
    let passphrase = passphrase.trim();
    assert!(!passphrase.is_empty());
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains("::add-mask::"), "{name}: {text}");
        assert!(!text.contains(passphrase), "{name}: {text}");
    }

    let output = in_actions(&["-q", "a.txt"]);
    let (stdout, stderr) = texts(&output);
    let (_, passphrase) = link_and_passphrase(&stdout);
    assert!(
        stderr.contains(&format!("::add-mask::{passphrase}")),
        "{stderr}"
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(3_000_000));
    let (link, passphrase) = send(&sender, &server, &["big.bin"]);
    let receiver = Sandbox::new();
    let mut child = receiver
        .share(&server)
        .args(["receive", "-o", "-", &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout); // like `| head -c 16`
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", texts(&output).1);
    assert!(!texts(&output).1.contains("error"));
}

#[test]
fn standard_input_round_trips_under_its_given_name() {
    let server = StandIn::start();
    for (content, name) in [(distinctive(300_000), Some("dump.sql")), (Vec::new(), None)] {
        let sender = Sandbox::new();
        let mut command = sender.share(&server);
        command.args(["send", "--json", "-"]);
        if let Some(name) = name {
            command.args(["--name", name]);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &content).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", texts(&output).1);
        assert!(
            Sandbox::listing(&sender.work()).is_empty(),
            "nothing spooled beside the sender"
        );
        let sent: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

        let receiver = Sandbox::new();
        let output = receiver.receive(
            &server,
            sent["link"].as_str().unwrap(),
            sent["passphrase"].as_str().unwrap(),
            &["-o", "-"],
        );
        assert!(output.status.success(), "{}", texts(&output).1);
        assert_eq!(output.stdout, content);
        let output = receiver.receive(
            &server,
            sent["link"].as_str().unwrap(),
            sent["passphrase"].as_str().unwrap(),
            &[],
        );
        assert!(output.status.success());
        let expected_name = name.unwrap_or("stdin");
        assert_eq!(
            fs::read(receiver.work().join(expected_name)).unwrap(),
            content
        );
    }

    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"a");
    let output = sandbox
        .share(&server)
        .args(["send", "-", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "must be the only PATH");
    let output = sandbox
        .share(&server)
        .args(["send", "--name", "x", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "--name only applies");
    let output = sandbox
        .share(&server)
        .args(["send", "--name", "../x", "-"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "contains a slash");
}

#[test]
fn a_long_list_of_written_files_is_summarised_and_stdout_is_named() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    for number in 0..30 {
        sender.write(&format!("many/{number:02}.txt"), b"12345");
    }
    let (link, passphrase) = send(&sender, &server, &["many"]);
    let receiver = Sandbox::new();
    let (_, stderr) = assert_success(&receiver.receive(&server, &link, &passphrase, &[]));
    let wrote: Vec<&str> = stderr.lines().filter(|l| l.contains("wrote")).collect();
    assert_eq!(wrote.len(), 20, "{stderr}");
    assert!(
        wrote[19].contains("wrote 11 more files (55 bytes; 30 files, 150 bytes in all"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_dir(receiver.work().join("many")).unwrap().count(),
        30
    );

    sender.write("one.txt", b"abc");
    let (link, passphrase) = send(&sender, &server, &["one.txt"]);
    let output = receiver.receive(&server, &link, &passphrase, &["-o", "-"]);
    let (stdout, stderr) = assert_success(&output);
    assert_eq!(stdout, "abc");
    assert!(
        stderr.contains("wrote standard output (3 bytes)"),
        "{stderr}"
    );
}

#[test]
fn passphrase_file_dash_reads_standard_input() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"piped passphrase");
    let own = "piped-orbit candle meadow harbor lantern quiet";
    let mut child = sender
        .share(&server)
        .args(["send", "--passphrase-file", "-", "a.txt"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{own}\n").as_bytes(),
    )
    .unwrap();
    let (stdout, _) = assert_success(&child.wait_with_output().unwrap());
    let (link, printed) = crate::support::link_and_passphrase(&stdout);
    assert_eq!(printed, own);

    let receiver = Sandbox::new();
    let mut child = receiver
        .share(&server)
        .args(["receive", "--passphrase-file", "-", &link])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), own.as_bytes()).unwrap();
    assert_success(&child.wait_with_output().unwrap());
    assert_eq!(
        fs::read(receiver.work().join("a.txt")).unwrap(),
        b"piped passphrase"
    );

    // The payload and the passphrase cannot both come from standard input.
    let output = sender
        .share(&server)
        .args(["send", "--passphrase-file", "-", "-"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "both want standard input");
}

/// What `age -d` gives for an uploaded share: the payload, padding included.
fn age_decrypt(ciphertext: &[u8], passphrase: &str) -> Vec<u8> {
    let decryptor = age::Decryptor::new(ciphertext).unwrap();
    let identity = age::scrypt::Identity::new(passphrase.to_owned().into());
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut plaintext = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut plaintext).unwrap();
    plaintext
}

#[test]
fn shares_are_padded_to_a_padme_bucket_unless_no_pad() {
    use sha2::Digest;
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("contract.pdf", &distinctive(300_000));
    let mut reports = Vec::new();
    for flags in [&[][..], &["--no-pad"][..]] {
        let output = sender
            .share(&server)
            .args(["send", "--json", "contract.pdf"])
            .args(flags)
            .output()
            .unwrap();
        let (stdout, _) = assert_success(&output);
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let body = server.uploads().pop().unwrap().body;
        assert_eq!(
            report["ciphertext_size"].as_u64().unwrap(),
            body.len() as u64
        );
        let plaintext = age_decrypt(&body, report["passphrase"].as_str().unwrap());
        let digest: String = sha2::Sha256::digest(&plaintext)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(report["sha256"], digest, "sha256 is of what age -d outputs");
        reports.push((report, plaintext.len() as u64));

        let receiver = Sandbox::new();
        let link = report_link(&reports.last().unwrap().0);
        let passphrase = reports.last().unwrap().0["passphrase"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_success(&receiver.receive(&server, &link, &passphrase, &[]));
        assert_eq!(
            fs::read(receiver.work().join("contract.pdf")).unwrap(),
            distinctive(300_000)
        );
    }
    let (padded, padded_len) = &reports[0];
    let (plain, plain_len) = &reports[1];
    // `size` is the payload without padding, the same either way.
    assert_eq!(padded["size"], plain["size"]);
    let size = plain["size"].as_u64().unwrap();
    assert_eq!(*plain_len, size);
    assert!(
        *padded_len > size && *padded_len <= size + size / 8,
        "{padded_len} for {size}"
    );
    // Padmé: only the top ⌊log2 ⌊log2 L⌋⌋ + 1 bits of the padded length may be set.
    let exponent = u64::from(63 - padded_len.leading_zeros());
    let kept = 64 - u64::from(exponent.leading_zeros());
    assert_eq!(
        padded_len & ((1u64 << (exponent - kept)) - 1),
        0,
        "{padded_len}"
    );
}

fn report_link(report: &serde_json::Value) -> String {
    report["link"].as_str().unwrap().to_owned()
}

#[test]
fn a_generated_passphrase_typed_loosely_still_opens_the_share() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("note.txt", b"typed off a phone");
    let (link, passphrase) = send(&sender, &server, &["note.txt"]);
    // Capitals and spaces, as read aloud or off paper.
    let loose: String = passphrase
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().unwrap().to_uppercase().to_string();
            first + chars.as_str()
        })
        .collect::<Vec<_>>()
        .join("  ");
    let receiver = Sandbox::new();
    assert_success(&receiver.receive(&server, &link, &loose, &[]));
    assert_eq!(
        fs::read(receiver.work().join("note.txt")).unwrap(),
        b"typed off a phone"
    );

    // A slip in one word: exit 3, naming the word and the nearest list word.
    let mut words: Vec<&str> = passphrase.split('-').collect();
    words[3] = "orbti";
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &words.join("-"), &[]);
    assert_failure(
        &output,
        3,
        "word 4, `orbti`, is not a passphrase word; did you mean `orbit`?",
    );
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn a_users_own_passphrase_is_never_tried_in_altered_forms() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("note.txt", b"exactly as chosen");
    let own = "Correct-Horse-battery-staple-orbit-candle-meadow";
    let output = sender
        .share(&server)
        .args(["send", "note.txt"])
        .env("SHARE_PASSPHRASE", own)
        .output()
        .unwrap();
    let (stdout, _) = assert_success(&output);
    let (link, _) = crate::support::link_and_passphrase(&stdout);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &own.to_lowercase(), &[]);
    assert_failure(&output, 3, "wrong passphrase");
    let (_, stderr) = texts(&output);
    assert!(!stderr.contains("not a passphrase word"), "{stderr}");
    assert_success(&receiver.receive(&server, &link, own, &[]));
}
