//! Public-key shares: `-r`/`-R` on send, `-i` on receive, and interoperability both ways
//! with the reference `age` and `age-keygen` CLIs and OpenSSH keys.

use std::fs;
use std::process::Command;

use crate::support::distinctive;
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

/// Asserts that `stderr` repeats no piece of the private key `key`: neither its first or
/// last characters, nor any line of it.
fn assert_key_not_echoed(what: &str, stderr: &str, key: &str) {
    let key = key.trim();
    let head: String = key.chars().take(24).collect();
    let tail: String = key
        .chars()
        .rev()
        .take(10)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(!stderr.contains(&head), "{what}: {stderr}");
    assert!(!stderr.contains(&tail), "{what}: {stderr}");
    assert!(!stderr.contains("BEGIN OPENSSH"), "{what}: {stderr}");
    for line in key.lines().filter(|line| line.len() >= 16) {
        assert!(
            !stderr.contains(line.trim()),
            "{what} echoes {line:?}: {stderr}"
        );
    }
}

/// A private key given where a public key belongs (`-r KEY`, or a key file given to `-R`)
/// is recognised and refused with a hint, and no piece of it reaches the terminal (or a
/// CI log).
#[test]
fn private_keys_given_as_recipients_are_refused_and_never_echoed() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    age_keygen(&sandbox.work(), "age-key.txt");
    ssh_keygen(&sandbox.work(), "id_ed25519");
    sandbox.write("a.txt", b"alpha");
    let age_file = fs::read_to_string(sandbox.work().join("age-key.txt")).unwrap();
    let age_secret = age_file
        .lines()
        .find(|line| line.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let ssh_secret = fs::read_to_string(sandbox.work().join("id_ed25519")).unwrap();
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("-r age secret key", vec!["-r", &age_secret], &age_secret),
        (
            "-r OpenSSH private key",
            vec!["-r", &ssh_secret],
            &ssh_secret,
        ),
        (
            "-R OpenSSH private key file",
            vec!["-R", "id_ed25519"],
            &ssh_secret,
        ),
        (
            "-R age identity file",
            vec!["-R", "age-key.txt"],
            &age_secret,
        ),
    ];
    for (what, args, secret) in cases {
        let output = sandbox
            .share(&server)
            .arg("send")
            .args(&args)
            .arg("a.txt")
            .output()
            .unwrap();
        let (_, stderr) = texts(&output);
        assert_failure(&output, 2, "this is a private key; pass the public key");
        assert_key_not_echoed(what, &stderr, secret);
    }
    assert!(server.uploads().is_empty());
}

/// Standard base64 without padding, as age writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104) for a key of at most one block.
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The end line of an age header over `text` (which ends with "---"): the HMAC-SHA256 of
/// the header under HKDF-SHA256(file key, salt empty, info "header").
fn header_mac_line(file_key: &[u8], text: &[u8]) -> Vec<u8> {
    let prk = hmac_sha256(&[], file_key);
    let mac_key = hmac_sha256(&prk, b"header\x01");
    format!(" {}\n", base64(&hmac_sha256(&mac_key, text))).into_bytes()
}

/// A stanza without its final short line breaks the age specification (the reference
/// implementation refuses it) though the age crate accepts it: share refuses it, whether
/// another stanza or the MAC line follows, even under a valid header MAC. The file is made
/// by the reference `age` for a 3072-bit RSA key, whose stanza body is exactly eight full
/// lines; `openssl` unwraps its file key so that the test can sign the altered header.
#[test]
fn a_stanza_without_its_final_line_is_refused_under_a_valid_mac() {
    let server = StandIn::start();
    let keys = Sandbox::new();
    let dir = keys.work();
    let run = |program: &str, args: &[&str]| {
        let output = Command::new(program)
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "{program}: {}", texts(&output).1);
        output.stdout
    };
    run(
        "ssh-keygen",
        &[
            "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "t", "-f", "rsa",
        ],
    );
    fs::copy(dir.join("rsa"), dir.join("rsa.pem")).unwrap();
    run(
        "ssh-keygen",
        &["-q", "-p", "-N", "", "-m", "PEM", "-f", "rsa.pem"],
    );
    keys.write("plain.txt", b"signed by hand");
    run(
        "age",
        &["-R", "rsa.pub", "-o", "plain.txt.age", "plain.txt"],
    );
    let file = fs::read(dir.join("plain.txt.age")).unwrap();

    let text_end = file.windows(4).position(|w| w == b"\n---").unwrap() + 1;
    let mac_end = text_end + file[text_end..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let payload = &file[mac_end..];
    let text = String::from_utf8(file[..text_end].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("-> ssh-rsa "), "{text}");
    let body = &lines[2..10];
    assert!(
        body.iter().all(|line| line.len() == 64) && lines[10].is_empty(),
        "{text}"
    );

    keys.write("wrapped.b64", body.concat().as_bytes());
    run(
        "openssl",
        &[
            "base64",
            "-d",
            "-A",
            "-in",
            "wrapped.b64",
            "-out",
            "wrapped.bin",
        ],
    );
    let label: String = b"age-encryption.org/v1/ssh-rsa"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let file_key = run(
        "openssl",
        &[
            "pkeyutl",
            "-decrypt",
            "-inkey",
            "rsa.pem",
            "-in",
            "wrapped.bin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
            "-pkeyopt",
            &format!("rsa_oaep_label:{label}"),
        ],
    );
    assert_eq!(file_key.len(), 16);

    let stanza = format!("{}\n{}\n", lines[1], body.join("\n"));
    let signed = |stanzas: &str| {
        let text = format!("age-encryption.org/v1\n{stanzas}---");
        [
            text.as_bytes(),
            &header_mac_line(&file_key, text.as_bytes()),
            payload,
        ]
        .concat()
    };
    let identity = dir.join("rsa");
    let identity = identity.to_str().unwrap();

    // The header rebuilt and signed by the test is sound: with the final line, it opens.
    let link = server.host_file("sound.txt.age", signed(&format!("{stanza}\n")));
    let receiver = Sandbox::new();
    let output = receive_with(&receiver, &server, &link, &[identity]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("sound.txt")).unwrap(),
        b"signed by hand"
    );

    for (what, stanzas) in [
        (
            "followed by a stanza",
            format!("{stanza}-> grease-test\n\n"),
        ),
        ("followed by the MAC line", stanza.clone()),
    ] {
        let link = server.host_file("bad.txt.age", signed(&stanzas));
        let receiver = Sandbox::new();
        let output = receive_with(&receiver, &server, &link, &[identity]);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert!(stderr.contains("malformed"), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(Sandbox::listing(&receiver.work()).is_empty(), "{what}");
    }
}
