//! Free space: a receive refuses what cannot fit before its bytes arrive, on a real small
//! filesystem (a 1 MiB tmpfs mounted for the test; mounting needs root, as `.ci/run` has).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::prelude::*;
use crate::support::texts;

/// A tmpfs of a fixed size, unmounted when dropped.
struct SmallDisk {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    /// Mounts one; `None` when this machine does not let us (not root).
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0777"),
                "tmpfs",
            ])
            .arg(&mount)
            .output()
            .is_ok_and(|output| output.status.success());
        if !mounted {
            // `.ci/run` runs the tests as root, where this works; a developer's own run
            // as another user says so instead of failing.
            eprintln!("skipped: cannot mount a tmpfs here (the test needs root)");
            return None;
        }
        Some(SmallDisk { _dir: dir, mount })
    }

    fn path(&self) -> &Path {
        &self.mount
    }

    fn entries(&self) -> Vec<String> {
        Sandbox::listing(&self.mount)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
    }
}

/// A 3 MB one-file share in parts of 500 kB: its link and passphrase.
fn large_share(server: &StandIn) -> (String, String) {
    let sender = Sandbox::new();
    sender.write("payload.bin", &distinctive(3_000_000));
    send(
        &sender,
        server,
        &["--no-pad", "--part-size", "500000", "payload.bin"],
    )
}

#[test]
fn a_file_larger_than_the_free_space_is_refused_before_its_parts_arrive() {
    let Some(disk) = SmallDisk::mount("1m") else {
        return;
    };
    let server = StandIn::start();
    let (link, passphrase) = large_share(&server);
    let requests_before = server.downloads().len();
    let receiver = Sandbox::new();
    let inbox = format!("{}/inbox/", disk.path().display());
    let output = receiver
        .share(&server)
        .args(["receive", "--jobs", "1", "-o", &inbox, &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .output()
        .unwrap();
    assert_failure(
        &output,
        7,
        "bytes free, too few for payload.bin (3000000 bytes); nothing was written; free some space",
    );
    // The index and the first part or two, not the seven parts: the archive named the
    // file in its first bytes.
    let requests = server.downloads().len() - requests_before;
    assert!(
        requests <= 3,
        "{requests} requests: {:?}",
        server.downloads()
    );
    assert!(disk.entries().is_empty(), "{:?}", disk.entries());
    assert!(!texts(&output).1.contains("No space left"));
}

#[test]
fn parts_that_do_not_fit_where_they_are_kept_are_not_fetched() {
    let Some(disk) = SmallDisk::mount("1m") else {
        return;
    };
    let server = StandIn::start();
    let (link, passphrase) = large_share(&server);
    let requests_before = server.downloads().len();
    let receiver = Sandbox::new();
    let output = receiver
        .share(&server)
        .args(["receive", "-o", "copy.bin", &link])
        .env("SHARE_PASSPHRASE", &passphrase)
        .env("XDG_CACHE_HOME", disk.path())
        .output()
        .unwrap();
    assert_failure(&output, 7, "too few for the share's parts");
    assert_eq!(
        server.downloads().len() - requests_before,
        1,
        "only the index"
    );
    // The empty resume directory is gone again; nothing was written.
    let resume = disk.path().join("share/resume");
    assert!(
        !resume.exists() || Sandbox::listing(&resume).is_empty(),
        "{:?}",
        Sandbox::listing(&resume)
    );
    assert!(!receiver.work().join("copy.bin").exists());
}
