//! User-visible help text is snapshot-tested: a change to it must be deliberate. Set
//! `SHARE_UPDATE_SNAPSHOTS=1` to rewrite the files under `tests/snapshots/`
//! ([`check_snapshot`]).

use std::process::Command;

use crate::support::check_snapshot;

#[test]
fn help_texts_match_their_snapshots() {
    for (args, name) in [
        (&["--help"][..], "help.txt"),
        (&["send", "--help"][..], "send-help.txt"),
        (&["receive", "--help"][..], "receive-help.txt"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_share"))
            .args(args)
            .env_remove("SHARE_SERVER")
            .env("COLUMNS", "100")
            .output()
            .unwrap();
        assert!(output.status.success());
        check_snapshot(name, &String::from_utf8(output.stdout).unwrap());
    }
}

#[test]
fn version_is_printed() {
    let output = Command::new(env!("CARGO_BIN_EXE_share"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("share {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_with_clap_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_share"))
        .args(["send", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unexpected argument '--bogus'"));
}
