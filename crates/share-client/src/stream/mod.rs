//! Byte streams between blocking work and async I/O: the bounded hand-off from encryption
//! to the upload ([`pipe`]), the plaintext digest computed beside the cipher ([`digest`]),
//! and what fails between the two sides ([`StreamError`]).

pub mod digest;
mod error;
pub mod pipe;

pub use error::{StreamError, StreamErrorVariant};

/// How many bytes the streaming code moves at a time: a chunk handed from encryption to
/// the upload, a batch for the hashing thread, and the buffer of every file copy, spool
/// and decryptor read. 256 KiB is four of age's 64 KiB STREAM chunks, large enough that
/// what each chunk costs besides the cipher (a channel hand-off, a system call, an HTTP
/// body frame) is small beside the cipher's work on it, and small enough that the
/// [`pipe::DEPTH`] chunks in flight hold 2 MiB, so memory stays flat whatever the size.
pub const CHUNK: usize = 256 * 1024;
