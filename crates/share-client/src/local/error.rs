//! The failures of `local/`: writing on the user's own machine (exit 7), a stop request
//! (exit 130), and standard output going away (not a failure).

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Catalogued, Error, Kind, REPORT_BUG, io_text};
use crate::payload::names::untrusted;

/// Something on the user's own machine that failed or is in the way.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(LocalErrorVariant),
    doc = "The variants of [`LocalError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum LocalError {
    /// Creating, writing or reading a local file or directory failed.
    #[error("cannot {action} {}: {}", .path.display(), io_text(.source))]
    Io {
        /// What was being done ("write", "create directory", …).
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// The output is there already, and `--force` was not given.
    #[error("{} already exists", .path.display())]
    AlreadyExists {
        /// The output.
        path: PathBuf,
    },
    /// The `-o` directory was swapped for another during the download.
    #[error("{} was replaced during the download", .path.display())]
    Replaced {
        /// The directory.
        path: PathBuf,
    },
    /// The output directory exists and is not a directory.
    #[error("{} exists and is not a directory", .path.display())]
    NotADirectory {
        /// The output directory.
        path: PathBuf,
    },
    /// A file stands where a received directory goes, even with `--force`.
    #[error("{} exists and is not a directory", .path.display())]
    FileInTheWay {
        /// The file.
        path: PathBuf,
    },
    /// A directory stands where a received file goes, even with `--force`.
    #[error("{} is a directory", .path.display())]
    DirectoryInTheWay {
        /// The directory.
        path: PathBuf,
    },
    /// Something appeared where the output directory was to be created.
    #[error("{} appeared during the download", .path.display())]
    Appeared {
        /// The output directory.
        path: PathBuf,
    },
    /// A received file larger than the free space where it goes.
    #[error(
        "{} has {available} bytes free, too few for {} ({needed} bytes)",
        .path.display(),
        untrusted(.name)
    )]
    NoSpace {
        /// The directory the file goes to.
        path: PathBuf,
        /// The file's name in the share (untrusted: escaped when shown).
        name: String,
        /// Its size.
        needed: u64,
        /// The free space there.
        available: u64,
    },
    /// The parts of a multi-part share that are still to come do not fit where parts are
    /// kept for resuming.
    #[error(
        "{} has {available} bytes free, too few for the share's parts ({needed} bytes)",
        .path.display()
    )]
    NoSpaceForParts {
        /// The resume directory.
        path: PathBuf,
        /// The bytes of the parts not yet kept.
        needed: u64,
        /// The free space there.
        available: u64,
    },
    /// Neither a state nor a home directory to keep receipts in.
    #[error("there is no place to keep receipts (no home directory)")]
    NoReceiptPlace,
    /// A receipts directory that belongs to someone else, or is not a directory.
    #[error("{} is not a private directory of yours", .path.display())]
    NotPrivate {
        /// The directory.
        path: PathBuf,
    },
    /// The relay named the share with an id that is not safe as a file name.
    #[error("the relay gave the share an unusable id")]
    UnusableShareId,
    /// A receipt could not be written as JSON.
    #[error("cannot write the receipt as JSON: {source}")]
    ReceiptEncoding {
        /// serde's error.
        source: serde_json::Error,
    },
    /// Work stopped because a stop was requested (a signal, or the deadline).
    #[error("stopped")]
    Stopped,
    /// The reader of standard output went away: not a failure.
    #[error("standard output was closed")]
    StdoutClosed,
    /// Writing to standard output failed.
    #[error("cannot write to standard output: {}", io_text(.source))]
    StdoutWrite {
        /// The system's error.
        source: io::Error,
    },
}

impl LocalError {
    /// A failure to `action` something at `path` (exit 7), with advice that fits the cause.
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> Error {
        LocalError::Io {
            action,
            path: path.to_owned(),
            source,
        }
        .into()
    }

    /// A write error on the output stream the caller gave (standard output): a broken
    /// pipe is [`LocalError::StdoutClosed`], anything else a failure.
    pub fn output(source: io::Error) -> Error {
        if source.kind() == io::ErrorKind::BrokenPipe {
            LocalError::StdoutClosed.into()
        } else {
            LocalError::StdoutWrite { source }.into()
        }
    }

    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            LocalError::Io { .. }
            | LocalError::AlreadyExists { .. }
            | LocalError::Replaced { .. }
            | LocalError::NotADirectory { .. }
            | LocalError::FileInTheWay { .. }
            | LocalError::DirectoryInTheWay { .. }
            | LocalError::Appeared { .. }
            | LocalError::NoSpace { .. }
            | LocalError::NoSpaceForParts { .. }
            | LocalError::NoReceiptPlace
            | LocalError::NotPrivate { .. }
            | LocalError::StdoutWrite { .. } => Kind::LocalIo,
            LocalError::UnusableShareId => Kind::Host,
            LocalError::ReceiptEncoding { .. } => Kind::Internal,
            LocalError::Stopped => Kind::Interrupted,
            LocalError::StdoutClosed => Kind::StdoutClosed,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            LocalError::Io { source, .. } => {
                let advice = match source.kind() {
                    io::ErrorKind::StorageFull
                    | io::ErrorKind::QuotaExceeded
                    | io::ErrorKind::FileTooLarge => "free some space or choose another place with -o",
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                        "choose a place you can write to with -o"
                    }
                    _ => "check the destination and try again",
                };
                format!("nothing was written; {advice}").into()
            }
            LocalError::AlreadyExists { .. } => {
                "nothing was written; use --force to replace it, or -o to write elsewhere".into()
            }
            LocalError::Replaced { .. } => {
                "nothing was written; check who else can write there, and try again".into()
            }
            LocalError::NotADirectory { .. } => {
                "nothing was written; choose another place with -o".into()
            }
            LocalError::FileInTheWay { .. } | LocalError::DirectoryInTheWay { .. } => {
                "nothing was written; remove it or choose another place with -o".into()
            }
            LocalError::Appeared { .. } => {
                "nothing was written; check who else can write there, or choose another place with -o".into()
            }
            LocalError::NoSpace { .. } => {
                "nothing was written; free some space, or choose another place with -o".into()
            }
            LocalError::NoSpaceForParts { .. } => {
                "nothing was written; free some space there, or point XDG_CACHE_HOME at a roomier place".into()
            }
            LocalError::NoReceiptPlace => {
                "set XDG_STATE_HOME or HOME, or send with --no-receipt".into()
            }
            LocalError::NotPrivate { .. } => {
                "remove it, or fix its owner and mode (0700), then try again".into()
            }
            LocalError::UnusableShareId => "check that the address is a share relay".into(),
            LocalError::ReceiptEncoding { .. } => REPORT_BUG.into(),
            LocalError::Stopped => "the command was asked to stop; run it again to finish".into(),
            LocalError::StdoutClosed => {
                "not an error: whatever read standard output stopped reading, so share stopped writing".into()
            }
            LocalError::StdoutWrite { .. } => "check where the output is redirected".into(),
        }
    }
}

impl Catalogued for LocalError {
    const NAME: &'static str = "LocalError";
    type Variant = LocalErrorVariant;

    fn sample(variant: LocalErrorVariant) -> Self {
        let path = |name: &str| PathBuf::from(format!("/home/me/{name}"));
        match variant {
            LocalErrorVariant::Io => LocalError::Io {
                action: "write",
                path: path("report.pdf"),
                source: io::Error::new(io::ErrorKind::StorageFull, "No space left on device"),
            },
            LocalErrorVariant::AlreadyExists => LocalError::AlreadyExists {
                path: path("report.pdf"),
            },
            LocalErrorVariant::Replaced => LocalError::Replaced {
                path: path("inbox"),
            },
            LocalErrorVariant::NotADirectory => LocalError::NotADirectory {
                path: path("inbox"),
            },
            LocalErrorVariant::FileInTheWay => LocalError::FileInTheWay {
                path: path("inbox/photos"),
            },
            LocalErrorVariant::DirectoryInTheWay => LocalError::DirectoryInTheWay {
                path: path("inbox/report.pdf"),
            },
            LocalErrorVariant::Appeared => LocalError::Appeared {
                path: path("inbox"),
            },
            LocalErrorVariant::NoSpace => LocalError::NoSpace {
                path: path("inbox"),
                name: "video.mp4".to_owned(),
                needed: 60_000_000,
                available: 10_485_760,
            },
            LocalErrorVariant::NoSpaceForParts => LocalError::NoSpaceForParts {
                path: path(".cache/share/resume/0123456789abcdef"),
                needed: 495_000_000,
                available: 104_857_600,
            },
            LocalErrorVariant::NoReceiptPlace => LocalError::NoReceiptPlace,
            LocalErrorVariant::NotPrivate => LocalError::NotPrivate {
                path: path(".local/state/share"),
            },
            LocalErrorVariant::UnusableShareId => LocalError::UnusableShareId,
            LocalErrorVariant::ReceiptEncoding => LocalError::ReceiptEncoding {
                source: serde_json::from_str::<u8>("x").expect_err("not JSON"),
            },
            LocalErrorVariant::Stopped => LocalError::Stopped,
            LocalErrorVariant::StdoutClosed => LocalError::StdoutClosed,
            LocalErrorVariant::StdoutWrite => LocalError::StdoutWrite {
                source: io::Error::new(io::ErrorKind::StorageFull, "No space left on device"),
            },
        }
    }

    fn variant(&self) -> LocalErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        LocalError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        LocalError::hint(self)
    }
}
