//! Shares too large for one upload: the ciphertext spooled and cut into parts ([`spool`]),
//! the plain index that lists them ([`index`]), and fetching them back in order ([`fetch`]).

mod error;
pub mod fetch;
pub mod index;
pub mod spool;

pub use error::{MultipartError, MultipartErrorVariant};
