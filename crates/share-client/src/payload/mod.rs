//! The payload inside every share's age encryption: a POSIX pax tar stream
//! (`docs/format.md`), packed by the sender ([`pack`]) and unpacked by the receiver
//! ([`unpack`]) under the name rules both sides share ([`names`]).

mod error;
pub mod names;
pub mod pack;
pub mod padding;
pub mod unpack;

pub use error::{PayloadError, PayloadErrorVariant};
