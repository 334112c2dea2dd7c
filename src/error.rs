//! The command line's own errors ([`CliError`]: flag combinations, deadlines, signals)
//! and how any error becomes what the user sees: the typed error in an `anyhow` chain,
//! a [`share_client::Error`] or a [`CliError`], decides the exit code ([`kind_of`]) and
//! the one line printed ([`one_line`], "what; hint"). An error without one is an
//! unexpected internal error (exit 1), printed as its whole chain.
//!
//! Like the library's, these errors hold no passphrase, identity or plaintext.

use std::borrow::Cow;
use std::path::PathBuf;

use share_client::crypto::passphrase::PASSPHRASE_ENV;
use share_client::error::{Catalogued, Entry, Kind, entries};

use crate::plan::{AUTH_TOKEN_ENV, MANAGE_TOKEN_ENV, USER_ID_ENV};

/// The signal that stopped a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C): exit 130.
    Interrupt,
    /// SIGTERM: exit 143.
    Terminate,
}

impl Signal {
    fn kind(self) -> Kind {
        match self {
            Signal::Interrupt => Kind::Interrupted,
            Signal::Terminate => Kind::Terminated,
        }
    }
}

/// A failure decided by the command line itself.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(CliErrorVariant),
    doc = "The variants of [`CliError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum CliError {
    /// `SHARE_PASSPHRASE` is set but is not UTF-8.
    #[error("{PASSPHRASE_ENV} is not valid UTF-8")]
    PassphraseEnvNotUtf8,
    /// Only one of the two tfLink account variables is set.
    #[error("{USER_ID_ENV} and {AUTH_TOKEN_ENV} must be set together")]
    AccountIncomplete,
    /// A relay-only flag without `--relay`.
    #[error("{flag} needs a relay")]
    RelayFlagWithoutRelay {
        /// The flag.
        flag: &'static str,
    },
    /// An `--allow-ip` value that is not an address or a range.
    #[error("--allow-ip {text} is not an address or a CIDR range")]
    NotACidr {
        /// The value given.
        text: String,
    },
    /// `--part-size` above what the host accepts in one upload.
    #[error("--part-size {part_size} is over the host's limit of {largest} bytes")]
    PartSizeOverLimit {
        /// The value given.
        part_size: u64,
        /// The host's largest upload.
        largest: u64,
    },
    /// `-` given with other paths.
    #[error("`-` (standard input) must be the only PATH")]
    StdinNotAlone,
    /// `--passphrase-file -` and the path `-` on one send.
    #[error("--passphrase-file - and the path - both want standard input")]
    StdinWantedTwice,
    /// `--passphrase-file -` on send while standard input is a terminal.
    #[error(
        "--passphrase-file - reads standard input, which is a terminal: the passphrase would echo"
    )]
    PassphraseStdinIsTerminal,
    /// `share doctor` found one problem (its detail, and its own advice).
    #[error("doctor found a problem: {detail}")]
    DoctorProblem {
        /// A configuration problem (exit 2) or a host problem (exit 6).
        kind: Kind,
        /// What the check found.
        detail: String,
        /// What the check advises.
        hint: String,
    },
    /// `share doctor` found several problems, listed in its report.
    #[error("doctor found {count} problems")]
    DoctorProblems {
        /// A configuration problem among them (exit 2), else a host problem (exit 6).
        kind: Kind,
        /// How many.
        count: usize,
    },
    /// `--name` without `-`.
    #[error("--name only applies to `-` (standard input)")]
    NameWithoutStdin,
    /// The `--passphrase-out` file exists already.
    #[error("{} already exists", .path.display())]
    PassphraseOutExists {
        /// The file.
        path: PathBuf,
    },
    /// The send ran past `--timeout`.
    #[error("the upload did not finish within {seconds} seconds")]
    UploadTimedOut {
        /// The deadline.
        seconds: u64,
    },
    /// Neither a passphrase source nor a terminal, and no identity.
    #[error(
        "no passphrase: there is no terminal to ask on, and neither --passphrase-file nor {PASSPHRASE_ENV} is set"
    )]
    NoPassphraseSource,
    /// `--json` and `-o -` together.
    #[error("--json and -o - both want standard output")]
    JsonWithStdout,
    /// An index larger than any real one.
    #[error("the link returned a document too large to be a share index")]
    IndexTooLarge,
    /// The receive ran past `--timeout` before writing anything.
    #[error("the download did not finish within {seconds} seconds")]
    DownloadTimedOut {
        /// The deadline.
        seconds: u64,
    },
    /// The receive ran past `--timeout`, keeping verified parts for a rerun.
    #[error("the download did not finish within {seconds} seconds")]
    DownloadTimedOutResumable {
        /// The deadline.
        seconds: u64,
    },
    /// The receive ran past `--timeout` while streaming to standard output.
    #[error("the download did not finish within {seconds} seconds")]
    DownloadTimedOutPartialStdout {
        /// The deadline.
        seconds: u64,
    },
    /// The receive ran past `--timeout` just after every file was in place.
    #[error("the download did not finish within {seconds} seconds")]
    DownloadTimedOutCommitted {
        /// The deadline.
        seconds: u64,
    },
    /// A relay download failed after its claim: the ticket is kept for a rerun.
    #[error("{source}")]
    TicketKept {
        /// What failed.
        source: share_client::Error,
        /// When the ticket expires (RFC 3339).
        retry_before: String,
    },
    /// The upload failed on the last (or only) host given: the host's error, with advice
    /// that names where its address came from.
    #[error("{source}")]
    HostFailed {
        /// What failed.
        source: share_client::Error,
        /// `--server`, `SHARE_SERVER`, `--relay` or `SHARE_RELAY`.
        from: &'static str,
    },
    /// The ticket kept by an earlier run holds an address that is not a URL.
    #[error("the download ticket kept in {} holds no valid address: {source}", .path.display())]
    TicketUnusable {
        /// The resume directory holding it.
        path: PathBuf,
        /// The parser's error.
        source: url::ParseError,
    },
    /// `--json` was asked for, but the digest was not computed.
    #[error("the payload digest was not computed")]
    DigestMissing,
    /// A result could not be written as JSON.
    #[error("cannot write the result as JSON: {source}")]
    Json {
        /// serde's error.
        source: serde_json::Error,
    },
    /// A tfLink link given to `revoke` or `status`.
    #[error("this is not a relay link; tfLink links cannot be revoked or inspected")]
    NotARelayLink,
    /// No receipt for the share, and no manage token given.
    #[error("there is no receipt for this share here")]
    NoReceipt,
    /// A share id without `--relay`.
    #[error("an id alone does not say which relay")]
    IdWithoutRelay,
    /// The async runtime could not start.
    #[error("cannot start: {source}")]
    Runtime {
        /// The system's error.
        source: std::io::Error,
    },
    /// Stopped by a signal before anything was shared or written.
    #[error("interrupted")]
    Stopped {
        /// The signal.
        signal: Signal,
    },
    /// Stopped by a signal, keeping verified parts for a rerun.
    #[error("interrupted; nothing was written")]
    StoppedResumable {
        /// The signal.
        signal: Signal,
    },
    /// Stopped by a signal while streaming to standard output.
    #[error("interrupted; what reached standard output is incomplete")]
    StoppedPartialStdout {
        /// The signal.
        signal: Signal,
    },
    /// Stopped by a signal after every file was in place.
    #[error("interrupted after every file had been written into place")]
    StoppedCommitted {
        /// The signal.
        signal: Signal,
    },
}

impl CliError {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            CliError::PassphraseEnvNotUtf8
            | CliError::AccountIncomplete
            | CliError::RelayFlagWithoutRelay { .. }
            | CliError::NotACidr { .. }
            | CliError::PartSizeOverLimit { .. }
            | CliError::StdinNotAlone
            | CliError::NameWithoutStdin
            | CliError::StdinWantedTwice
            | CliError::PassphraseStdinIsTerminal
            | CliError::NoPassphraseSource
            | CliError::JsonWithStdout
            | CliError::NotARelayLink
            | CliError::NoReceipt
            | CliError::IdWithoutRelay => Kind::Usage,
            CliError::PassphraseOutExists { .. } => Kind::LocalIo,
            CliError::UploadTimedOut { .. }
            | CliError::DownloadTimedOut { .. }
            | CliError::DownloadTimedOutResumable { .. }
            | CliError::DownloadTimedOutPartialStdout { .. }
            | CliError::DownloadTimedOutCommitted { .. } => Kind::Host,
            CliError::IndexTooLarge => Kind::BadPayload,
            CliError::DoctorProblem { kind, .. } | CliError::DoctorProblems { kind, .. } => *kind,
            CliError::TicketKept { source, .. } | CliError::HostFailed { source, .. } => {
                source.kind()
            }
            CliError::TicketUnusable { .. }
            | CliError::DigestMissing
            | CliError::Json { .. }
            | CliError::Runtime { .. } => Kind::Internal,
            CliError::Stopped { signal }
            | CliError::StoppedResumable { signal }
            | CliError::StoppedPartialStdout { signal }
            | CliError::StoppedCommitted { signal } => signal.kind(),
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            CliError::PassphraseEnvNotUtf8 => {
                "set it to the passphrase as text, or use --passphrase-file".into()
            }
            CliError::AccountIncomplete => {
                "set both for an account upload, or neither for an anonymous one".into()
            }
            CliError::RelayFlagWithoutRelay { .. } => {
                "tfLink links last 7 days for anyone who has them; give --relay URL (or set SHARE_RELAY) to limit and revoke links".into()
            }
            CliError::NotACidr { .. } => {
                "give an address like 203.0.113.7 or a range like 10.0.0.0/8 or 2001:db8::/32".into()
            }
            CliError::PartSizeOverLimit { .. } => {
                "leave --part-size out, or give a smaller one".into()
            }
            CliError::StdinNotAlone => {
                "send standard input on its own, or save it to a file first".into()
            }
            CliError::NameWithoutStdin => "files and directories keep their own names".into(),
            CliError::StdinWantedTwice => {
                "give the passphrase in a file, or the payload as a file".into()
            }
            CliError::PassphraseStdinIsTerminal => {
                "pipe it in (printf %s \"$PASS\" | share send --passphrase-file - …), or leave the flag out to get a generated one".into()
            }
            CliError::DoctorProblem { hint, .. } => hint.clone().into(),
            CliError::DoctorProblems { .. } => "see the report above".into(),
            CliError::PassphraseOutExists { .. } => {
                "nothing was sent; choose a new file for --passphrase-out".into()
            }
            CliError::UploadTimedOut { .. } => {
                "nothing was shared; try again, or allow more time with --timeout".into()
            }
            CliError::NoPassphraseSource => format!(
                "pass --passphrase-file FILE or set {PASSPHRASE_ENV} (or -i for a share sent to your key)"
            )
            .into(),
            CliError::JsonWithStdout => "drop one of them".into(),
            CliError::IndexTooLarge => "check the link".into(),
            CliError::DownloadTimedOut { .. } => {
                "nothing was written; try again, or allow more time with --timeout".into()
            }
            CliError::DownloadTimedOutResumable { .. } => {
                "nothing was written; run the same command again to resume, or allow more time with --timeout".into()
            }
            CliError::DownloadTimedOutPartialStdout { .. } => {
                "what reached standard output is incomplete; allow more time with --timeout".into()
            }
            CliError::DownloadTimedOutCommitted { .. } => {
                "but every file had already been written into place, complete and authenticated"
                    .into()
            }
            CliError::TicketKept { retry_before, .. } => format!(
                "the link is not used up: run the same command again before {retry_before} to retry with this download"
            )
            .into(),
            CliError::HostFailed { source, from } => host_failed_hint(source, from),
            CliError::TicketUnusable { .. } => {
                "remove that directory and run the command again (it uses one more download)"
                    .into()
            }
            CliError::DigestMissing | CliError::Json { .. } => {
                "this is a bug in share; please report it".into()
            }
            CliError::NotARelayLink => {
                "only shares sent with --relay can be managed; a tfLink link expires after 7 days"
                    .into()
            }
            CliError::NoReceipt => format!(
                "run it where the share was sent, or give its manage token in {MANAGE_TOKEN_ENV} or --manage-token-file"
            )
            .into(),
            CliError::IdWithoutRelay => {
                "give --relay URL (or set SHARE_RELAY), or give the link instead".into()
            }
            CliError::Runtime { .. } => {
                "check the system's limits on threads and open files, and try again".into()
            }
            CliError::Stopped { .. } => "nothing was shared or written".into(),
            CliError::StoppedResumable { .. } => {
                "the parts fetched so far are kept: run the same command again to resume".into()
            }
            CliError::StoppedPartialStdout { .. } => "discard it and run the command again".into(),
            CliError::StoppedCommitted { .. } => {
                "the files are complete and authenticated; nothing else was left behind".into()
            }
        }
    }
}

impl Catalogued for CliError {
    const NAME: &'static str = "CliError";
    type Variant = CliErrorVariant;

    fn sample(variant: CliErrorVariant) -> Self {
        let seconds = 3600;
        match variant {
            CliErrorVariant::PassphraseEnvNotUtf8 => CliError::PassphraseEnvNotUtf8,
            CliErrorVariant::AccountIncomplete => CliError::AccountIncomplete,
            CliErrorVariant::RelayFlagWithoutRelay => CliError::RelayFlagWithoutRelay {
                flag: "--downloads",
            },
            CliErrorVariant::NotACidr => CliError::NotACidr {
                text: "10.0.0.0/33".to_owned(),
            },
            CliErrorVariant::PartSizeOverLimit => CliError::PartSizeOverLimit {
                part_size: 200_000_000,
                largest: 100_000_000,
            },
            CliErrorVariant::StdinNotAlone => CliError::StdinNotAlone,
            CliErrorVariant::NameWithoutStdin => CliError::NameWithoutStdin,
            CliErrorVariant::StdinWantedTwice => CliError::StdinWantedTwice,
            CliErrorVariant::PassphraseStdinIsTerminal => CliError::PassphraseStdinIsTerminal,
            CliErrorVariant::DoctorProblem => CliError::DoctorProblem {
                kind: Kind::Usage,
                detail: "the relay refused the key from --relay-key-file".to_owned(),
                hint: "check the key, or ask the relay's operator for a new one".to_owned(),
            },
            CliErrorVariant::DoctorProblems => CliError::DoctorProblems {
                kind: Kind::Host,
                count: 2,
            },
            CliErrorVariant::PassphraseOutExists => CliError::PassphraseOutExists {
                path: PathBuf::from("/home/me/pass.txt"),
            },
            CliErrorVariant::UploadTimedOut => CliError::UploadTimedOut { seconds },
            CliErrorVariant::NoPassphraseSource => CliError::NoPassphraseSource,
            CliErrorVariant::JsonWithStdout => CliError::JsonWithStdout,
            CliErrorVariant::IndexTooLarge => CliError::IndexTooLarge,
            CliErrorVariant::DownloadTimedOut => CliError::DownloadTimedOut { seconds },
            CliErrorVariant::DownloadTimedOutResumable => {
                CliError::DownloadTimedOutResumable { seconds }
            }
            CliErrorVariant::DownloadTimedOutPartialStdout => {
                CliError::DownloadTimedOutPartialStdout { seconds }
            }
            CliErrorVariant::DownloadTimedOutCommitted => {
                CliError::DownloadTimedOutCommitted { seconds }
            }
            CliErrorVariant::TicketKept => CliError::TicketKept {
                source: share_client::transport::TransportError::EndedEarly.into(),
                retry_before: "2026-11-22T14:05:00Z".to_owned(),
            },
            CliErrorVariant::HostFailed => CliError::HostFailed {
                source: share_client::transport::TransportError::Refused {
                    action: "upload",
                    status: share_client::transport::StatusCode::NOT_FOUND,
                }
                .into(),
                from: "SHARE_SERVER",
            },
            CliErrorVariant::TicketUnusable => CliError::TicketUnusable {
                path: PathBuf::from("/home/me/.cache/share/resume/0123456789abcdef"),
                source: url::ParseError::RelativeUrlWithoutBase,
            },
            CliErrorVariant::DigestMissing => CliError::DigestMissing,
            CliErrorVariant::Json => CliError::Json {
                source: serde_json::from_str::<u8>("x").expect_err("not JSON"),
            },
            CliErrorVariant::NotARelayLink => CliError::NotARelayLink,
            CliErrorVariant::NoReceipt => CliError::NoReceipt,
            CliErrorVariant::IdWithoutRelay => CliError::IdWithoutRelay,
            CliErrorVariant::Runtime => CliError::Runtime {
                source: std::io::Error::other("Resource temporarily unavailable"),
            },
            CliErrorVariant::Stopped => CliError::Stopped {
                signal: Signal::Interrupt,
            },
            CliErrorVariant::StoppedResumable => CliError::StoppedResumable {
                signal: Signal::Interrupt,
            },
            CliErrorVariant::StoppedPartialStdout => CliError::StoppedPartialStdout {
                signal: Signal::Terminate,
            },
            CliErrorVariant::StoppedCommitted => CliError::StoppedCommitted {
                signal: Signal::Interrupt,
            },
        }
    }

    fn variant(&self) -> CliErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        CliError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        CliError::hint(self)
    }
}

/// The advice for an upload that failed on a host, naming where the host's address came
/// from when the address is the likely culprit: nothing answers there, it does not speak
/// TLS, it is not the API it should be.
fn host_failed_hint(source: &share_client::Error, from: &str) -> Cow<'static, str> {
    use share_client::Error;
    use share_client::transport::{RelayError, TransportError};
    let api = if from.contains("RELAY") || from.contains("relay") {
        "a share relay's base address"
    } else {
        "a tfLink-compatible API base"
    };
    match source {
        Error::Transport(TransportError::Request { .. } | TransportError::TimedOut { .. }) => {
            format!("check the address in {from} and your network connection").into()
        }
        Error::Transport(TransportError::NotTls { .. }) => {
            format!("use http:// in {from} for a server without TLS, or check the port").into()
        }
        Error::Transport(TransportError::Refused { status, .. })
            if status.is_client_error() && status.as_u16() != 429 =>
        {
            format!("check {from}: it must be {api}; nothing was shared").into()
        }
        Error::Transport(
            TransportError::ReplyNotJson
            | TransportError::ReplyLinkNotUrl
            | TransportError::ReplyLinkNotWeb
            | TransportError::ReplyTooLarge,
        )
        | Error::Relay(RelayError::NotARelay | RelayError::UnexpectedAnswer { .. }) => {
            format!("check {from}: it must be {api}; nothing was shared").into()
        }
        Error::Transport(TransportError::UploadRedirected { .. })
        | Error::Relay(RelayError::Redirected { .. }) => {
            format!("give {from} the final address; uploads never follow redirects").into()
        }
        other => other.hint(),
    }
}

/// Every error the command line can print: the library's, then its own.
pub fn catalogue() -> Vec<Entry> {
    let mut all = share_client::error::catalogue();
    all.extend(entries::<CliError>());
    all
}

/// A typed error, found in a chain.
enum Typed<'a> {
    Client(&'a share_client::Error),
    Cli(&'a CliError),
}

impl Typed<'_> {
    fn kind(&self) -> Kind {
        match self {
            Typed::Client(err) => err.kind(),
            Typed::Cli(err) => err.kind(),
        }
    }

    fn what(&self) -> String {
        match self {
            Typed::Client(err) => err.to_string(),
            Typed::Cli(err) => err.to_string(),
        }
    }

    fn hint(&self) -> Cow<'static, str> {
        match self {
            Typed::Client(err) => err.hint(),
            Typed::Cli(err) => err.hint(),
        }
    }
}

/// The outermost typed error of a chain: it already says what happened and what to do.
fn typed(err: &anyhow::Error) -> Option<Typed<'_>> {
    err.chain().find_map(|cause| {
        if let Some(client) = cause.downcast_ref::<share_client::Error>() {
            Some(Typed::Client(client))
        } else {
            cause.downcast_ref::<CliError>().map(Typed::Cli)
        }
    })
}

/// The kind of an error chain, if any link of it is a typed error.
pub fn kind_of(err: &anyhow::Error) -> Option<Kind> {
    typed(err).map(|typed| typed.kind())
}

/// The one line printed for an error: "what; hint" of its typed error, or, for anything
/// else, the whole chain joined by ": ", with its whitespace collapsed either way.
pub fn one_line(err: &anyhow::Error) -> String {
    let text = match typed(err) {
        Some(typed) => format!("{}; {}", typed.what(), typed.hint()),
        None => err
            .chain()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": "),
    };
    // One line, whatever a library put in its message.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_error_deep_in_a_chain_sets_the_kind_and_the_line() {
        let err = anyhow::Error::from(share_client::Error::from(
            share_client::transport::TransportError::EndedEarly,
        ))
        .context("while downloading");
        assert_eq!(kind_of(&err), Some(Kind::Host));
        assert_eq!(one_line(&err), "the download ended early; try again");
    }

    #[test]
    fn plain_errors_are_joined_on_one_line() {
        let err = anyhow::anyhow!("inner\nsecond line").context("outer");
        assert_eq!(kind_of(&err), None);
        assert_eq!(one_line(&err), "outer: inner second line");
    }

    #[test]
    fn a_kept_ticket_keeps_the_kind_of_what_failed() {
        let err = CliError::sample(CliErrorVariant::TicketKept);
        assert_eq!(err.kind(), Kind::Host);
        assert_eq!(err.to_string(), "the download ended early");
    }
}
