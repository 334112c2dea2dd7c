//! The receiver's and sender's own machine: where received files land ([`destination`]),
//! files only this user may read ([`private`]), and what to remove when a command stops
//! abnormally ([`cleanup`]), and whether what arrives will fit ([`space`]).

pub mod cleanup;
pub mod destination;
mod error;
pub mod private;
pub mod receipts;
pub mod space;

pub use error::{LocalError, LocalErrorVariant};
