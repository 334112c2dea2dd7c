//! Test support: the tfLink stand-in and helpers to run the real `share` binary in a
//! private working directory and HOME.
#![allow(dead_code)]

pub mod relay;
pub use share_testkit::{raw, tflink};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A private directory for one test: its own HOME and working directory.
pub struct Sandbox {
    pub root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        std::fs::create_dir(root.path().join("work")).unwrap();
        Sandbox { root }
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// A file in the working directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.work().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// `share` with a clean environment (no host named), no terminal on stdin, run in the
    /// working directory.
    pub fn bare(&self) -> Command {
        let mut command = Command::new(share_binary());
        command
            .current_dir(self.work())
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null());
        command
    }

    /// `share` with a clean environment, no terminal on stdin, run in the working directory.
    pub fn share(&self, server: &tflink::StandIn) -> Command {
        let mut command = Command::new(share_binary());
        command
            .current_dir(self.work())
            .env_clear()
            .env("HOME", self.home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("SHARE_SERVER", server.api_base())
            .stdin(Stdio::null());
        command
    }

    /// `share receive ARGS LINK` with the passphrase in `SHARE_PASSPHRASE`.
    pub fn receive(
        &self,
        server: &tflink::StandIn,
        link: &str,
        passphrase: &str,
        args: &[&str],
    ) -> Output {
        self.share(server)
            .arg("receive")
            .args(args)
            .arg(link)
            .env("SHARE_PASSPHRASE", passphrase)
            .output()
            .unwrap()
    }

    /// Where a receive in this sandbox keeps the resume state of a multi-part `link`.
    pub fn resume_dir(&self, link: &str) -> PathBuf {
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(link.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.home().join(".cache/share/resume").join(&digest[..32])
    }

    /// Names in `dir` (not recursive), sorted, hidden ones included.
    pub fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The binary under test: this build's, or another build's named by `SHARE_TEST_BIN`
/// (to check that a new test fails on the code before a fix).
pub fn share_binary() -> PathBuf {
    std::env::var_os("SHARE_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_share")))
}

/// stdout and stderr as text.
pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The link and passphrase from `share send`'s labelled lines.
pub fn link_and_passphrase(stdout: &str) -> (String, String) {
    let field = |label: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} line in {stdout:?}"))
            .trim()
            .to_owned()
    };
    (field("Link:"), field("Passphrase:"))
}

/// Asserts a failure: the exit code, exactly one stderr line containing `needle`, nothing on stdout.
pub fn assert_failure(output: &Output, code: i32, needle: &str) {
    let (stdout, stderr) = texts(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr, got: {stderr:?}"
    );
    assert!(
        stderr.contains(needle),
        "stderr {stderr:?} lacks {needle:?}"
    );
    assert!(stdout.is_empty(), "stdout should be empty, got {stdout:?}");
}

/// A plaintext no ciphertext would contain by chance.
pub fn distinctive(len: usize) -> Vec<u8> {
    let pattern = b"CONFIDENTIAL-PLAINTEXT-";
    (0..len)
        .map(|i| pattern[i % pattern.len()] ^ (i / 997) as u8)
        .collect()
}

pub fn send(sandbox: &Sandbox, server: &tflink::StandIn, args: &[&str]) -> (String, String) {
    let output = sandbox
        .share(server)
        .arg("send")
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&output);
    assert!(output.status.success(), "send failed: {stderr}");
    link_and_passphrase(&stdout)
}

/// Asserts success and returns stdout and stderr as text.
pub fn assert_success(output: &Output) -> (String, String) {
    let (stdout, stderr) = texts(output);
    assert!(
        output.status.success(),
        "exit {:?}: {stderr}",
        output.status.code()
    );
    (stdout, stderr)
}

/// What most test files need: the sandbox, the stand-in, the assertions and the helpers
/// that make and send distinctive plaintexts.
/// Compares `actual` with the committed snapshot `tests/snapshots/NAME`, or rewrites the
/// snapshot when `SHARE_UPDATE_SNAPSHOTS` is set: user-visible text changes only on purpose.
pub fn check_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("SHARE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with SHARE_UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        let (mut old, mut new) = (expected.lines(), actual.lines());
        let (line, was, now) = (1..)
            .map(|number| (number, old.next(), new.next()))
            .find(|(_, was, now)| was != now)
            .expect("the texts differ");
        panic!(
            "{name} drifted at line {line}:\n  snapshot: {}\n  now:      {}\nrun with SHARE_UPDATE_SNAPSHOTS=1 if intended",
            was.unwrap_or("(end)"),
            now.unwrap_or("(end)")
        );
    }
}

pub mod prelude {
    pub use super::tflink::StandIn;
    pub use super::{Sandbox, assert_failure, assert_success, distinctive, send};
}
