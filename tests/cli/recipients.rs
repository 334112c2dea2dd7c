//! Public-key shares: `-r`/`-R` on send, `-i` on receive, and interoperability both ways
//! with the reference `age` and `age-keygen` CLIs and OpenSSH keys.

use std::fs;
use std::process::Command;

use crate::core::distinctive;
use crate::support::tflink::StandIn;
use crate::support::{Sandbox, assert_failure, texts};

/// A fresh age identity in `dir/name`; returns its public key.
fn age_keygen(dir: &std::path::Path, name: &str) -> String {
    let output = Command::new("age-keygen")
        .args(["-o", name])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success());
    let output = Command::new("age-keygen")
        .args(["-y", name])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A fresh unencrypted ed25519 SSH key in `dir/name`; returns its public key line.
fn ssh_keygen(dir: &std::path::Path, name: &str) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", name])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    fs::read_to_string(dir.join(format!("{name}.pub")))
        .unwrap()
        .trim()
        .to_owned()
}

fn send_json(sandbox: &Sandbox, server: &StandIn, args: &[&str]) -> serde_json::Value {
    let output = sandbox
        .share(server)
        .args(["send", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    serde_json::from_slice(&output.stdout).unwrap()
}

fn receive_with(
    sandbox: &Sandbox,
    server: &StandIn,
    link: &str,
    identities: &[&str],
) -> std::process::Output {
    let mut command = sandbox.share(server);
    command.arg("receive");
    for identity in identities {
        command.args(["-i", identity]);
    }
    command.arg(link).output().unwrap()
}

#[test]
fn age_and_ssh_recipients_round_trip_and_age_decrypts_them() {
    let server = StandIn::start();
    let keys = Sandbox::new();
    let alice = age_keygen(&keys.work(), "alice.txt");
    let bob = ssh_keygen(&keys.work(), "bob");
    keys.write(
        "team.txt",
        format!("# the team\n{alice}\n\n{bob}\n").as_bytes(),
    );

    let sender = Sandbox::new();
    sender.write("plan.txt", &distinctive(100_000));
    let team = keys.work().join("team.txt");
    let report = send_json(
        &sender,
        &server,
        &["-R", team.to_str().unwrap(), "plan.txt"],
    );
    assert_eq!(report["passphrase"], serde_json::Value::Null);
    assert_eq!(report["recipients"], serde_json::json!([alice, bob]));
    let body = &server.uploads()[0].body;
    assert!(
        body.windows(9).any(|w| w == b"-> X25519"),
        "an X25519 stanza"
    );
    assert!(
        body.windows(13).any(|w| w == b"-> ssh-ed2551"),
        "an ssh-ed25519 stanza"
    );
    let link = report["link"].as_str().unwrap();

    for identity in ["alice.txt", "bob"] {
        let receiver = Sandbox::new();
        let path = keys.work().join(identity);
        let output = receive_with(&receiver, &server, link, &[path.to_str().unwrap()]);
        assert!(output.status.success(), "{identity}: {}", texts(&output).1);
        assert_eq!(
            fs::read(receiver.work().join("plan.txt")).unwrap(),
            distinctive(100_000)
        );
    }

    // The reference age CLI opens it with the same identity: curl | age -d -i | tar -x.
    let receiver = Sandbox::new();
    let script = format!(
        "curl -fsSL '{link}' | age -d -i '{}' | tar -x",
        keys.work().join("alice.txt").display()
    );
    let status = Command::new("bash")
        .args(["-c", &script])
        .current_dir(receiver.work())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::read(receiver.work().join("plan.txt")).unwrap(),
        distinctive(100_000)
    );
}

#[test]
fn a_file_age_encrypted_to_a_key_is_received_with_the_identity() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    let key = age_keygen(&sender.work(), "key.txt");
    sender.write("notes.txt", b"from the reference CLI");
    let status = Command::new("age")
        .args(["-r", &key, "-o", "notes.txt.age", "notes.txt"])
        .current_dir(sender.work())
        .status()
        .unwrap();
    assert!(status.success());
    let link = server.host_file(
        "notes.txt.age",
        fs::read(sender.work().join("notes.txt.age")).unwrap(),
    );
    let receiver = Sandbox::new();
    let identity = sender.work().join("key.txt");
    let output = receive_with(&receiver, &server, &link, &[identity.to_str().unwrap()]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("notes.txt")).unwrap(),
        b"from the reference CLI"
    );
}

#[test]
fn wrong_identities_and_bad_keys_fail_cleanly() {
    let server = StandIn::start();
    let keys = Sandbox::new();
    let alice = age_keygen(&keys.work(), "alice.txt");
    age_keygen(&keys.work(), "mallory.txt");
    let sender = Sandbox::new();
    sender.write("a.txt", b"alpha");
    let report = send_json(&sender, &server, &["-r", &alice, "a.txt"]);
    let link = report["link"].as_str().unwrap();

    let receiver = Sandbox::new();
    let mallory = keys.work().join("mallory.txt");
    let output = receive_with(&receiver, &server, link, &[mallory.to_str().unwrap()]);
    assert_failure(
        &output,
        3,
        "none of the given identities can open this file",
    );
    assert!(Sandbox::listing(&receiver.work()).is_empty());

    let output = receiver
        .share(&server)
        .args(["receive", link])
        .env("SHARE_PASSPHRASE", "a-passphrase")
        .output()
        .unwrap();
    assert_failure(&output, 3, "encrypted to public keys");

    let output = sender
        .share(&server)
        .args(["send", "-r", "age1notakey", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "is not an age or SSH public key");
    sender.write("bad-list.txt", b"# comment\nnot a key\n");
    let output = sender
        .share(&server)
        .args(["send", "-R", "bad-list.txt", "a.txt"])
        .output()
        .unwrap();
    assert_failure(&output, 2, "line 2 of bad-list.txt");
    let output = sender
        .share(&server)
        .args(["send", "-r", &alice, "--qr", "a.txt"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    receiver.write("junk.key", b"not a key at all");
    let output = receive_with(&receiver, &server, link, &["junk.key"]);
    assert_failure(
        &output,
        2,
        "is not an age identity file or a supported SSH private key",
    );
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["junk.key"]);
}
