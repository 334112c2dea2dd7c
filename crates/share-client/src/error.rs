//! The crate's errors: one typed error per domain, collected in [`Error`], and the few
//! kinds of failure that choose an exit code (README, "Exit codes").
//!
//! Each domain has its own enum, next to the code that fails with it: [`KeyError`] and
//! [`CryptoError`] in `crypto/`, [`PayloadError`] in `payload/`, [`MultipartError`] in
//! `multipart/`, [`TransportError`] and [`RelayError`] in `transport/`, [`LocalError`] in
//! `local/`, [`StreamError`] in `stream/`. Every variant is one case, holding its data
//! (a path, a status, the library error that caused it as its `source`), and says three
//! things: what happened (its `Display`), what to do next ([`Error::hint`]), and which
//! documented exit code it leads to ([`Error::kind`]). The user interface prints them as
//! one line, `what; hint`.
//!
//! Messages never contain a passphrase, an identity or plaintext: variants hold paths,
//! status codes, flag names and library errors only. Text that came from the network or
//! from a share (a host's reply, a name in an archive) is cut to a bounded length
//! ([`crate::payload::names::untrusted`]) but not escaped: the user interface escapes
//! every line once, where it prints it.
//!
//! Errors that must travel through `std::io` (readers feeding the decryptor) are wrapped
//! with [`Error::into_io`] and recovered with [`Error::from_io`].
//!
//! [`catalogue()`] lists every variant of every type with a sample value; a test renders it
//! into `tests/snapshots/errors.txt`, so a change to any message is deliberate.
//!
//! [`KeyError`]: crate::crypto::KeyError
//! [`CryptoError`]: crate::crypto::CryptoError
//! [`PayloadError`]: crate::payload::PayloadError
//! [`MultipartError`]: crate::multipart::MultipartError
//! [`TransportError`]: crate::transport::TransportError
//! [`RelayError`]: crate::transport::RelayError
//! [`LocalError`]: crate::local::LocalError
//! [`StreamError`]: crate::stream::StreamError

pub mod catalogue;

use std::borrow::Cow;

use crate::crypto::{CryptoError, KeyError};
use crate::local::LocalError;
use crate::multipart::MultipartError;
use crate::payload::PayloadError;
use crate::stream::StreamError;
use crate::transport::{RelayError, TransportError};

pub use catalogue::{Catalogued, Entry, catalogue, entries};

/// What went wrong, in the terms of the documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not a failure: the reader of standard output went away, so the command stops
    /// quietly with success (exit 0, nothing printed).
    StdoutClosed,
    /// An unexpected internal error: a bug, or the system failing in a way share does
    /// not expect (exit 1).
    Internal,
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
            Kind::StdoutClosed => 0,
            Kind::Internal => 1,
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

/// Any error of this crate: one variant per domain, each shown as the domain's own error.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(name(Domain), vis(pub(crate)), derive(strum::EnumIter))]
pub enum Error {
    /// Recipients, identities and passphrases given by the user.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Encrypting, and opening and decrypting age files.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The payload: the files sent, and the archive received.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// Multi-part shares: the index, the parts, the spool.
    #[error(transparent)]
    Multipart(#[from] MultipartError),
    /// The network and the tfLink-compatible host.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A share relay's refusals and replies, and its credential files.
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// The user's own machine: output files, private directories, receipts, stops.
    #[error(transparent)]
    Local(#[from] LocalError),
    /// The threads and streams between blocking work and async I/O.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

/// The result of everything in this crate that can fail.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Key(err) => err.kind(),
            Error::Crypto(err) => err.kind(),
            Error::Payload(err) => err.kind(),
            Error::Multipart(err) => err.kind(),
            Error::Transport(err) => err.kind(),
            Error::Relay(err) => err.kind(),
            Error::Local(err) => err.kind(),
            Error::Stream(err) => err.kind(),
        }
    }

    /// Whether the host failed in a way another host may not (unreachable, 5xx, 429, an
    /// unusable reply): a send then starts again on the next host it was given.
    pub fn host_unusable(&self) -> bool {
        match self {
            Error::Transport(err) => err.host_unusable(),
            Error::Relay(err) => err.host_unusable(),
            _ => false,
        }
    }

    /// What the user can do about it, printed after the description on the same line.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            Error::Key(err) => err.hint(),
            Error::Crypto(err) => err.hint(),
            Error::Payload(err) => err.hint(),
            Error::Multipart(err) => err.hint(),
            Error::Transport(err) => err.hint(),
            Error::Relay(err) => err.hint(),
            Error::Local(err) => err.hint(),
            Error::Stream(err) => err.hint(),
        }
    }

    /// The error as an `io::Error`, for a reader to return; [`Error::from_io`] gets it back.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }

    /// The error an `io::Error` made by [`Error::into_io`] carries, or the `io::Error`
    /// itself when it carries none.
    pub fn from_io(err: std::io::Error) -> std::result::Result<Error, std::io::Error> {
        if !err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Err(err);
        }
        let inner = err.into_inner().expect("checked above");
        Ok(*inner.downcast::<Error>().expect("checked above"))
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

/// The hint for an unexpected internal error.
pub(crate) const REPORT_BUG: &str = "this is a bug in share; please report it";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_survives_a_trip_through_io() {
        let err = Error::from(LocalError::Stopped);
        let io = err.into_io();
        let back = Error::from_io(io).unwrap();
        assert_eq!(back.kind(), Kind::Interrupted);
        let plain = std::io::Error::other("plain");
        assert_eq!(Error::from_io(plain).unwrap_err().to_string(), "plain");
    }

    #[test]
    fn errors_stay_small() {
        // Results travel everywhere; a large error makes every one of them large.
        assert!(
            std::mem::size_of::<Error>() <= 80,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn os_error_numbers_are_left_out() {
        let err = std::io::Error::from_raw_os_error(2);
        assert!(!io_text(&err).contains("os error"));
    }
}
