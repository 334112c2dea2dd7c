//! Interoperability with the reference Go `age` CLI (Debian package `age`), which reads
//! passphrases only from a terminal: it runs inside a pseudo-terminal here.

use std::fs;
use std::process::Command;

use crate::support::tflink::StandIn;
use crate::support::{Sandbox, texts};
use crate::support::{distinctive, send};

const TIMEOUT_MS: Option<u64> = Some(60_000);

/// Runs a shell command in a pseudo-terminal, answering each passphrase prompt.
fn run_with_passphrase(
    dir: &std::path::Path,
    script: &str,
    passphrase: &str,
    prompts: usize,
) -> String {
    let mut command = Command::new("bash");
    command.args(["-c", script]).current_dir(dir);
    let mut session = rexpect::session::spawn_command(command, TIMEOUT_MS).unwrap();
    for _ in 0..prompts {
        session.exp_regex("(?i)passphrase").unwrap();
        session.send_line(passphrase).unwrap();
    }
    session.exp_eof().unwrap()
}

#[test]
fn the_readme_recipe_recovers_a_share_with_curl_age_and_tar() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("report/summary.txt", b"quarterly numbers");
    sender.write("report/data/raw.bin", &distinctive(200_000));
    sender.write("photo.jpg", &distinctive(70_000));
    let (link, passphrase) = send(&sender, &server, &["report", "photo.jpg"]);

    let receiver = Sandbox::new();
    // The recipe from the README, verbatim apart from the variable.
    let script = format!("LINK='{link}'; curl -fsSL \"$LINK\" | age -d | tar -x; echo \"exit=$?\"");
    let transcript = run_with_passphrase(&receiver.work(), &script, &passphrase, 1);
    assert!(transcript.contains("exit=0"), "{transcript}");
    let work = receiver.work();
    assert_eq!(
        fs::read(work.join("report/summary.txt")).unwrap(),
        b"quarterly numbers"
    );
    assert_eq!(
        fs::read(work.join("report/data/raw.bin")).unwrap(),
        distinctive(200_000)
    );
    assert_eq!(
        fs::read(work.join("photo.jpg")).unwrap(),
        distinctive(70_000)
    );
    assert_eq!(
        Sandbox::listing(&work),
        vec!["photo.jpg", "report"],
        "tar must not leave the marker behind"
    );
}

#[test]
fn a_file_made_by_age_p_is_received_as_is() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    let content = distinctive(150_000);
    sender.write("plain.dat", &content);
    let passphrase = "correct-horse-battery-staple-river";
    let transcript = run_with_passphrase(
        &sender.work(),
        "age -p -o plain.dat.age plain.dat; echo \"exit=$?\"",
        passphrase,
        2,
    );
    assert!(transcript.contains("exit=0"), "{transcript}");
    let link = server.host_file(
        "plain.dat.age",
        fs::read(sender.work().join("plain.dat.age")).unwrap(),
    );

    let receiver = Sandbox::new();
    let output = receiver
        .share(&server)
        .args(["receive", "--json", &link])
        .env("SHARE_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("plain.dat")).unwrap(),
        content
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"][0]["path"], "plain.dat");

    // The same file, streamed to stdout.
    let output = receiver
        .share(&server)
        .args(["receive", "-o", "-", &link])
        .env("SHARE_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, content);
}

#[test]
fn work_factor_above_the_cap_is_refused_before_scrypt_runs() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("plain.dat", b"hello");
    let passphrase = "correct-horse-battery-staple-river";
    run_with_passphrase(
        &sender.work(),
        "age -p -o plain.dat.age plain.dat",
        passphrase,
        2,
    );
    let link = server.host_file(
        "plain.dat.age",
        fs::read(sender.work().join("plain.dat.age")).unwrap(),
    );

    let receiver = Sandbox::new();
    let started = std::time::Instant::now();
    let output = receiver
        .share(&server)
        .args(["receive", "--max-work-factor", "17", &link])
        .env("SHARE_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    crate::support::assert_failure(&output, 4, "work factor 18, above the cap of 17");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "scrypt must not run"
    );
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn a_file_encrypted_to_a_public_key_is_not_opened_with_a_passphrase() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("plain.dat", b"hello");
    let status = Command::new("bash")
        .args(["-c", "age-keygen -o key.txt 2>/dev/null && age -R <(age-keygen -y key.txt) -o plain.dat.age plain.dat"])
        .current_dir(sender.work())
        .status()
        .unwrap();
    assert!(status.success());
    let link = server.host_file(
        "plain.dat.age",
        fs::read(sender.work().join("plain.dat.age")).unwrap(),
    );
    let receiver = Sandbox::new();
    let output = receiver
        .share(&server)
        .args(["receive", &link])
        .env("SHARE_PASSPHRASE", "some-passphrase")
        .output()
        .unwrap();
    crate::support::assert_failure(&output, 3, "encrypted to public keys");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn the_readme_recipe_recovers_a_multi_part_share() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("disk.img", &distinctive(350_000));
    let output = sender
        .share(&server)
        .args(["send", "--part-size", "100000", "disk.img"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    let (link, passphrase) = crate::support::link_and_passphrase(&texts(&output).0);
    assert_eq!(server.uploads().len(), 5);

    let receiver = Sandbox::new();
    // The multi-part recipe from the README, verbatim apart from the variable.
    let script = format!(
        "LINK='{link}'; curl -fsSL \"$LINK\" | grep -o '\"url\":\"[^\"]*\"' | cut -d'\"' -f4 | xargs curl -fsSL | age -d | tar -x; echo \"exit=$?\""
    );
    let transcript = run_with_passphrase(&receiver.work(), &script, &passphrase, 1);
    assert!(transcript.contains("exit=0"), "{transcript}");
    assert_eq!(
        fs::read(receiver.work().join("disk.img")).unwrap(),
        distinctive(350_000)
    );
}

/// A file made by `age -a` (ASCII armor) for a key is received like a binary one, byte
/// for byte, under the name from its link.
#[test]
fn an_armored_file_made_by_age_a_is_received() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    let content = distinctive(150_000);
    sender.write("plain.dat", &content);
    let status = Command::new("bash")
        .args([
            "-c",
            "age-keygen -o key.txt 2>/dev/null && age -a -r \"$(age-keygen -y key.txt)\" -o plain.dat.age plain.dat",
        ])
        .current_dir(sender.work())
        .status()
        .unwrap();
    assert!(status.success());
    let armored = fs::read(sender.work().join("plain.dat.age")).unwrap();
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----\n"));
    let link = server.host_file("plain.dat.age", armored);

    let receiver = Sandbox::new();
    let identity = sender.work().join("key.txt");
    let output = receiver
        .share(&server)
        .args(["receive", "-i", identity.to_str().unwrap(), &link])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["plain.dat"]);
    assert_eq!(
        fs::read(receiver.work().join("plain.dat")).unwrap(),
        content
    );
}

/// A host sending one endless line inside the armor is cut off (the age crate would read
/// the line whole into memory) with one short message, which treats it as the broken age
/// file it is rather than as something else.
#[test]
fn an_armored_file_with_an_endless_line_exits_4() {
    let server = StandIn::start();
    let file = [
        &b"-----BEGIN AGE ENCRYPTED FILE-----\n"[..],
        &vec![b'A'; 10_000_000],
        b"\n-----END AGE ENCRYPTED FILE-----\n",
    ]
    .concat();
    let link = server.host_file("plain.dat.age", file);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, "some-passphrase", &[]);
    crate::support::assert_failure(&output, 4, "armor has a line longer than any real one");
    assert!(output.stderr.len() < 1000);
    let (_, stderr) = texts(&output);
    assert!(!stderr.contains("did not return an age file"), "{stderr}");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}
