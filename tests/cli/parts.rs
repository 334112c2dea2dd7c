//! Multi-part shares: payloads split past the part size, uploaded and fetched in parallel,
//! each part checked against the index, and receives that resume where they stopped.

use std::fs;

use crate::support::distinctive;
use crate::support::tflink::{StandIn, UploadFault};
use crate::support::{Sandbox, assert_failure, texts};

const SIZE: usize = 350_000;

/// Sends a 350 kB file in parts of 100 kB: returns the JSON report. With `--jobs 1` the
/// stand-in stores the parts in order, so a test can name a part by its upload number.
fn send_in_parts(server: &StandIn, sender: &Sandbox, extra: &[&str]) -> serde_json::Value {
    sender.write("big.bin", &distinctive(SIZE));
    let output = sender
        .share(server)
        .args(["send", "--json", "--part-size", "100000"])
        .args(extra)
        .arg("big.bin")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    serde_json::from_slice(&output.stdout).unwrap()
}

fn link_and_passphrase(report: &serde_json::Value) -> (String, String) {
    (
        report["link"].as_str().unwrap().to_owned(),
        report["passphrase"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn large_payloads_travel_as_parts_and_an_index() {
    let server = StandIn::start();
    let report = send_in_parts(&server, &Sandbox::new(), &["--jobs", "3"]);
    assert_eq!(report["parts"], 4);
    let uploads = server.uploads();
    assert_eq!(uploads.len(), 5, "four parts, then the index");
    let part_sizes: Vec<usize> = uploads[..4].iter().map(|u| u.body.len()).collect();
    assert!(part_sizes.iter().all(|size| *size <= 100_000));
    assert_eq!(
        report["ciphertext_size"].as_u64().unwrap(),
        part_sizes.iter().sum::<usize>() as u64
    );
    assert!(
        uploads[..4]
            .iter()
            .all(|u| u.file_name.as_deref() == Some("share.age"))
    );
    assert_eq!(uploads[4].file_name.as_deref(), Some("share-index.json"));
    let index = String::from_utf8(uploads[4].body.clone()).unwrap();
    assert!(
        !index.contains("big.bin"),
        "the index must not name the file"
    );
    let plaintext = distinctive(SIZE);
    let needle = &plaintext[1000..1020];
    assert!(
        uploads
            .iter()
            .all(|u| !u.body.windows(needle.len()).any(|w| w == needle))
    );

    for jobs in ["1", "4"] {
        let receiver = Sandbox::new();
        let (link, passphrase) = link_and_passphrase(&report);
        let output = receiver.receive(&server, &link, &passphrase, &["--json", "--jobs", jobs]);
        assert!(output.status.success(), "{}", texts(&output).1);
        assert_eq!(
            fs::read(receiver.work().join("big.bin")).unwrap(),
            distinctive(SIZE)
        );
        let got: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(got["sha256"], report["sha256"]);
        assert_eq!(
            Sandbox::listing(&receiver.work()),
            vec!["big.bin"],
            "the resume directory is removed"
        );
    }
}

#[test]
fn a_part_that_fails_once_is_retried_on_its_own() {
    let server = StandIn::start();
    server.set_upload_fault(UploadFault::FailTimes {
        times: 1,
        status: 503,
        retry_after: None,
    });
    let report = send_in_parts(&server, &Sandbox::new(), &["-q", "--jobs", "1"]);
    assert_eq!(server.upload_attempts(), 6, "five uploads and one retry");
    let receiver = Sandbox::new();
    let (link, passphrase) = link_and_passphrase(&report);
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
}

#[test]
fn a_tampered_part_exits_4_and_leaves_nothing() {
    let server = StandIn::start();
    let (link, passphrase) =
        link_and_passphrase(&send_in_parts(&server, &Sandbox::new(), &["--jobs", "1"]));
    server.tamper(1);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert_failure(&output, 4, "part 2 of the share does not match its index");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

#[test]
fn a_missing_part_exits_5() {
    let server = StandIn::start();
    let (link, passphrase) =
        link_and_passphrase(&send_in_parts(&server, &Sandbox::new(), &["--jobs", "1"]));
    server.take_away(3);
    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &["--retries", "0"]);
    assert_failure(&output, 5, "not found or has expired");
    assert!(!Sandbox::listing(&receiver.work()).contains(&"big.bin".to_owned()));
}

#[test]
fn an_index_with_parts_out_of_order_or_wrong_sizes_exits_4() {
    let server = StandIn::start();
    let (link, passphrase) =
        link_and_passphrase(&send_in_parts(&server, &Sandbox::new(), &["--jobs", "1"]));
    let index: serde_json::Value = serde_json::from_slice(&server.uploads()[4].body).unwrap();
    assert!(link.ends_with("share-index.json"));

    let mut swapped = index.clone();
    swapped["parts"].as_array_mut().unwrap().swap(0, 1);
    let mut resized = index.clone();
    resized["parts"][0]["size"] = serde_json::json!(99_999);
    resized["size"] = serde_json::json!(index["size"].as_u64().unwrap() - 1);
    for (what, crafted, needle) in [
        ("out of order", swapped, "age file"),
        ("wrong size", resized, "does not match its index"),
    ] {
        let crafted_link = server.host_file("crafted-index.json", crafted.to_string().into_bytes());
        let receiver = Sandbox::new();
        let output = receiver.receive(&server, &crafted_link, &passphrase, &[]);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
        assert!(Sandbox::listing(&receiver.work()).is_empty(), "{what}");
    }
}

#[test]
fn an_interrupted_receive_resumes_without_fetching_parts_again() {
    let server = StandIn::start();
    let (link, passphrase) =
        link_and_passphrase(&send_in_parts(&server, &Sandbox::new(), &["--jobs", "1"]));
    let third = server.take_away(2);
    let receiver = Sandbox::new();
    let output = receiver.receive(
        &server,
        &link,
        &passphrase,
        &["--jobs", "1", "--retries", "0"],
    );
    assert_failure(&output, 5, "not found");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
    let kept_parts = Sandbox::listing(&receiver.resume_dir(&link));
    assert_eq!(kept_parts, vec!["part-00000", "part-00001"]);

    server.put_back(2, third);
    let before = server.downloads().len();
    let output = receiver.receive(&server, &link, &passphrase, &["--jobs", "1"]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(receiver.work().join("big.bin")).unwrap(),
        distinctive(SIZE)
    );
    let fetched: Vec<String> = server.downloads()[before..].to_vec();
    let expected = vec![
        server.stored_path(4),
        server.stored_path(2),
        server.stored_path(3),
    ];
    assert_eq!(
        fetched, expected,
        "only the index and the missing parts are fetched again"
    );
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["big.bin"]);
    assert!(
        !receiver.resume_dir(&link).exists(),
        "removed once committed"
    );
}

#[test]
fn unusable_indexes_and_resume_paths_fail_cleanly() {
    let server = StandIn::start();
    let receiver = Sandbox::new();

    let newer = r#"{"share_index": 2, "size": 1, "parts": []}"#;
    let link = server.host_file("newer.json", newer.as_bytes().to_vec());
    let output = receiver.receive(&server, &link, "p", &[]);
    assert_failure(&output, 4, "made by a newer version of share");

    let mut huge = b"{\"share_index\": 1, \"padding\": \"".to_vec();
    huge.resize(2 * 1024 * 1024, b'x');
    let link = server.host_file("huge.json", huge);
    let output = receiver.receive(&server, &link, "p", &[]);
    assert_failure(&output, 4, "too large to be a share index");
    assert!(Sandbox::listing(&receiver.work()).is_empty());

    // A file squatting on the resume directory's name is not followed or replaced.
    let (link, passphrase) =
        link_and_passphrase(&send_in_parts(&server, &Sandbox::new(), &["--jobs", "1"]));
    let squatter = receiver.resume_dir(&link);
    fs::create_dir_all(squatter.parent().unwrap()).unwrap();
    fs::write(&squatter, b"not a directory").unwrap();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert_failure(&output, 7, "is not a directory");
    assert_eq!(fs::read(&squatter).unwrap(), b"not a directory");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}
