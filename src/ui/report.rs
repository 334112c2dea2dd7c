//! The one writer of messages to stderr: status lines, notices and the final error line.
//! Everything it prints passes through [`names::escape_for_terminal`] here, once, so an
//! untrusted text (a name from a share, a host's reply, a library's description of a
//! malformed input) can never drive the terminal, whichever message carries it.

use secrecy::{ExposeSecret, SecretString};
use share_client::payload::names;

/// The longest line printed: a last guard, should an untrusted text reach a message
/// without being cut to [`names::MAX_UNTRUSTED_CHARS`].
const MAX_LINE_CHARS: usize = 2000;

/// A line as it is printed: escaped, and cut if it is absurdly long.
pub fn printable(text: &str) -> String {
    let escaped = names::escape_for_terminal(text);
    match escaped.char_indices().nth(MAX_LINE_CHARS) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

/// `share: TEXT` on stderr, unless `quiet`.
pub fn status(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("share: {}", printable(text));
    }
}

/// `share: TEXT` on stderr unless `quiet`, drawn around whichever progress bar is on screen:
/// how the library's retry notices reach the user.
pub fn notice_over_progress(quiet: bool, text: &str) {
    if !quiet {
        crate::ui::progress::suspend(|| eprintln!("share: {}", printable(text)));
    }
}

/// The final error line, `share: error: TEXT`; printed whatever `--quiet` says.
pub fn error(text: &str) {
    eprintln!("share: error: {}", printable(text));
}

/// Reports a panic as what it is, a bug: one line saying so and where, never the panic's
/// payload (which could quote data, even a passphrase); a backtrace only when
/// `RUST_BACKTRACE` asks for one.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            eprintln!("{backtrace}");
        }
        let location = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        eprintln!("share: error: internal error{location}; please report this bug");
    }));
}

/// Under GitHub Actions (the caller checks), asks the runner to mask the passphrase in the job log before it
/// appears anywhere. The command goes to stderr, which the runner reads for workflow
/// commands as it does stdout, so stdout stays the bare result for `$(…)` and `--json`.
/// It is printed even with `--quiet`, which silences stderr but not the passphrase on
/// stdout: a missing mask is a leak, not noise.
pub fn mask_in_github_actions(passphrase: &SecretString) {
    eprintln!("::add-mask::{}", passphrase.expose_secret());
}
