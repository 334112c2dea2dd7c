//! The failures between blocking work and async I/O: a worker thread that did not finish,
//! or a producer that stopped before its first bytes. Both are unexpected (exit 1).

use std::borrow::Cow;

use crate::error::{Catalogued, Kind, REPORT_BUG};

/// The blocking side of a stream failed in a way that is not the data's fault.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(StreamErrorVariant),
    doc = "The variants of [`StreamError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum StreamError {
    /// A blocking thread (encryption, decryption) panicked or was cancelled. Its panic
    /// message is not kept: it could quote data.
    #[error(
        "the {work} thread failed: it {}",
        if *.panicked { "panicked" } else { "was cancelled" }
    )]
    ThreadFailed {
        /// What the thread did ("encryption", "decryption").
        work: &'static str,
        /// Whether it panicked (rather than being cancelled).
        panicked: bool,
    },
    /// Encryption ended without handing on the age header, and without saying why.
    #[error("encryption stopped before its header")]
    NoHeader,
}

impl StreamError {
    /// The error for a blocking task that did not finish (`spawn_blocking`'s `JoinError`).
    pub fn thread(work: &'static str, err: &tokio::task::JoinError) -> StreamError {
        StreamError::ThreadFailed {
            work,
            panicked: err.is_panic(),
        }
    }

    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            StreamError::ThreadFailed { .. } | StreamError::NoHeader => Kind::Internal,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            StreamError::ThreadFailed { .. } | StreamError::NoHeader => REPORT_BUG.into(),
        }
    }
}

impl Catalogued for StreamError {
    const NAME: &'static str = "StreamError";
    type Variant = StreamErrorVariant;

    fn sample(variant: StreamErrorVariant) -> Self {
        match variant {
            StreamErrorVariant::ThreadFailed => StreamError::ThreadFailed {
                work: "encryption",
                panicked: true,
            },
            StreamErrorVariant::NoHeader => StreamError::NoHeader,
        }
    }

    fn variant(&self) -> StreamErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        StreamError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        StreamError::hint(self)
    }
}
