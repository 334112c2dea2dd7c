//! The one writer of messages to stderr: status lines, notices and the final error line.
//! Everything it prints passes through [`names::escape_for_terminal`] here, once, so an
//! untrusted text (a name from a share, a host's reply, a library's description of a
//! malformed input) can never drive the terminal, whichever message carries it.

use crate::names;

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

/// `share: TEXT` on stderr unless `quiet`, drawn around a progress bar that may be on screen.
pub fn notice(quiet: bool, bar: &indicatif::ProgressBar, text: &str) {
    if !quiet {
        bar.suspend(|| eprintln!("share: {}", printable(text)));
    }
}

/// The final error line, `share: error: TEXT`; printed whatever `--quiet` says.
pub fn error(text: &str) {
    eprintln!("share: error: {}", printable(text));
}
