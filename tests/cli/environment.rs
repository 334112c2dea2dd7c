//! Careless environments: signals during a transfer, a killed process, odd destinations,
//! passphrase files, and inputs that are not what they seem.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::raw;
use crate::support::tflink::StandIn;
use crate::support::{Sandbox, assert_failure, texts};
use crate::support::{distinctive, send};

/// A download server that sends the start of a real share, then stalls.
fn stalling_download() -> (String, String) {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(300_000));
    let (_, passphrase) = send(&sender, &server, &["big.bin"]);
    let share = server.uploads().pop().unwrap().body;
    let (base, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", share.len()).as_bytes());
        let _ = out.write_all(&share[..200_000]);
        let _ = out.flush();
        raw::stall(Duration::from_secs(20));
    }));
    (format!("{base}/big.age"), passphrase)
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_staging(dir: &Path) -> bool {
    Sandbox::listing(dir)
        .iter()
        .any(|name| name.starts_with(".share-partial-"))
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigint_and_sigterm_remove_temporary_files() {
    let (link, passphrase) = stalling_download();
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let sandbox = Sandbox::new();
        let server = StandIn::start();
        let child = sandbox
            .share(&server)
            .args(["receive", &link])
            .env("SHARE_PASSPHRASE", &passphrase)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("the staging directory", || has_staging(&sandbox.work()));
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, name);
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{}", texts(&output).1);
        assert!(texts(&output).1.contains("interrupted"));
        assert!(
            Sandbox::listing(&sandbox.work()).is_empty(),
            "SIG{name} left {:?}",
            Sandbox::listing(&sandbox.work())
        );
    }
}

#[test]
fn sigint_during_an_upload_removes_the_passphrase_file() {
    let server = StandIn::start();
    let (silent, _) = raw::http(Arc::new(|_head: &str, _out: &mut dyn Write| {
        raw::stall(Duration::from_secs(20))
    }));
    let sandbox = Sandbox::new();
    sandbox.write("a.bin", &distinctive(1000));
    let child = sandbox
        .share(&server)
        .args([
            "send",
            "--server",
            &silent,
            "--passphrase-out",
            "pass.txt",
            "a.bin",
        ])
        .spawn()
        .unwrap();
    wait_for("the passphrase file", || {
        sandbox.work().join("pass.txt").exists()
    });
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(Sandbox::listing(&sandbox.work()), vec!["a.bin"]);
}

#[test]
fn a_killed_receive_leaves_only_a_hidden_staging_directory_that_the_next_run_ignores() {
    let (link, passphrase) = stalling_download();
    let sandbox = Sandbox::new();
    let server = StandIn::start();
    let mut child = sandbox
        .share(&server)
        .args(["receive", &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .spawn()
        .unwrap();
    wait_for("the staging directory", || has_staging(&sandbox.work()));
    child.kill().unwrap();
    child.wait().unwrap();
    let left = Sandbox::listing(&sandbox.work());
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with(".share-partial-"), "{left:?}");

    // The next run, of a complete share, neither trips over it nor takes it for output.
    let sender = Sandbox::new();
    sender.write("fine.txt", b"fine");
    let (good_link, good_passphrase) = send(&sender, &server, &["fine.txt"]);
    let output = sandbox
        .share(&server)
        .args(["receive", "--json", &good_link])
        .env("SHARE_PASSPHRASE", &good_passphrase)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["files"],
        serde_json::json!([{ "path": "fine.txt", "size": 4 }])
    );
}

#[test]
fn odd_destinations() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let (link, passphrase) = send(&sender, &server, &["a.txt"]);
    let receive = |sandbox: &Sandbox, args: &[&str]| {
        sandbox
            .share(&server)
            .arg("receive")
            .args(args)
            .arg(&link)
            .env("SHARE_PASSPHRASE", &passphrase)
            .output()
            .unwrap()
    };

    // A planted symlink with the incoming name is never followed.
    let sandbox = Sandbox::new();
    sandbox.write("precious.txt", b"precious");
    std::os::unix::fs::symlink(
        sandbox.work().join("precious.txt"),
        sandbox.work().join("a.txt"),
    )
    .unwrap();
    let output = receive(&sandbox, &[]);
    assert_failure(&output, 7, "already exists");
    let output = receive(&sandbox, &["--force"]);
    assert!(output.status.success());
    assert!(
        !fs::symlink_metadata(sandbox.work().join("a.txt"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(
        fs::read(sandbox.work().join("precious.txt")).unwrap(),
        b"precious"
    );

    // -o naming a symlink to a directory writes into that directory.
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.work().join("real")).unwrap();
    std::os::unix::fs::symlink(sandbox.work().join("real"), sandbox.work().join("alias")).unwrap();
    let output = receive(&sandbox, &["-o", "alias"]);
    assert!(output.status.success());
    assert_eq!(
        fs::read(sandbox.work().join("real/a.txt")).unwrap(),
        b"alpha"
    );

    // A FIFO in the way is neither opened nor replaced without --force.
    let sandbox = Sandbox::new();
    assert!(
        Command::new("mkfifo")
            .arg(sandbox.work().join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    let output = receive(&sandbox, &["-o", "pipe"]);
    assert_failure(&output, 7, "pipe already exists");

    // A directory in the way of a file.
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.work().join("a.txt")).unwrap();
    let output = receive(&sandbox, &["--force"]);
    assert_failure(&output, 7, "a.txt is a directory");

    // A destination nobody may write to.
    let sandbox = Sandbox::new();
    let output = receive(&sandbox, &["-o", "/sys/share-test.txt"]);
    assert_failure(&output, 7, "cannot write to /sys");
    assert!(Sandbox::listing(&sandbox.work()).is_empty());
}

#[test]
fn passphrase_files_and_the_environment() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let (link, passphrase) = send(&sender, &server, &["a.txt"]);

    // The file wins over the environment; its trailing newline is not part of it.
    let sandbox = Sandbox::new();
    sandbox.write("pass.txt", format!("{passphrase}\n").as_bytes());
    let output = sandbox
        .share(&server)
        .args(["receive", "--passphrase-file", "pass.txt", &link])
        .env("SHARE_PASSPHRASE", "wrong-passphrase-from-env")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);

    // A directory is not a passphrase file.
    let sandbox = Sandbox::new();
    fs::create_dir(sandbox.work().join("dir")).unwrap();
    let output = sandbox
        .share(&server)
        .args(["receive", "--passphrase-file", "dir", &link])
        .output()
        .unwrap();
    assert_failure(&output, 2, "cannot read passphrase file dir");

    // The passphrase shows up nowhere, even with backtraces on and a wrong guess.
    let sandbox = Sandbox::new();
    let output = sandbox
        .share(&server)
        .args(["receive", &link])
        .env("SHARE_PASSPHRASE", "guess-one-two-three")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_failure(&output, 3, "wrong passphrase");
    assert!(!texts(&output).1.contains("guess-one-two-three"));
}

#[test]
fn inputs_that_change_or_are_not_files() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    // /proc files announce size 0 and then have content: a file that changed.
    let output = sandbox
        .share(&server)
        .args(["send", "/proc/self/status"])
        .output()
        .unwrap();
    assert_failure(&output, 7, "changed while it was being read");
    assert!(
        server.uploads().is_empty(),
        "an upload that does not match what was read must not complete"
    );

    assert!(
        Command::new("mkfifo")
            .arg(sandbox.work().join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    let output = sandbox
        .share(&server)
        .args(["send", "fifo"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "not a regular file or directory");
}

/// Set in the copy of this test binary that panics on purpose.
const PANIC_CHILD_ENV: &str = "SHARE_TEST_PANIC_CHILD";

#[test]
fn a_panic_shows_where_but_never_its_payload() {
    const SECRET: &str = "glimpse-orbit-secret-passphrase-words";
    if std::env::var_os(PANIC_CHILD_ENV).is_some() {
        // The binary's own hook, then a panic whose payload quotes a secret.
        share::ui::report::install_panic_hook();
        panic!("bug while holding {SECRET}");
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "environment::a_panic_shows_where_but_never_its_payload",
            "--nocapture",
        ])
        .env(PANIC_CHILD_ENV, "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("share: error: internal error at tests/cli/environment.rs:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stack backtrace") || stderr.contains("0: "),
        "{stderr}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
}

#[test]
fn send_says_when_its_passphrase_comes_from_share_passphrase() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"from the environment");
    let run = |passphrase: &str, quiet: bool| {
        let mut command = sandbox.share(&server);
        command
            .args(["send", "a.txt"])
            .env("SHARE_PASSPHRASE", passphrase);
        if quiet {
            command.arg("-q");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{:?}", texts(&output));
        texts(&output).1
    };

    let own = run("correct horse battery staple orbit candle meadow", false);
    assert!(
        own.contains("your own passphrase from SHARE_PASSPHRASE"),
        "{own}"
    );

    // Ten list words joined by '-': what a receive was given, not a sender's choice.
    let left_over = run(
        "cousin-oak-loan-mercy-remove-frown-lonely-disorder-pole-sight",
        false,
    );
    assert!(
        left_over.contains("looks like one share generated"),
        "{left_over}"
    );
    assert!(left_over.contains("unset SHARE_PASSPHRASE"), "{left_over}");

    assert_eq!(
        run("correct horse battery staple orbit candle meadow", true),
        ""
    );
}
