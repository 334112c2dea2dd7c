//! What a receive may write, and where: resume state that another user cannot plant or
//! redirect, staging and output directories only the user can read, a bounded amount of
//! unauthenticated data on disk, part links that stay where the index came from, and
//! interruptions that leave either everything or nothing.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::Digest;

use crate::support::raw;
use crate::support::tflink::{self, StandIn};
use crate::support::{Sandbox, assert_failure, assert_success, texts};
use crate::support::{distinctive, send};

const PART_SIZE: usize = 100_000;

/// Sends `size` bytes in parts of 100 kB, one upload at a time so that the stand-in stores
/// them in order; returns the link, the passphrase and the parts' bytes.
fn send_parts(server: &StandIn, size: usize) -> (String, String, Vec<Vec<u8>>) {
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(size));
    let output = sender
        .share(server)
        .args(["send", "--json", "--jobs", "1", "--part-size"])
        .arg(PART_SIZE.to_string())
        .arg("big.bin")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let parts = report["parts"].as_u64().unwrap() as usize;
    let bodies = server.uploads()[server.uploads().len() - parts - 1..][..parts]
        .iter()
        .map(|upload| upload.body.clone())
        .collect();
    (
        report["link"].as_str().unwrap().to_owned(),
        report["passphrase"].as_str().unwrap().to_owned(),
        bodies,
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An index listing `parts` under the given links.
fn index_for(links: &[String], parts: &[Vec<u8>]) -> String {
    let lines: Vec<String> = links
        .iter()
        .zip(parts)
        .map(|(url, body)| {
            serde_json::json!({"url": url, "size": body.len(), "sha256": sha256_hex(body)})
                .to_string()
        })
        .collect();
    let total: usize = parts.iter().map(Vec::len).sum();
    format!(
        "{{\"share_index\": 1, \"size\": {total}, \"parts\": [\n{}\n]}}\n",
        lines.join(",\n")
    )
}

fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn staging_dirs(dir: &Path) -> Vec<PathBuf> {
    Sandbox::listing(dir)
        .iter()
        .filter(|name| name.starts_with(".share-partial-"))
        .map(|name| dir.join(name))
        .collect()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout == b"0\n")
}

// --- Resume state and directories other users could reach -----------------------------

/// A local attacker who knows the link pre-creates the resume directory a receive used to
/// put beside its destination, with part files that are symbolic links to the victim's
/// files. The receive must never write through them.
#[test]
fn a_planted_resume_directory_beside_the_destination_is_never_written_through() {
    let server = StandIn::start();
    let (link, passphrase, _) = send_parts(&server, 350_000);
    let receiver = Sandbox::new();
    let victim = receiver.home().join("precious.txt");
    fs::write(&victim, b"precious").unwrap();
    let digest = sha256_hex(link.as_bytes());
    let planted = receiver
        .work()
        .join(format!(".share-resume-{}", &digest[..16]));
    fs::create_dir(&planted).unwrap();
    fs::set_permissions(&planted, fs::Permissions::from_mode(0o777)).unwrap();
    for number in 0..4 {
        symlink(&victim, planted.join(format!("part-{number:05}.partial"))).unwrap();
        symlink(&victim, planted.join(format!("part-{number:05}"))).unwrap();
    }

    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read(&victim).unwrap(),
        b"precious",
        "written through a link"
    );
    assert_eq!(
        fs::read(receiver.work().join("big.bin")).unwrap(),
        distinctive(350_000)
    );
}

/// The resume directory in the user's cache is reused only when it is the user's own:
/// one that belongs to another user is refused, and one whose mode let others in is
/// emptied (links planted in it are removed, never followed).
#[test]
fn resume_directories_are_reused_only_when_private() {
    let server = StandIn::start();
    let (link, passphrase, _) = send_parts(&server, 350_000);

    let receiver = Sandbox::new();
    let victim = receiver.home().join("precious.txt");
    fs::write(&victim, b"precious").unwrap();
    let resume = receiver.resume_dir(&link);
    fs::create_dir_all(&resume).unwrap();
    fs::set_permissions(&resume, fs::Permissions::from_mode(0o777)).unwrap();
    symlink(&victim, resume.join("part-00000.partial")).unwrap();
    symlink(&victim, resume.join("part-00001")).unwrap();
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(!resume.exists(), "removed once committed");
    for level in ["share", "share/resume"] {
        assert_eq!(
            mode_of(&receiver.home().join(".cache").join(level)),
            0o700,
            "{level}"
        );
    }

    if !is_root() {
        eprintln!("skipped the other-user case: it needs root to give a directory away");
        return;
    }
    let receiver = Sandbox::new();
    let resume = receiver.resume_dir(&link);
    fs::create_dir_all(&resume).unwrap();
    fs::set_permissions(&resume, fs::Permissions::from_mode(0o700)).unwrap();
    let status = Command::new("chown")
        .args(["nobody", resume.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert_failure(&output, 7, "belongs to another user");
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

/// A download server that sends the first `head` bytes of `body`, then waits until
/// `resume` is set (at most 20 s) before sending the rest.
fn pausing_server(body: Vec<u8>, head: usize, resume: Arc<AtomicBool>) -> String {
    let (base, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", body.len()).as_bytes());
        let _ = out.write_all(&body[..head]);
        let _ = out.flush();
        let started = Instant::now();
        while !resume.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = out.write_all(&body[head..]);
    }));
    format!("{base}/share.age")
}

/// While a receive runs, its staging directory (which holds decrypted files) is mode 0700,
/// and a new directory named by `-o` is created mode 0700.
#[test]
fn staging_and_new_output_directories_are_private() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", &distinctive(300_000));
    sender.write("b.txt", b"bee");
    let (link, passphrase) = send(&sender, &server, &["a.txt", "b.txt"]);
    let body = server.uploads().pop().unwrap().body;
    let resume = Arc::new(AtomicBool::new(false));
    let paused = pausing_server(body, 200_000, Arc::clone(&resume));

    let receiver = Sandbox::new();
    let child = receiver
        .share(&server)
        .args(["receive", "-o", "inbox", &paused])
        .env("SHARE_PASSPHRASE", &passphrase)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the staging directory", || {
        !staging_dirs(&receiver.work()).is_empty()
    });
    let staging = staging_dirs(&receiver.work()).remove(0);
    assert_eq!(mode_of(&staging), 0o700, "staging directory");
    resume.store(true, Ordering::SeqCst);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        mode_of(&receiver.work().join("inbox")),
        0o700,
        "new output directory"
    );
    let _ = link;
}

/// A symbolic link planted where `-o NEWDIR` will be created, while the download runs, is
/// neither followed nor reused: the receive fails and nothing lands where the link points.
#[test]
fn a_link_planted_at_a_new_output_directory_during_the_download_is_not_followed() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("a.txt", &distinctive(300_000));
    sender.write("b.txt", b"bee");
    let (_, passphrase) = send(&sender, &server, &["a.txt", "b.txt"]);
    let body = server.uploads().pop().unwrap().body;
    let resume = Arc::new(AtomicBool::new(false));
    let paused = pausing_server(body, 200_000, Arc::clone(&resume));

    let receiver = Sandbox::new();
    let elsewhere = receiver.root.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    let child = receiver
        .share(&server)
        .args(["receive", "-o", "newdir", &paused])
        .env("SHARE_PASSPHRASE", &passphrase)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the staging directory", || {
        !staging_dirs(&receiver.work()).is_empty()
    });
    symlink(&elsewhere, receiver.work().join("newdir")).unwrap();
    resume.store(true, Ordering::SeqCst);
    let output = child.wait_with_output().unwrap();
    assert_failure(&output, 7, "appeared during the download");
    assert!(
        Sandbox::listing(&elsewhere).is_empty(),
        "followed the planted link"
    );
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["newdir"]);
}

// --- How much a host can make a receiver store ----------------------------------------

/// A host serving its own index (with hashes it computed itself) can make the receiver
/// fetch only `--jobs` parts ahead of what decrypted: while part 1 stalls, parts past the
/// window are never requested.
#[test]
fn parts_are_fetched_at_most_jobs_ahead_of_decryption() {
    let server = StandIn::start();
    let (_, passphrase, parts) = send_parts(&server, 1_150_000);
    assert_eq!(parts.len(), 12);
    let parts = Arc::new(parts);
    let base = Arc::new(Mutex::new(String::new()));
    let (host, heads) = {
        let (parts, base) = (Arc::clone(&parts), Arc::clone(&base));
        raw::http(Arc::new(move |head: &str, out: &mut dyn Write| {
            let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
            if path == "/index" {
                let base = base.lock().unwrap().clone();
                let links: Vec<String> = (0..parts.len())
                    .map(|n| format!("{base}/part/{n}"))
                    .collect();
                let index = index_for(&links, &parts);
                let _ =
                    out.write_all(raw::head("200 OK", "application/json", index.len()).as_bytes());
                let _ = out.write_all(index.as_bytes());
                return;
            }
            let number: usize = path.trim_start_matches("/part/").parse().unwrap_or(0);
            let body = &parts[number];
            let _ = out
                .write_all(raw::head("200 OK", "application/octet-stream", body.len()).as_bytes());
            if number == 0 {
                let _ = out.flush();
                raw::stall(Duration::from_secs(4));
                return;
            }
            let _ = out.write_all(body);
        }))
    };
    *base.lock().unwrap() = host.clone();
    let receiver = Sandbox::new();
    let link = format!("{host}/index");
    let output = receiver.receive(
        &server,
        &link,
        &passphrase,
        &["--jobs", "3", "--idle-timeout", "2", "--retries", "0"],
    );
    assert_eq!(output.status.code(), Some(6), "{}", texts(&output).1);
    let requested: Vec<String> = heads
        .lock()
        .unwrap()
        .iter()
        .filter_map(|head| head.split(' ').nth(1).map(str::to_owned))
        .filter(|path| path.starts_with("/part/"))
        .collect();
    assert!(
        requested.len() <= 3,
        "fetched {} parts while the first stalled: {requested:?}",
        requested.len()
    );
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

/// A receive that fails on the network before any part was checked keeps no resume
/// directory, empty or not, beside the destination or in the cache.
#[test]
fn a_failed_receive_keeps_no_empty_resume_directory() {
    let server = StandIn::start();
    let (_, passphrase, parts) = send_parts(&server, 350_000);
    let base = Arc::new(Mutex::new(String::new()));
    let (host, _) = {
        let base = Arc::clone(&base);
        raw::http(Arc::new(move |head: &str, out: &mut dyn Write| {
            if head.starts_with("GET /index ") {
                let base = base.lock().unwrap().clone();
                let links: Vec<String> = (0..parts.len())
                    .map(|n| format!("{base}/part/{n}"))
                    .collect();
                let index = index_for(&links, &parts);
                let _ =
                    out.write_all(raw::head("200 OK", "application/json", index.len()).as_bytes());
                let _ = out.write_all(index.as_bytes());
            } else {
                let _ =
                    out.write_all(raw::head("503 Service Unavailable", "text/plain", 0).as_bytes());
            }
        }))
    };
    *base.lock().unwrap() = host.clone();
    let receiver = Sandbox::new();
    let link = format!("{host}/index");
    let output = receiver.receive(&server, &link, &passphrase, &["--retries", "0"]);
    assert_failure(&output, 6, "503");
    assert!(
        Sandbox::listing(&receiver.work()).is_empty(),
        "{:?}",
        Sandbox::listing(&receiver.work())
    );
    assert!(!receiver.resume_dir(&link).exists());
}

// --- Where an index may send the receiver ---------------------------------------------

/// An index whose part links point to another host (here another port on this machine,
/// standing for an internal service) is refused before anything is requested there.
#[test]
fn part_links_off_the_index_origin_are_never_requested() {
    let server = StandIn::start();
    let (link, passphrase, parts) = send_parts(&server, 350_000);
    let (elsewhere, elsewhere_heads) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(raw::head("404 Not Found", "text/plain", 0).as_bytes());
    }));
    let own_origin = link.rsplit_once("/public/").unwrap().0.to_owned();
    let stored: Vec<String> = (0..parts.len())
        .map(|n| format!("{own_origin}/{}", server.stored_path(n)))
        .collect();
    let localhost = own_origin.replace("127.0.0.1", "localhost");
    for (what, off_origin) in [
        ("another port", format!("{elsewhere}/admin")),
        (
            "another name for the host",
            format!("{localhost}/{}", server.stored_path(2)),
        ),
        (
            "a cloud metadata address",
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ),
    ] {
        let mut links = stored.clone();
        links[2] = off_origin;
        let crafted =
            server.host_file("crafted-index.json", index_for(&links, &parts).into_bytes());
        let receiver = Sandbox::new();
        let output = receiver.receive(&server, &crafted, &passphrase, &[]);
        assert_failure(&output, 4, "will not fetch");
        assert!(Sandbox::listing(&receiver.work()).is_empty(), "{what}");
    }
    assert!(
        elsewhere_heads.lock().unwrap().is_empty(),
        "requested another host"
    );
}

/// A part link on the index's own origin that redirects elsewhere is not followed.
#[test]
fn redirects_of_part_links_must_stay_on_the_index_origin() {
    let server = StandIn::start();
    let (_, passphrase, parts) = send_parts(&server, 350_000);
    let (elsewhere, elsewhere_heads) = raw::http(Arc::new(|_head: &str, out: &mut dyn Write| {
        let _ = out.write_all(raw::head("404 Not Found", "text/plain", 0).as_bytes());
    }));
    let base = Arc::new(Mutex::new(String::new()));
    let (host, _) = {
        let base = Arc::clone(&base);
        raw::http(Arc::new(move |head: &str, out: &mut dyn Write| {
            if head.starts_with("GET /index ") {
                let base = base.lock().unwrap().clone();
                let links: Vec<String> = (0..parts.len())
                    .map(|n| format!("{base}/part/{n}"))
                    .collect();
                let index = index_for(&links, &parts);
                let _ =
                    out.write_all(raw::head("200 OK", "application/json", index.len()).as_bytes());
                let _ = out.write_all(index.as_bytes());
            } else {
                let _ = write!(
                    out,
                    "HTTP/1.1 302 Found\r\nLocation: {elsewhere}/internal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        }))
    };
    *base.lock().unwrap() = host.clone();
    let receiver = Sandbox::new();
    let output = receiver.receive(
        &server,
        &format!("{host}/index"),
        &passphrase,
        &["--retries", "0"],
    );
    assert_failure(&output, 6, "redirect");
    assert!(
        elsewhere_heads.lock().unwrap().is_empty(),
        "followed a redirect off the origin"
    );
    assert!(Sandbox::listing(&receiver.work()).is_empty());
}

// --- Interruptions while files are being written --------------------------------------

/// Counts the regular files under `dir`.
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                count_files(&path)
            } else {
                1
            }
        })
        .sum()
}

/// SIGINT or SIGTERM while a share of many small files is being unpacked, at many points:
/// either every file is in place and the message says so, or nothing of the share is left
/// (no file, no staging directory) and the message says that.
#[test]
fn interrupting_the_unpacking_of_many_files_leaves_all_or_nothing() {
    const FILES: usize = 3000;
    let server = StandIn::start();
    let sender = Sandbox::new();
    for number in 0..FILES {
        sender.write(
            &format!("many/{number:05}.txt"),
            format!("file {number}").as_bytes(),
        );
    }
    let (link, passphrase) = send(&sender, &server, &["many"]);
    let mut outcomes = Vec::new();
    for (round, delay_ms) in [0u64, 3, 10, 25, 50, 100, 0, 5, 15, 40]
        .into_iter()
        .enumerate()
    {
        let name = if round % 2 == 0 { "INT" } else { "TERM" };
        let receiver = Sandbox::new();
        let child = receiver
            .share(&server)
            .args(["receive", &link])
            .env("SHARE_PASSPHRASE", &passphrase)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until files are being written into the staging directory.
        wait_for("unpacking to start", || {
            staging_dirs(&receiver.work())
                .iter()
                .any(|staging| count_files(staging) > 0)
                || receiver.work().join("many").exists()
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, name);
        let output = child.wait_with_output().unwrap();
        let (_, stderr) = texts(&output);
        let placed = count_files(&receiver.work().join("many"));
        let left = Sandbox::listing(&receiver.work());
        match output.status.code() {
            Some(0) => assert_eq!(placed, FILES, "round {round}: {stderr}"),
            Some(130 | 143) if stderr.contains("written into place") => {
                assert_eq!(placed, FILES, "round {round}: {stderr}");
                assert_eq!(left, vec!["many"], "round {round}: {stderr}");
            }
            Some(130 | 143) => {
                assert!(stderr.contains("nothing was"), "round {round}: {stderr}");
                assert!(
                    left.is_empty(),
                    "round {round} left {left:?} ({placed} files): {stderr}"
                );
            }
            other => panic!("round {round}: exit {other:?}: {stderr}"),
        }
        outcomes.push(output.status.code());
    }
    eprintln!("exit codes by round: {outcomes:?}");
    assert!(
        outcomes.iter().any(|code| *code != Some(0)),
        "no signal arrived while unpacking: {outcomes:?}"
    );
}

/// `--timeout` while files are being unpacked from a slow download: the unpacking thread
/// is stopped before cleanup, so either every file is in place and the message says so, or
/// no decrypted file or staging directory is left.
#[test]
fn a_timeout_while_unpacking_leaves_all_or_nothing() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    for number in 0..3000 {
        sender.write(
            &format!("many/{number:05}.txt"),
            format!("file {number}").as_bytes(),
        );
    }
    let (_, passphrase) = send(&sender, &server, &["many"]);
    let body = server.uploads().pop().unwrap().body;
    let (host, _) = raw::http(Arc::new(move |_head: &str, out: &mut dyn Write| {
        let _ =
            out.write_all(raw::head("200 OK", "application/octet-stream", body.len()).as_bytes());
        // Bursts, so that the deadline often falls while a burst is being unpacked.
        for chunk in body.chunks(768 * 1024) {
            if out.write_all(chunk).and_then(|()| out.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }));
    for round in 0..6 {
        let receiver = Sandbox::new();
        let output = receiver.receive(
            &server,
            &format!("{host}/share.age"),
            &passphrase,
            &["--timeout", "1"],
        );
        let (_, stderr) = texts(&output);
        let placed = count_files(&receiver.work().join("many"));
        let left = Sandbox::listing(&receiver.work());
        match output.status.code() {
            Some(0) => assert_eq!(placed, 3000, "round {round}: {stderr}"),
            Some(6) if stderr.contains("already been written into place") => {
                assert_eq!(placed, 3000, "round {round}: {stderr}");
                assert_eq!(left, vec!["many"], "round {round}: {stderr}");
            }
            Some(6) => {
                assert!(
                    stderr.contains("did not finish within 1 seconds"),
                    "{stderr}"
                );
                assert!(
                    stderr.contains("nothing was written"),
                    "round {round}: {stderr}"
                );
                assert!(
                    left.is_empty(),
                    "round {round} left {left:?} ({placed} files): {stderr}"
                );
            }
            other => panic!("round {round}: exit {other:?}: {stderr}"),
        }
    }
}

#[test]
fn an_output_ending_in_a_slash_is_a_new_directory_even_for_one_file() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("report.txt", b"one file, into a new directory");
    let (link, passphrase) = send(&sender, &server, &["report.txt"]);

    let receiver = Sandbox::new();
    let output = receiver.receive(&server, &link, &passphrase, &["-o", "newinbox/"]);
    assert_success(&output);
    let inbox = receiver.work().join("newinbox");
    assert_eq!(
        std::fs::read(inbox.join("report.txt")).unwrap(),
        b"one file, into a new directory"
    );
    let mode = std::fs::metadata(&inbox).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(Sandbox::listing(&receiver.work()), vec!["newinbox"]);
}

#[test]
fn an_output_ending_in_a_slash_that_is_a_file_fails_before_the_download() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("report.txt", b"x");
    let (link, passphrase) = send(&sender, &server, &["report.txt"]);

    let receiver = Sandbox::new();
    receiver.write("inbox", b"a file, not a directory");
    let output = receiver.receive(&server, &link, &passphrase, &["-o", "inbox/"]);
    assert_failure(&output, 7, "inbox/ exists and is not a directory");
    assert!(
        server.downloads().is_empty(),
        "it must fail before downloading"
    );
}

#[test]
fn an_existing_file_stops_the_download_as_soon_as_its_name_is_known() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(6_000_000));
    let (link, passphrase) = send(&sender, &server, &["--part-size", "1M", "big.bin"]);
    let parts = server.uploads().len() - 1;
    assert!(parts >= 6, "{parts} parts");

    let receiver = Sandbox::new();
    receiver.write("big.bin", b"precious");
    let output = receiver.receive(&server, &link, &passphrase, &["--jobs", "1"]);
    assert_failure(&output, 7, "big.bin already exists");
    assert_eq!(
        std::fs::read(receiver.work().join("big.bin")).unwrap(),
        b"precious"
    );
    // The index, then at most a part or two ahead of the failing first one.
    let fetched = server.downloads().len();
    assert!(
        fetched <= 4,
        "{fetched} of {} requests: it downloaded on",
        parts + 1
    );
}

/// SIGINT in the middle of a multi-part download, with parts already kept: the message
/// says to run the same command again, and running it finishes from the kept parts.
#[test]
fn an_interrupted_multi_part_receive_says_how_to_resume() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("big.bin", &distinctive(6_000_000));
    let (link, passphrase) = send(&sender, &server, &["--part-size", "1M", "big.bin"]);
    // The index and two parts arrive; the third part never does.
    server.set_download_fault(tflink::DownloadFault::StallAfter(3));

    let receiver = Sandbox::new();
    let child = receiver
        .share(&server)
        .args(["receive", "--jobs", "1", &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the download to stall", || server.downloads().len() > 3);
    let resume = receiver.resume_dir(&link);
    wait_for("parts to be kept", || {
        fs::read_dir(&resume).is_ok_and(|entries| {
            entries
                .flatten()
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".partial"))
                .count()
                >= 2
        })
    });
    signal(&child, "INT");
    let output = child.wait_with_output().unwrap();
    let (_, stderr) = texts(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing was shared"), "{stderr}");

    server.set_download_fault(tflink::DownloadFault::None);
    let output = receiver.receive(&server, &link, &passphrase, &[]);
    assert_success(&output);
    assert_eq!(
        fs::read(receiver.work().join("big.bin")).unwrap(),
        distinctive(6_000_000)
    );
}
