//! The failures of `payload/`: the sender's inputs that cannot be sent (exit 2, or 7 when
//! unreadable), and a received archive that is malformed or names something unsafely
//! (exit 4). Names from a received archive are the sender's: cut to a bounded length when
//! shown ([`untrusted`]), escaped where the line is printed.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use crate::error::{Catalogued, Kind, REPORT_BUG, io_text};
use crate::payload::names::untrusted;
use crate::payload::unpack::MAX_ENTRIES;

/// The sender's input cannot be sent, or the received payload cannot be unpacked.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(PayloadErrorVariant),
    doc = "The variants of [`PayloadError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum PayloadError {
    /// Two inputs would have the same name at the top of the share.
    #[error("two inputs are both named {name}")]
    DuplicateName {
        /// The name they share.
        name: String,
    },
    /// An input that is neither a regular file nor a directory.
    #[error("{} is not a regular file or directory", .path.display())]
    NotFileOrDirectory {
        /// The input.
        path: PathBuf,
    },
    /// `--name` is not a name a receiver can create.
    #[error("--name {name}: {problem}")]
    BadStdinName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An input such as `/` that has no name of its own.
    #[error("cannot share {} as a whole", .path.display())]
    CannotShareWhole {
        /// The input.
        path: PathBuf,
    },
    /// An input whose name is not UTF-8.
    #[error("the name of {} is not valid UTF-8", .path.display())]
    NameNotUtf8 {
        /// The input.
        path: PathBuf,
    },
    /// An input whose name a receiver could not recreate safely.
    #[error("cannot send {}: {problem}", .path.display())]
    UnsafeInputName {
        /// The input.
        path: PathBuf,
        /// What is wrong with its name.
        problem: &'static str,
    },
    /// A path inside a directory that is longer than a share allows.
    #[error("the path {} is too long", .path.display())]
    PathTooLong {
        /// The path.
        path: PathBuf,
    },
    /// An input that does not exist.
    #[error("cannot read {}: {}", .path.display(), io_text(.source))]
    InputMissing {
        /// The input.
        path: PathBuf,
        /// The error reading it.
        source: io::Error,
    },
    /// An input this user may not read.
    #[error("cannot read {}: {}", .path.display(), io_text(.source))]
    InputForbidden {
        /// The input.
        path: PathBuf,
        /// The error reading it.
        source: io::Error,
    },
    /// An input that failed to read for another reason.
    #[error("cannot read {}: {}", .path.display(), io_text(.source))]
    InputUnreadable {
        /// The input.
        path: PathBuf,
        /// The error reading it.
        source: io::Error,
    },
    /// An input whose size changed between planning and sending.
    #[error("{} changed while it was being read", .path.display())]
    InputChanged {
        /// The input.
        path: PathBuf,
    },
    /// The stream the encrypted payload is written to failed (usually because the upload
    /// stopped, whose own error is the one reported).
    #[error("the upload stream closed: {source}")]
    SinkClosed {
        /// The writer's error.
        source: io::Error,
    },
    /// The tar crate refused a header share built.
    #[error("cannot build the archive entry for {name}: {source}")]
    TarHeader {
        /// The entry's name.
        name: String,
        /// The tar crate's error.
        source: io::Error,
    },
    /// A share payload marker of a newer format version.
    #[error("the share was made by a newer version of share")]
    NewerFormat,
    /// A marker without its file count.
    #[error("the share is malformed: its marker has no file count")]
    MarkerWithoutCount,
    /// Two extended headers before one entry.
    #[error("the share is malformed: two extended headers precede one entry")]
    TwoExtendedHeaders,
    /// A GNU long name past the path limit.
    #[error("the share is malformed: a GNU long name is longer than 4096 bytes")]
    LongNameTooLong,
    /// A global header after the marker.
    #[error("the share is malformed: it has a second global header")]
    SecondGlobalHeader,
    /// More entries than [`MAX_ENTRIES`].
    #[error("the share is malformed: it has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    /// An extended header at the end of the archive.
    #[error("the share is malformed: an extended header is not followed by an entry")]
    DanglingExtension,
    /// An extended header larger than any name needs.
    #[error(
        "the share is malformed: an extended header of {size} bytes is larger than any name needs"
    )]
    ExtensionTooLarge {
        /// Its declared size.
        size: u64,
    },
    /// An extended header that is not pax records.
    #[error("the share is malformed: an extended header is not pax records")]
    NotPaxRecords,
    /// A pax keyword that is not UTF-8.
    #[error("the share is malformed: an extended header has a keyword that is not UTF-8")]
    KeywordNotUtf8,
    /// A pax keyword share does not accept.
    #[error(
        "the share is malformed: an extended header carries `{}`, which share does not accept",
        untrusted(.keyword)
    )]
    KeywordRefused {
        /// The keyword (the sender's).
        keyword: String,
    },
    /// Fewer or more files than the marker announced.
    #[error("the share is malformed: its file count does not match its marker")]
    CountMismatch,
    /// Data after the archive's end.
    #[error("the share is malformed: data follows the end of the archive")]
    TrailingData,
    /// More zero padding after the archive than Padmé gives an archive of its length.
    #[error(
        "the share is malformed: more padding follows the archive than a share of its size has"
    )]
    ExcessPadding,
    /// An entry whose data ends before its declared size.
    #[error("the share is malformed: an entry is shorter than its declared size")]
    EntryTooShort,
    /// Two entries for the same file.
    #[error("the share is malformed: two entries claim the same place")]
    SamePlace,
    /// A directory and a file with the same name.
    #[error("the share is malformed: a directory and a file share a name")]
    DirectoryFileClash,
    /// A single-file payload with more in it.
    #[error("the share is malformed: it holds more than the single file its marker announced")]
    MoreThanOneFile,
    /// A single-file payload without its file.
    #[error("the share is malformed: it holds no file")]
    NoFile,
    /// The tar reader refused the archive (its description quotes the sender's data).
    #[error("the share is malformed: {}", untrusted(&io_text(.source)))]
    Unreadable {
        /// The tar reader's error.
        source: io::Error,
    },
    /// An entry name that breaks the name rules.
    #[error("the share contains an unsafe name \"{}\": {problem}", untrusted(.name))]
    UnsafeName {
        /// The name (the sender's).
        name: String,
        /// The rule it breaks.
        problem: &'static str,
    },
    /// An entry name that appears twice.
    #[error("the share contains an unsafe name \"{}\": it appears twice", untrusted(.name))]
    DuplicateEntry {
        /// The name (the sender's).
        name: String,
    },
    /// An entry name that is not UTF-8.
    #[error("the share contains an unsafe name \"{}\": it is not UTF-8", untrusted(.name))]
    EntryNameNotUtf8 {
        /// The name, decoded lossily (the sender's).
        name: String,
    },
    /// A link, device, FIFO or other entry that is not a file or directory.
    #[error(
        "the share contains an unsafe name \"{}\": it is a {entry_type}, and only files and directories are accepted",
        untrusted(.name)
    )]
    SpecialEntry {
        /// The name (the sender's).
        name: String,
        /// What the entry is.
        entry_type: &'static str,
    },
    /// `-o -` for a share of several files.
    #[error("-o - needs a single-file share, and this one holds {files} files")]
    NotSingleFile {
        /// How many files the share holds.
        files: u64,
    },
}

const NOTHING_SHARE_AGAIN: &str = "nothing was written; ask the sender to share it again";
const HOSTILE: &str = "nothing was written; the sender's tool is broken or hostile";

impl PayloadError {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            PayloadError::DuplicateName { .. }
            | PayloadError::NotFileOrDirectory { .. }
            | PayloadError::BadStdinName { .. }
            | PayloadError::CannotShareWhole { .. }
            | PayloadError::NameNotUtf8 { .. }
            | PayloadError::UnsafeInputName { .. }
            | PayloadError::PathTooLong { .. }
            | PayloadError::InputMissing { .. }
            | PayloadError::NotSingleFile { .. } => Kind::Usage,
            PayloadError::InputForbidden { .. }
            | PayloadError::InputUnreadable { .. }
            | PayloadError::InputChanged { .. } => Kind::LocalIo,
            PayloadError::SinkClosed { .. } | PayloadError::TarHeader { .. } => Kind::Internal,
            PayloadError::NewerFormat
            | PayloadError::MarkerWithoutCount
            | PayloadError::TwoExtendedHeaders
            | PayloadError::LongNameTooLong
            | PayloadError::SecondGlobalHeader
            | PayloadError::TooManyEntries
            | PayloadError::DanglingExtension
            | PayloadError::ExtensionTooLarge { .. }
            | PayloadError::NotPaxRecords
            | PayloadError::KeywordNotUtf8
            | PayloadError::KeywordRefused { .. }
            | PayloadError::CountMismatch
            | PayloadError::TrailingData
            | PayloadError::ExcessPadding
            | PayloadError::EntryTooShort
            | PayloadError::SamePlace
            | PayloadError::DirectoryFileClash
            | PayloadError::MoreThanOneFile
            | PayloadError::NoFile
            | PayloadError::Unreadable { .. }
            | PayloadError::UnsafeName { .. }
            | PayloadError::DuplicateEntry { .. }
            | PayloadError::EntryNameNotUtf8 { .. }
            | PayloadError::SpecialEntry { .. } => Kind::BadPayload,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            PayloadError::DuplicateName { .. } => {
                "names must be unique in a share; rename one or put them in a directory".into()
            }
            PayloadError::NotFileOrDirectory { .. } => {
                "share sends regular files and directories only".into()
            }
            PayloadError::BadStdinName { .. } => "give a plain file name".into(),
            PayloadError::CannotShareWhole { .. } => {
                "name the files or directories inside it instead".into()
            }
            PayloadError::NameNotUtf8 { .. } => {
                "rename it; names travel in a portable encoding".into()
            }
            PayloadError::UnsafeInputName { .. } => {
                "rename it so the receiver can recreate it safely".into()
            }
            PayloadError::PathTooLong { .. } => "shorten it below 4096 bytes".into(),
            PayloadError::InputMissing { .. } => "check the path".into(),
            PayloadError::InputForbidden { .. } => "check its permissions".into(),
            PayloadError::InputUnreadable { .. } => "check that it is readable".into(),
            PayloadError::InputChanged { .. } => {
                "nothing was shared; send it again once it is no longer being written".into()
            }
            PayloadError::SinkClosed { .. } => {
                "nothing was shared; try again, and report it if it keeps happening".into()
            }
            PayloadError::TarHeader { .. } => REPORT_BUG.into(),
            PayloadError::NewerFormat => "upgrade share and try again".into(),
            PayloadError::MarkerWithoutCount
            | PayloadError::TwoExtendedHeaders
            | PayloadError::LongNameTooLong
            | PayloadError::SecondGlobalHeader
            | PayloadError::TooManyEntries
            | PayloadError::DanglingExtension
            | PayloadError::ExtensionTooLarge { .. }
            | PayloadError::NotPaxRecords
            | PayloadError::KeywordNotUtf8
            | PayloadError::KeywordRefused { .. }
            | PayloadError::CountMismatch
            | PayloadError::TrailingData
            | PayloadError::ExcessPadding
            | PayloadError::EntryTooShort
            | PayloadError::SamePlace
            | PayloadError::DirectoryFileClash
            | PayloadError::MoreThanOneFile
            | PayloadError::NoFile
            | PayloadError::Unreadable { .. } => NOTHING_SHARE_AGAIN.into(),
            PayloadError::UnsafeName { .. }
            | PayloadError::DuplicateEntry { .. }
            | PayloadError::EntryNameNotUtf8 { .. }
            | PayloadError::SpecialEntry { .. } => HOSTILE.into(),
            PayloadError::NotSingleFile { .. } => {
                "nothing was written; give -o a directory instead".into()
            }
        }
    }
}

impl Catalogued for PayloadError {
    const NAME: &'static str = "PayloadError";
    type Variant = PayloadErrorVariant;

    fn sample(variant: PayloadErrorVariant) -> Self {
        let path = |name: &str| PathBuf::from(format!("/home/me/{name}"));
        let io = |kind, text: &str| io::Error::new(kind, text.to_owned());
        match variant {
            PayloadErrorVariant::DuplicateName => PayloadError::DuplicateName {
                name: "notes.txt".to_owned(),
            },
            PayloadErrorVariant::NotFileOrDirectory => PayloadError::NotFileOrDirectory {
                path: PathBuf::from("/dev/null"),
            },
            PayloadErrorVariant::BadStdinName => PayloadError::BadStdinName {
                name: "a/b".to_owned(),
                problem: "the name contains a slash",
            },
            PayloadErrorVariant::CannotShareWhole => PayloadError::CannotShareWhole {
                path: PathBuf::from("/"),
            },
            PayloadErrorVariant::NameNotUtf8 => PayloadError::NameNotUtf8 {
                path: path("caf\u{fffd}"),
            },
            PayloadErrorVariant::UnsafeInputName => PayloadError::UnsafeInputName {
                path: path("CON"),
                problem: "the name is reserved for a device on Windows (CON, PRN, AUX, NUL, COM1, LPT1, …)",
            },
            PayloadErrorVariant::PathTooLong => PayloadError::PathTooLong {
                path: path("deep/…/file"),
            },
            PayloadErrorVariant::InputMissing => PayloadError::InputMissing {
                path: path("report.pdf"),
                source: io(io::ErrorKind::NotFound, "No such file or directory"),
            },
            PayloadErrorVariant::InputForbidden => PayloadError::InputForbidden {
                path: path("report.pdf"),
                source: io(io::ErrorKind::PermissionDenied, "Permission denied"),
            },
            PayloadErrorVariant::InputUnreadable => PayloadError::InputUnreadable {
                path: path("report.pdf"),
                source: io(io::ErrorKind::Other, "Input/output error"),
            },
            PayloadErrorVariant::InputChanged => PayloadError::InputChanged {
                path: path("server.log"),
            },
            PayloadErrorVariant::SinkClosed => PayloadError::SinkClosed {
                source: io(io::ErrorKind::BrokenPipe, "the upload stopped"),
            },
            PayloadErrorVariant::TarHeader => PayloadError::TarHeader {
                name: "report.pdf".to_owned(),
                source: io(
                    io::ErrorKind::Other,
                    "path cannot be split to be inserted into archive",
                ),
            },
            PayloadErrorVariant::NewerFormat => PayloadError::NewerFormat,
            PayloadErrorVariant::MarkerWithoutCount => PayloadError::MarkerWithoutCount,
            PayloadErrorVariant::TwoExtendedHeaders => PayloadError::TwoExtendedHeaders,
            PayloadErrorVariant::LongNameTooLong => PayloadError::LongNameTooLong,
            PayloadErrorVariant::SecondGlobalHeader => PayloadError::SecondGlobalHeader,
            PayloadErrorVariant::TooManyEntries => PayloadError::TooManyEntries,
            PayloadErrorVariant::DanglingExtension => PayloadError::DanglingExtension,
            PayloadErrorVariant::ExtensionTooLarge => {
                PayloadError::ExtensionTooLarge { size: 1_048_576 }
            }
            PayloadErrorVariant::NotPaxRecords => PayloadError::NotPaxRecords,
            PayloadErrorVariant::KeywordNotUtf8 => PayloadError::KeywordNotUtf8,
            PayloadErrorVariant::KeywordRefused => PayloadError::KeywordRefused {
                keyword: "linkpath".to_owned(),
            },
            PayloadErrorVariant::CountMismatch => PayloadError::CountMismatch,
            PayloadErrorVariant::TrailingData => PayloadError::TrailingData,
            PayloadErrorVariant::ExcessPadding => PayloadError::ExcessPadding,
            PayloadErrorVariant::EntryTooShort => PayloadError::EntryTooShort,
            PayloadErrorVariant::SamePlace => PayloadError::SamePlace,
            PayloadErrorVariant::DirectoryFileClash => PayloadError::DirectoryFileClash,
            PayloadErrorVariant::MoreThanOneFile => PayloadError::MoreThanOneFile,
            PayloadErrorVariant::NoFile => PayloadError::NoFile,
            PayloadErrorVariant::Unreadable => PayloadError::Unreadable {
                source: io(io::ErrorKind::Other, "archive header checksum mismatch"),
            },
            PayloadErrorVariant::UnsafeName => PayloadError::UnsafeName {
                name: "../.bashrc".to_owned(),
                problem: "the name climbs out of its directory with `..`",
            },
            PayloadErrorVariant::DuplicateEntry => PayloadError::DuplicateEntry {
                name: "notes.txt".to_owned(),
            },
            PayloadErrorVariant::EntryNameNotUtf8 => PayloadError::EntryNameNotUtf8 {
                name: "caf\u{fffd}".to_owned(),
            },
            PayloadErrorVariant::SpecialEntry => PayloadError::SpecialEntry {
                name: "link".to_owned(),
                entry_type: "symbolic link",
            },
            PayloadErrorVariant::NotSingleFile => PayloadError::NotSingleFile { files: 3 },
        }
    }

    fn variant(&self) -> PayloadErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        PayloadError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        PayloadError::hint(self)
    }
}
