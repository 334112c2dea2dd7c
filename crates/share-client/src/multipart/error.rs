//! The failures of `multipart/`: an index from an untrusted host that is not sound, or a
//! part that does not match it (exit 4); the resume directory or the spool that cannot be
//! used (exit 7); fetching that stopped (exit 6).

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use crate::error::{Catalogued, Kind, io_text};
use crate::payload::names::untrusted;

/// A multi-part share whose index, parts, resume directory or spool cannot be used.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(MultipartErrorVariant),
    doc = "The variants of [`MultipartError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum MultipartError {
    /// The link returned JSON (or text) that is neither an age file nor a share index.
    #[error("the link did not return an age file or a share index")]
    NotAgeOrIndex,
    /// A document that looks like an index but does not parse as one (serde's description
    /// quotes the host's field names: untrusted).
    #[error(
        "the share index is malformed: it is not a share index ({})",
        untrusted(&.source.to_string())
    )]
    NotAnIndex {
        /// serde's error.
        source: serde_json::Error,
    },
    /// An index of a newer format version.
    #[error("the share index was made by a newer version of share")]
    NewerIndex,
    /// No parts, or more than an index may list.
    #[error("the share index is malformed: it lists no parts, or too many")]
    PartCount,
    /// A part whose link is not a URL.
    #[error("the share index is malformed: part {part} has no valid link")]
    PartLinkInvalid {
        /// The part, counted from 1.
        part: usize,
    },
    /// A part whose link is not http(s).
    #[error("the share index is malformed: part {part} does not link to http(s)")]
    PartNotWeb {
        /// The part, counted from 1.
        part: usize,
    },
    /// A part of size zero or larger than a host stores.
    #[error("the share index is malformed: part {part} has an impossible size")]
    PartSize {
        /// The part, counted from 1.
        part: usize,
    },
    /// A part without a valid SHA-256.
    #[error("the share index is malformed: part {part} has no valid SHA-256")]
    PartHash {
        /// The part, counted from 1.
        part: usize,
    },
    /// Part sizes that do not add up to the index's total.
    #[error("the share index is malformed: its part sizes do not add up to its total")]
    TotalMismatch,
    /// A part link the part-link rule refuses (another host, a downgrade, an internal
    /// address).
    #[error("the share index lists a part that share will not fetch: part {part} {problem}")]
    PartLinkRefused {
        /// The part, counted from 1.
        part: usize,
        /// Why it is refused.
        problem: &'static str,
    },
    /// A part whose size or hash differs from the index.
    #[error("part {part} of the share does not match its index")]
    PartMismatch {
        /// The part, counted from 1.
        part: usize,
    },
    /// Fetching ended before every part arrived.
    #[error("fetching the parts stopped")]
    FetchStopped,
    /// A level of the resume directory that is not a directory.
    #[error("{} is not a directory", .path.display())]
    ResumeNotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A level of the resume directory that belongs to another user.
    #[error("{} belongs to another user", .path.display())]
    ResumeNotOurs {
        /// The directory.
        path: PathBuf,
    },
    /// The spool file (a temporary file) could not be created or written.
    #[error("cannot create or write a temporary file: {}", io_text(.source))]
    Spool {
        /// The system's error.
        source: io::Error,
    },
    /// Standard input could not be read to its end.
    #[error("cannot read standard input: {}", io_text(.source))]
    StdinUnreadable {
        /// The system's error.
        source: io::Error,
    },
}

const NOTHING_SHARE_AGAIN: &str = "nothing was written; ask the sender to share it again";

impl MultipartError {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            MultipartError::NotAgeOrIndex
            | MultipartError::NotAnIndex { .. }
            | MultipartError::NewerIndex
            | MultipartError::PartCount
            | MultipartError::PartLinkInvalid { .. }
            | MultipartError::PartNotWeb { .. }
            | MultipartError::PartSize { .. }
            | MultipartError::PartHash { .. }
            | MultipartError::TotalMismatch
            | MultipartError::PartLinkRefused { .. }
            | MultipartError::PartMismatch { .. } => Kind::BadPayload,
            MultipartError::FetchStopped => Kind::Host,
            MultipartError::ResumeNotADirectory { .. }
            | MultipartError::ResumeNotOurs { .. }
            | MultipartError::Spool { .. }
            | MultipartError::StdinUnreadable { .. } => Kind::LocalIo,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            MultipartError::NotAgeOrIndex => {
                "check that you copied the whole link printed by `share send`".into()
            }
            MultipartError::NewerIndex => "upgrade share and try again".into(),
            MultipartError::NotAnIndex { .. }
            | MultipartError::PartCount
            | MultipartError::PartLinkInvalid { .. }
            | MultipartError::PartNotWeb { .. }
            | MultipartError::PartSize { .. }
            | MultipartError::PartHash { .. }
            | MultipartError::TotalMismatch
            | MultipartError::PartMismatch { .. } => NOTHING_SHARE_AGAIN.into(),
            MultipartError::PartLinkRefused { .. } => {
                "nothing was fetched or written; the host is broken or hostile, ask the sender to share it again".into()
            }
            MultipartError::FetchStopped => {
                "nothing was written; run the same command again to resume".into()
            }
            MultipartError::ResumeNotADirectory { .. } => {
                "remove it and try again; share keeps resume state there".into()
            }
            MultipartError::ResumeNotOurs { .. } => {
                "nothing was written; remove it, or set XDG_CACHE_HOME to a directory of your own".into()
            }
            MultipartError::Spool { .. } => {
                "set TMPDIR to a directory with room for the encrypted share".into()
            }
            MultipartError::StdinUnreadable { .. } => "nothing was shared".into(),
        }
    }
}

impl Catalogued for MultipartError {
    const NAME: &'static str = "MultipartError";
    type Variant = MultipartErrorVariant;

    fn sample(variant: MultipartErrorVariant) -> Self {
        let cache = PathBuf::from("/home/me/.cache/share/resume");
        match variant {
            MultipartErrorVariant::NotAgeOrIndex => MultipartError::NotAgeOrIndex,
            MultipartErrorVariant::NotAnIndex => MultipartError::NotAnIndex {
                source: serde_json::from_str::<share_proto::index::Index>(r#"{"share_index": 1}"#)
                    .expect_err("not an index"),
            },
            MultipartErrorVariant::NewerIndex => MultipartError::NewerIndex,
            MultipartErrorVariant::PartCount => MultipartError::PartCount,
            MultipartErrorVariant::PartLinkInvalid => MultipartError::PartLinkInvalid { part: 2 },
            MultipartErrorVariant::PartNotWeb => MultipartError::PartNotWeb { part: 2 },
            MultipartErrorVariant::PartSize => MultipartError::PartSize { part: 2 },
            MultipartErrorVariant::PartHash => MultipartError::PartHash { part: 2 },
            MultipartErrorVariant::TotalMismatch => MultipartError::TotalMismatch,
            MultipartErrorVariant::PartLinkRefused => MultipartError::PartLinkRefused {
                part: 2,
                problem: "it is on another host than the index",
            },
            MultipartErrorVariant::PartMismatch => MultipartError::PartMismatch { part: 2 },
            MultipartErrorVariant::FetchStopped => MultipartError::FetchStopped,
            MultipartErrorVariant::ResumeNotADirectory => {
                MultipartError::ResumeNotADirectory { path: cache }
            }
            MultipartErrorVariant::ResumeNotOurs => MultipartError::ResumeNotOurs { path: cache },
            MultipartErrorVariant::Spool => MultipartError::Spool {
                source: io::Error::new(io::ErrorKind::StorageFull, "No space left on device"),
            },
            MultipartErrorVariant::StdinUnreadable => MultipartError::StdinUnreadable {
                source: io::Error::other("Input/output error"),
            },
        }
    }

    fn variant(&self) -> MultipartErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        MultipartError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        MultipartError::hint(self)
    }
}
