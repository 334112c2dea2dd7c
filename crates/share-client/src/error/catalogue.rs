//! The catalogue of errors: every variant of every error type, rendered from one sample
//! value each, so that the whole set of messages can be read (and snapshot-tested) in one
//! place. Completeness is the compiler's job: each type's variants are listed by strum's
//! `EnumDiscriminants` and `EnumIter`, and [`Catalogued::sample`] matches on them
//! exhaustively, so a new variant does not compile until it has a sample, and then shows
//! up as a new line of the snapshot.

use std::borrow::Cow;
use std::fmt;

use strum::IntoEnumIterator;

use crate::error::{Domain, Kind};

/// An error type whose every variant has a sample value for the catalogue.
pub trait Catalogued: std::error::Error + Sized {
    /// The type's name, as the catalogue prints it.
    const NAME: &'static str;
    /// The type's variants without their data (strum's discriminants), in order.
    type Variant: IntoEnumIterator + Copy + PartialEq + fmt::Debug + Into<&'static str>;
    /// A representative value of `variant`, made of made-up paths and statuses.
    fn sample(variant: Self::Variant) -> Self;
    /// The variant of a value.
    fn variant(&self) -> Self::Variant;
    /// Which documented exit code the error leads to.
    fn kind(&self) -> Kind;
    /// What to do next.
    fn hint(&self) -> Cow<'static, str>;
}

/// One line of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The exit code the error leads to.
    pub kind: Kind,
    /// `Type::Variant`.
    pub name: String,
    /// What happened (the sample's `Display`).
    pub message: String,
    /// What to do next.
    pub hint: String,
}

impl fmt::Display for Entry {
    /// `exit <code>  <Type>::<Variant>  <message>; <hint>`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}  {}  {}; {}",
            self.kind.exit_code(),
            self.name,
            self.message,
            self.hint
        )
    }
}

/// The entries of one error type, one per variant, in declaration order.
///
/// # Panics
///
/// When a sample is of another variant than the one it stands for.
pub fn entries<E: Catalogued>() -> Vec<Entry> {
    E::Variant::iter()
        .map(|variant| {
            let sample = E::sample(variant);
            assert_eq!(
                sample.variant(),
                variant,
                "the sample of {}::{variant:?} is another variant",
                E::NAME
            );
            let name: &'static str = variant.into();
            Entry {
                kind: sample.kind(),
                name: format!("{}::{name}", E::NAME),
                message: one_line(&sample.to_string()),
                hint: one_line(&sample.hint()),
            }
        })
        .collect()
}

/// A text as the user sees it: on one line, whatever a library put in it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every error this crate reports, domain by domain.
pub fn catalogue() -> Vec<Entry> {
    Domain::iter()
        .flat_map(|domain| match domain {
            Domain::Key => entries::<crate::crypto::KeyError>(),
            Domain::Crypto => entries::<crate::crypto::CryptoError>(),
            Domain::Payload => entries::<crate::payload::PayloadError>(),
            Domain::Multipart => entries::<crate::multipart::MultipartError>(),
            Domain::Transport => entries::<crate::transport::TransportError>(),
            Domain::Relay => entries::<crate::transport::RelayError>(),
            Domain::Local => entries::<crate::local::LocalError>(),
            Domain::Stream => entries::<crate::stream::StreamError>(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_one_line_with_a_hint() {
        let entries = catalogue();
        assert!(entries.len() > 50);
        for entry in &entries {
            assert!(!entry.hint.is_empty(), "{}", entry.name);
            assert!(!entry.message.is_empty(), "{}", entry.name);
            assert!(!entry.to_string().contains('\n'), "{}", entry.name);
        }
    }
}
