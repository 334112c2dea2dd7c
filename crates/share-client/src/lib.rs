//! Everything a share client does below its user interface: the only crate that links
//! `age` ([`crypto`]), the payload format and its name rules ([`payload`]), multi-part
//! shares ([`multipart`]), the network and the hosts a share is stored on ([`transport`]),
//! private local files and cleanup ([`local`]), and the streams between blocking work and
//! async I/O ([`stream`]).
//!
//! It knows nothing of a terminal: no flag parsing, no progress bars, no prompts. What it
//! needs from the user interface comes in as plain data or callbacks ([`events`]). The
//! crate graph and its rules are in `docs/architecture.md`.
//!
//! Everything that can fail returns [`Result`]: an [`Error`] of one domain, which says
//! what happened, what to do next and which exit code it stands for ([`error`]).
#![warn(missing_docs)]

pub mod crypto;
pub mod error;
pub mod events;
pub mod local;
pub mod multipart;
pub mod payload;
pub mod stream;
pub mod transport;

pub use error::{Error, Result};
