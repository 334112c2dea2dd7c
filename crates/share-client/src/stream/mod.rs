//! Byte streams between blocking work and async I/O: the bounded hand-off from encryption
//! to the upload ([`pipe`]) and the plaintext digest computed beside the cipher ([`digest`]).

pub mod digest;
pub mod pipe;
