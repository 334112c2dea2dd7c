//! The wire contract of share, as plain data: the multi-part index, tfLink's upload reply
//! and limits, and the relay's requests, replies and error codes. No I/O, no crypto, no
//! async runtime: the client and the relay both depend on this crate and on nothing of
//! each other.
#![warn(missing_docs)]

pub mod index;
pub mod relay;
pub mod tflink;
pub mod units;
