//! The few kinds of failure that choose an exit code (README, "Exit codes").
//!
//! Code anywhere in the crate reports a failure as an [`anyhow::Error`]; a failure whose
//! kind matters to scripts carries a [`Failure`] somewhere in its chain. `main` looks for it
//! once, prints one line and exits with [`Kind::exit_code`]. Anything without a `Failure`
//! is an unexpected internal error (exit 1).

use std::fmt;

/// What went wrong, in the terms of the documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bad flags, no passphrase source without a terminal, weak own passphrase (exit 2).
    Usage,
    /// Wrong passphrase, or no identity matches (exit 3).
    WrongKey,
    /// Not an age file or share payload, tampered, truncated, or work factor above the cap (exit 4).
    BadPayload,
    /// The link is not found or expired: 404 or 410 (exit 5).
    NotFound,
    /// Network, TLS, timeout or host error (exit 6).
    Host,
    /// Local I/O: output exists, permission denied, disk full (exit 7).
    LocalIo,
    /// Stopped by SIGINT (exit 130).
    Interrupted,
    /// Stopped by SIGTERM (exit 143).
    Terminated,
}

impl Kind {
    /// The process exit code documented for this kind (README, "Exit codes").
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => 2,
            Kind::WrongKey => 3,
            Kind::BadPayload => 4,
            Kind::NotFound => 5,
            Kind::Host => 6,
            Kind::LocalIo => 7,
            Kind::Interrupted => 130,
            Kind::Terminated => 143,
        }
    }
}

/// A failure with its kind, what happened, and what the user can do about it.
///
/// Messages never contain a passphrase, an identity or plaintext: callers build them from
/// paths, status codes and library error texts only.
#[derive(Debug)]
pub struct Failure {
    /// Which documented exit code the failure leads to.
    pub kind: Kind,
    what: String,
    hint: Option<String>,
}

impl Failure {
    /// A failure of `kind` described by `what` (one line, no secrets), without a hint yet.
    pub fn new(kind: Kind, what: impl Into<String>) -> Self {
        Failure {
            kind,
            what: what.into(),
            hint: None,
        }
    }

    /// Adds what to do next, printed after the description on the same line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            Some(hint) => write!(f, "{}; {}", self.what, hint),
            None => f.write_str(&self.what),
        }
    }
}

impl std::error::Error for Failure {}

/// Shorthand for returning a [`Failure`] as an `anyhow::Error`.
pub fn fail(kind: Kind, what: impl Into<String>) -> anyhow::Error {
    Failure::new(kind, what).into()
}

/// The kind carried by an error chain, if any link of it is a [`Failure`].
pub fn kind_of(error: &anyhow::Error) -> Option<Kind> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map(|failure| failure.kind)
}

/// What happened, without the advice: for notices about a failure that is retried.
pub fn what_happened(error: &anyhow::Error) -> String {
    match error.chain().find_map(|c| c.downcast_ref::<Failure>()) {
        Some(failure) => failure.what.clone(),
        None => one_line(error),
    }
}

/// The one line printed for an error: the outermost `Failure` if there is one (it already
/// says what happened and what to do), otherwise the whole chain joined by ": ".
pub fn one_line(error: &anyhow::Error) -> String {
    let text = match error.chain().find_map(|c| c.downcast_ref::<Failure>()) {
        Some(failure) => failure.to_string(),
        None => error
            .chain()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": "),
    };
    // One line, whatever a library put in its message.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An error as an `io::Error` for a reader to return, keeping its [`Failure`] so whoever
/// reads through it can still tell what happened (anything else counts as a host error).
pub fn into_io(err: anyhow::Error) -> std::io::Error {
    match err.downcast::<Failure>() {
        Ok(failure) => std::io::Error::other(failure),
        Err(other) => std::io::Error::other(Failure::new(Kind::Host, other.to_string())),
    }
}

/// An I/O error's description without Rust's " (os error N)" suffix.
pub fn io_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// A failure to write or create something locally (exit 7), with advice that fits the cause.
pub fn local_io(action: &str, path: &std::path::Path, err: &std::io::Error) -> anyhow::Error {
    let hint = match err.kind() {
        std::io::ErrorKind::StorageFull
        | std::io::ErrorKind::QuotaExceeded
        | std::io::ErrorKind::FileTooLarge => "free some space or choose another place with -o",
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            "choose a place you can write to with -o"
        }
        _ => "check the destination and try again",
    };
    Failure::new(
        Kind::LocalIo,
        format!("cannot {action} {}: {}", path.display(), io_text(err)),
    )
    .hint(format!("nothing was written; {hint}"))
    .into()
}

/// The reader of the output stream (standard output) went away: not an error; the command
/// stops quietly with success.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Maps a write error on the output stream the caller gave (standard output).
pub fn output_error(err: &std::io::Error) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        StdoutClosed.into()
    } else {
        Failure::new(
            Kind::LocalIo,
            format!("cannot write to standard output: {}", io_text(err)),
        )
        .hint("check where the output is redirected")
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_deep_in_chain_sets_the_kind_and_the_line() {
        let err = anyhow::Error::from(Failure::new(Kind::NotFound, "gone").hint("ask again"))
            .context("while downloading");
        assert_eq!(kind_of(&err), Some(Kind::NotFound));
        assert_eq!(one_line(&err), "gone; ask again");
    }

    #[test]
    fn plain_errors_are_joined_on_one_line() {
        let err = anyhow::anyhow!("inner\nsecond line").context("outer");
        assert_eq!(kind_of(&err), None);
        assert_eq!(one_line(&err), "outer: inner second line");
    }
}
