//! What `share` does on a terminal: the hidden passphrase prompt, the QR code and the
//! progress bar, driven through a pseudo-terminal.

use std::fs;
use std::process::Command;

use crate::support::Sandbox;
use crate::support::tflink::StandIn;
use crate::support::{distinctive, send};

fn share_in_terminal(
    sandbox: &Sandbox,
    server: &StandIn,
    args: &[&str],
) -> rexpect::session::PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_share"));
    command
        .args(args)
        .current_dir(sandbox.work())
        .env_clear()
        .env("HOME", sandbox.home())
        .env("TERM", "xterm")
        .env("SHARE_SERVER", server.api_base());
    rexpect::session::spawn_command(command, Some(30_000)).unwrap()
}

#[test]
fn receive_asks_for_the_passphrase_on_the_terminal_without_echo() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("letter.txt", b"dear receiver");
    let (link, passphrase) = send(&sender, &server, &["letter.txt"]);

    let receiver = Sandbox::new();
    let mut session = share_in_terminal(&receiver, &server, &["receive", &link]);
    session.exp_string("Passphrase: ").unwrap();
    session.send_line(&passphrase).unwrap();
    let transcript = session.exp_eof().unwrap();
    assert!(
        !transcript.contains(&passphrase),
        "the passphrase was echoed: {transcript}"
    );
    assert!(transcript.contains("wrote letter.txt"), "{transcript}");
    assert_eq!(
        fs::read(receiver.work().join("letter.txt")).unwrap(),
        b"dear receiver"
    );
}

#[test]
fn qr_code_and_progress_bar_appear_on_a_terminal() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("big.bin", &distinctive(3_000_000));
    let mut session = share_in_terminal(&sandbox, &server, &["send", "--qr", "big.bin"]);
    let transcript = session.exp_eof().unwrap();
    assert!(
        transcript.contains("Uploading"),
        "no progress bar: {transcript}"
    );
    // Like the download bar: a total, a percentage and the time left.
    let upload_bar = transcript
        .split("Uploading")
        .nth(1)
        .map(|rest| rest.lines().next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(
        upload_bar.contains('%') && upload_bar.contains("ETA"),
        "{upload_bar}"
    );
    assert!(
        upload_bar.contains(" B/2.") && upload_bar.contains("MiB"),
        "no total: {upload_bar}"
    );
    // The transcript arrives decoded as Latin-1: look for the UTF-8 lead bytes of the
    // block elements (U+2580..U+259F) the QR code is drawn with.
    assert!(
        transcript.matches("\u{e2}\u{96}").count() > 100,
        "no QR code: {transcript}"
    );
    assert!(transcript.contains("Passphrase: "));
}

#[test]
fn qr_is_refused_off_a_terminal() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"a");
    let output = sandbox
        .share(&server)
        .args(["send", "--qr", "a.txt"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--qr ignored"));
    assert!(!stderr.contains('█') && !stderr.contains('▀'));
}

#[test]
fn no_color_turns_off_colour_on_a_terminal() {
    let sandbox = Sandbox::new();
    let run = |no_color: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_share"));
        command
            .args(["send", "--bogus"])
            .current_dir(sandbox.work())
            .env_clear()
            .env("TERM", "xterm");
        if no_color {
            command.env("NO_COLOR", "1");
        }
        let mut session = rexpect::session::spawn_command(command, Some(30_000)).unwrap();
        session.exp_eof().unwrap()
    };
    assert!(
        run(false).contains("\u{1b}["),
        "clap colours errors on a terminal"
    );
    let plain = run(true);
    assert!(!plain.contains("\u{1b}["), "{plain:?}");
    assert!(plain.contains("unexpected argument"));
}

#[test]
fn qr_in_a_terminal_too_narrow_for_the_code_says_so_instead_of_wrapping_it() {
    let server = StandIn::start();
    let sandbox = Sandbox::new();
    sandbox.write("a.txt", b"narrow");
    let mut command = Command::new("sh");
    command
        .args(["-c", "stty cols 30 rows 40 && exec \"$0\" send --qr a.txt"])
        .arg(env!("CARGO_BIN_EXE_share"))
        .current_dir(sandbox.work())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.home())
        .env("TERM", "xterm")
        .env("SHARE_SERVER", server.api_base());
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).unwrap();
    let transcript = session.exp_eof().unwrap();
    assert!(
        transcript.contains("the terminal is 30 columns wide and the code needs"),
        "{transcript}"
    );
    assert!(
        transcript.matches("\u{e2}\u{96}").count() < 10,
        "a QR code was drawn anyway: {transcript}"
    );
    assert!(transcript.contains("Passphrase: "));
}

#[test]
fn an_empty_answer_at_the_prompt_is_asked_again_up_to_three_times() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("letter.txt", b"second try");
    let (link, passphrase) = send(&sender, &server, &["letter.txt"]);

    let receiver = Sandbox::new();
    let mut session = share_in_terminal(&receiver, &server, &["receive", &link]);
    session.exp_string("Passphrase: ").unwrap();
    session.send_line("").unwrap();
    session.exp_string("type it again (try 2 of 3)").unwrap();
    session.send_line(&passphrase).unwrap();
    let transcript = session.exp_eof().unwrap();
    assert!(transcript.contains("wrote letter.txt"), "{transcript}");

    let again = Sandbox::new();
    let mut session = share_in_terminal(&again, &server, &["receive", &link]);
    for _ in 0..3 {
        session.exp_string("Passphrase: ").unwrap();
        session.send_line("").unwrap();
    }
    let transcript = session.exp_eof().unwrap();
    assert!(
        transcript.contains("the passphrase from the terminal is empty"),
        "{transcript}"
    );
}

#[test]
fn end_of_input_at_the_prompt_puts_the_error_on_its_own_line() {
    let server = StandIn::start();
    let sender = Sandbox::new();
    sender.write("letter.txt", b"x");
    let (link, _) = send(&sender, &server, &["letter.txt"]);
    let receiver = Sandbox::new();
    let mut session = share_in_terminal(&receiver, &server, &["receive", &link]);
    session.exp_string("Passphrase: ").unwrap();
    session.send_control('d').unwrap();
    let transcript = session.exp_eof().unwrap();
    assert!(transcript.contains("share: error:"), "{transcript}");
    assert!(!transcript.contains("Passphrase: share"), "{transcript}");
}
