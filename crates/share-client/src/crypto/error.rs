//! The failures of `crypto/`: [`KeyError`] for the keys a user gives (recipients,
//! identity files, passphrases; mostly exit 2), [`CryptoError`] for encrypting and for
//! opening and decrypting an untrusted age file (exit 3 and 4).
//!
//! No variant holds a passphrase, an identity or plaintext: a recipient given by mistake
//! as a private key is never repeated, and the passphrase's source is named, not its text.

use std::borrow::Cow;
use std::io;
use std::path::PathBuf;

use crate::crypto::age_header::MAX_HEADER_BYTES;
use crate::crypto::passphrase::{PASSPHRASE_ENV, Source, describe};
use crate::error::{Catalogued, Kind, REPORT_BUG, io_text};
use crate::payload::names::untrusted;

const RECIPIENT_FORMS: &str =
    "give an age1… key, or an ssh-ed25519 or ssh-rsa public key (the .pub file's line)";
const PRIVATE_KEY: &str = "this is a private key; pass the public key (age1…, or the .pub file)";
const IDENTITY_FORMS: &str =
    "give an age identity file (from age-keygen) or an unencrypted SSH private key";

/// A recipient, identity file or passphrase that cannot be used.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(KeyErrorVariant),
    doc = "The variants of [`KeyError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum KeyError {
    /// `-r` was given something that is not a public key.
    #[error("the value given to -r is not an age or SSH public key")]
    NotAPublicKey,
    /// `-r` was given a private key (never repeated in the message).
    #[error("-r was given a private key, which must never leave your machine")]
    PrivateKeyAsRecipient,
    /// A file given to `-R` holds a private key.
    #[error("-R {} was given a private key, which must never leave your machine", .path.display())]
    PrivateKeyInRecipientsFile {
        /// The recipients file.
        path: PathBuf,
    },
    /// A line of a recipients file is not a public key.
    #[error("line {line} of {} is not an age or SSH public key", .path.display())]
    NotARecipientLine {
        /// The recipients file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
    },
    /// A recipients file without a single recipient.
    #[error("{} lists no recipients", .path.display())]
    NoRecipients {
        /// The recipients file.
        path: PathBuf,
    },
    /// A recipients file could not be read.
    #[error("cannot read recipients file {}: {}", .path.display(), io_text(.source))]
    RecipientsFileUnreadable {
        /// The recipients file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// age refused the set of recipients.
    #[error("cannot encrypt to these recipients: {source}")]
    RecipientsRefused {
        /// age's reason (boxed: it can hold two sets of labels).
        source: Box<age::EncryptError>,
    },
    /// So many recipients that the header would exceed what receivers accept.
    #[error(
        "{recipients} recipients make an age header larger than {} KiB, which receivers refuse",
        MAX_HEADER_BYTES / 1024
    )]
    TooManyRecipients {
        /// How many were given.
        recipients: usize,
    },
    /// An identity file could not be read.
    #[error("cannot read identity file {}: {}", .path.display(), io_text(.source))]
    IdentityFileUnreadable {
        /// The identity file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// An identity file that mentions age keys but does not parse.
    #[error("{} is not a valid age identity file", .path.display())]
    InvalidIdentityFile {
        /// The identity file.
        path: PathBuf,
    },
    /// An identity file with an identity of a kind share cannot use (a plugin's).
    #[error("{} holds an identity this tool cannot use", .path.display())]
    UnusableIdentity {
        /// The identity file.
        path: PathBuf,
    },
    /// An age identity file without an identity.
    #[error("{} holds no identity", .path.display())]
    NoIdentity {
        /// The identity file.
        path: PathBuf,
    },
    /// An SSH key protected by a passphrase.
    #[error("{} is a passphrase-protected SSH key, which share does not unlock", .path.display())]
    EncryptedSshKey {
        /// The identity file.
        path: PathBuf,
    },
    /// A file that is neither an age identity file nor a supported SSH key.
    #[error("{} is not an age identity file or a supported SSH private key", .path.display())]
    NotAnIdentityFile {
        /// The identity file.
        path: PathBuf,
    },
    /// `--passphrase-file` could not be read.
    #[error("cannot read passphrase file {}: {source}", .path.display())]
    PassphraseFileUnreadable {
        /// The passphrase file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `--passphrase-file` is not UTF-8 text.
    #[error("passphrase file {} is not UTF-8 text", .path.display())]
    PassphraseFileNotUtf8 {
        /// The passphrase file.
        path: PathBuf,
    },
    /// `--passphrase-file -` could not read standard input (or it is not UTF-8 text).
    #[error("cannot read the passphrase from standard input: {}", io_text(.source))]
    PassphraseStdinUnreadable {
        /// Why.
        source: io::Error,
    },
    /// The passphrase was to come from `SHARE_PASSPHRASE`, which is not set.
    #[error("{PASSPHRASE_ENV} is not set")]
    PassphraseEnvUnset,
    /// The terminal prompt failed.
    #[error("cannot read the passphrase: {source}")]
    PromptFailed {
        /// Why.
        source: io::Error,
    },
    /// The passphrase read is empty.
    #[error("the passphrase from {} is empty", describe(.from))]
    EmptyPassphrase {
        /// Where it came from.
        from: Source,
    },
    /// The user's own passphrase is too easy to guess for a public link.
    #[error("your passphrase is too weak to protect a file behind a public link")]
    WeakPassphrase,
}

impl KeyError {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            KeyError::NotAPublicKey
            | KeyError::PrivateKeyAsRecipient
            | KeyError::PrivateKeyInRecipientsFile { .. }
            | KeyError::NotARecipientLine { .. }
            | KeyError::NoRecipients { .. }
            | KeyError::RecipientsFileUnreadable { .. }
            | KeyError::RecipientsRefused { .. }
            | KeyError::TooManyRecipients { .. }
            | KeyError::IdentityFileUnreadable { .. }
            | KeyError::InvalidIdentityFile { .. }
            | KeyError::UnusableIdentity { .. }
            | KeyError::NoIdentity { .. }
            | KeyError::EncryptedSshKey { .. }
            | KeyError::NotAnIdentityFile { .. }
            | KeyError::PassphraseFileUnreadable { .. }
            | KeyError::PassphraseFileNotUtf8 { .. }
            | KeyError::PassphraseStdinUnreadable { .. }
            | KeyError::PassphraseEnvUnset
            | KeyError::PromptFailed { .. }
            | KeyError::EmptyPassphrase { .. }
            | KeyError::WeakPassphrase => Kind::Usage,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            KeyError::NotAPublicKey => RECIPIENT_FORMS.into(),
            KeyError::PrivateKeyAsRecipient | KeyError::PrivateKeyInRecipientsFile { .. } => {
                PRIVATE_KEY.into()
            }
            KeyError::NotARecipientLine { .. } => {
                "one age1…, ssh-ed25519 or ssh-rsa key per line; # starts a comment".into()
            }
            KeyError::NoRecipients { .. } => {
                "add one age1…, ssh-ed25519 or ssh-rsa key per line".into()
            }
            KeyError::RecipientsFileUnreadable { .. } | KeyError::IdentityFileUnreadable { .. } => {
                "check the path".into()
            }
            KeyError::RecipientsRefused { .. } => {
                "check the keys given with -r and -R; each must be an age1…, ssh-ed25519 or ssh-rsa public key".into()
            }
            KeyError::TooManyRecipients { .. } => {
                "encrypt to fewer keys, or share a passphrase with the group instead".into()
            }
            KeyError::InvalidIdentityFile { .. }
            | KeyError::UnusableIdentity { .. }
            | KeyError::NoIdentity { .. }
            | KeyError::EncryptedSshKey { .. }
            | KeyError::NotAnIdentityFile { .. } => IDENTITY_FORMS.into(),
            KeyError::PassphraseFileUnreadable { .. } => {
                "check the path given to --passphrase-file".into()
            }
            KeyError::PassphraseFileNotUtf8 { .. } => {
                "save the passphrase as UTF-8 text on the file's first line".into()
            }
            KeyError::PassphraseStdinUnreadable { .. } => {
                "pipe the passphrase as UTF-8 text on the first line of standard input".into()
            }
            KeyError::PassphraseEnvUnset => {
                format!("set {PASSPHRASE_ENV}, or give --passphrase-file").into()
            }
            KeyError::PromptFailed { .. } => format!(
                "run share on a terminal, or give the passphrase with --passphrase-file or {PASSPHRASE_ENV}"
            )
            .into(),
            KeyError::EmptyPassphrase { .. } => {
                "give a passphrase that is not empty (a file's first line counts)".into()
            }
            KeyError::WeakPassphrase => format!(
                "use a longer one (for example six or more random words), or leave out \
                 --passphrase-file and {PASSPHRASE_ENV} to get a generated one"
            )
            .into(),
        }
    }
}

impl Catalogued for KeyError {
    const NAME: &'static str = "KeyError";
    type Variant = KeyErrorVariant;

    fn sample(variant: KeyErrorVariant) -> Self {
        let path = |name: &str| PathBuf::from(format!("/home/me/{name}"));
        let missing = || io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        match variant {
            KeyErrorVariant::NotAPublicKey => KeyError::NotAPublicKey,
            KeyErrorVariant::PrivateKeyAsRecipient => KeyError::PrivateKeyAsRecipient,
            KeyErrorVariant::PrivateKeyInRecipientsFile => KeyError::PrivateKeyInRecipientsFile {
                path: path("team.txt"),
            },
            KeyErrorVariant::NotARecipientLine => KeyError::NotARecipientLine {
                path: path("team.txt"),
                line: 3,
            },
            KeyErrorVariant::NoRecipients => KeyError::NoRecipients {
                path: path("team.txt"),
            },
            KeyErrorVariant::RecipientsFileUnreadable => KeyError::RecipientsFileUnreadable {
                path: path("team.txt"),
                source: missing(),
            },
            KeyErrorVariant::RecipientsRefused => KeyError::RecipientsRefused {
                source: Box::new(age::EncryptError::MissingRecipients),
            },
            KeyErrorVariant::TooManyRecipients => KeyError::TooManyRecipients { recipients: 600 },
            KeyErrorVariant::IdentityFileUnreadable => KeyError::IdentityFileUnreadable {
                path: path("key.txt"),
                source: missing(),
            },
            KeyErrorVariant::InvalidIdentityFile => KeyError::InvalidIdentityFile {
                path: path("key.txt"),
            },
            KeyErrorVariant::UnusableIdentity => KeyError::UnusableIdentity {
                path: path("key.txt"),
            },
            KeyErrorVariant::NoIdentity => KeyError::NoIdentity {
                path: path("key.txt"),
            },
            KeyErrorVariant::EncryptedSshKey => KeyError::EncryptedSshKey {
                path: path(".ssh/id_ed25519"),
            },
            KeyErrorVariant::NotAnIdentityFile => KeyError::NotAnIdentityFile {
                path: path("notes.txt"),
            },
            KeyErrorVariant::PassphraseFileUnreadable => KeyError::PassphraseFileUnreadable {
                path: path("pass.txt"),
                source: missing(),
            },
            KeyErrorVariant::PassphraseFileNotUtf8 => KeyError::PassphraseFileNotUtf8 {
                path: path("pass.txt"),
            },
            KeyErrorVariant::PassphraseStdinUnreadable => KeyError::PassphraseStdinUnreadable {
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                ),
            },
            KeyErrorVariant::PassphraseEnvUnset => KeyError::PassphraseEnvUnset,
            KeyErrorVariant::PromptFailed => KeyError::PromptFailed {
                source: io::Error::new(io::ErrorKind::UnexpectedEof, "end of input"),
            },
            KeyErrorVariant::EmptyPassphrase => KeyError::EmptyPassphrase { from: Source::Env },
            KeyErrorVariant::WeakPassphrase => KeyError::WeakPassphrase,
        }
    }

    fn variant(&self) -> KeyErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        KeyError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        KeyError::hint(self)
    }
}

/// Encryption that cannot be set up, or an untrusted age file that cannot be opened or
/// decrypted.
#[derive(Debug, thiserror::Error, strum::EnumDiscriminants)]
#[strum_discriminants(
    name(CryptoErrorVariant),
    doc = "The variants of [`CryptoError`], without their data (for the catalogue).",
    derive(strum::EnumIter, strum::IntoStaticStr)
)]
pub enum CryptoError {
    /// age refused to build an encryptor it was expected to build.
    #[error("cannot set up encryption: {source}")]
    EncryptionSetup {
        /// age's reason (boxed: it can hold two sets of labels).
        source: Box<age::EncryptError>,
    },
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {source}")]
    RandomFailed {
        /// Its error.
        source: getrandom::Error,
    },
    /// The link returned something that does not start like an age file.
    #[error("the link did not return an age file")]
    NotAge {
        /// Whether it looks like a web page (HTML).
        web_page: bool,
    },
    /// An age file of a version other than v1.
    #[error("the file uses an age format version this tool does not know")]
    UnknownVersion,
    /// A header longer than [`MAX_HEADER_BYTES`].
    #[error(
        "the age header is larger than {} KiB, far more than any real one",
        MAX_HEADER_BYTES / 1024
    )]
    HeaderTooLarge,
    /// A header whose framing breaks the specification's grammar.
    #[error("the age header is malformed: {problem}")]
    MalformedHeader {
        /// Where the framing breaks.
        problem: &'static str,
    },
    /// A header the age crate refused to parse.
    #[error("the age header is malformed: the file was tampered with or corrupted")]
    InvalidHeader,
    /// A header whose MAC does not match.
    #[error("the age header failed its integrity check: the file was tampered with or corrupted")]
    HeaderMac,
    /// An ASCII-armored file with an endless line.
    #[error("the ASCII armor has a line longer than any real one")]
    ArmorLineTooLong,
    /// An ASCII-armored file whose armor is broken.
    #[error("the ASCII armor is malformed: {source}")]
    ArmorMalformed {
        /// age's description.
        source: age::armor::ArmoredReadError,
    },
    /// A passphrase file asking for more scrypt work than the cap allows.
    #[error("the file asks for scrypt work factor {required}, above the cap of {cap}")]
    WorkFactorTooHigh {
        /// The work factor the file asks for.
        required: u8,
        /// The cap (`--max-work-factor`).
        cap: u8,
    },
    /// The passphrase does not open the file.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// A generated passphrase that fails, with a word not in the list: which one, and the
    /// nearest list words (`crypto::forgiving::word_advice`).
    #[error("wrong passphrase: {advice}")]
    WrongPassphraseWord {
        /// "word 4, `orbti`, is not a passphrase word; did you mean `orbit`?"
        advice: String,
    },
    /// None of the identities opens the file.
    #[error("none of the given identities can open this file")]
    NoMatchingIdentity,
    /// Identities were given for a file encrypted to a passphrase.
    #[error("this file is protected by a passphrase, not by a public key")]
    NeedsPassphrase,
    /// A passphrase was given for a file encrypted to public keys.
    #[error("this file is encrypted to public keys, not to a passphrase")]
    NeedsIdentity,
    /// Another refusal of the age crate (its text is the file's doing: untrusted).
    #[error("the file is not a valid age file: {}", untrusted(&.source.to_string()))]
    InvalidAgeFile {
        /// age's reason.
        source: age::DecryptError,
    },
    /// The ciphertext ended before its final chunk.
    #[error("the download ended early: the file is truncated")]
    Truncated {
        /// The reader's error.
        source: io::Error,
    },
    /// A chunk of ciphertext failed authentication.
    #[error("the file failed authentication: it was tampered with, corrupted or cut short")]
    Unauthenticated {
        /// age's error.
        source: io::Error,
    },
}

const SHARE_AGAIN: &str = "ask the sender to share it again";
const NOTHING_SHARE_AGAIN: &str = "nothing was written; ask the sender to share it again";

impl CryptoError {
    /// Which documented exit code the error leads to.
    pub fn kind(&self) -> Kind {
        match self {
            CryptoError::EncryptionSetup { .. } | CryptoError::RandomFailed { .. } => {
                Kind::Internal
            }
            CryptoError::WrongPassphrase
            | CryptoError::WrongPassphraseWord { .. }
            | CryptoError::NoMatchingIdentity
            | CryptoError::NeedsPassphrase
            | CryptoError::NeedsIdentity => Kind::WrongKey,
            CryptoError::NotAge { .. }
            | CryptoError::UnknownVersion
            | CryptoError::HeaderTooLarge
            | CryptoError::MalformedHeader { .. }
            | CryptoError::InvalidHeader
            | CryptoError::HeaderMac
            | CryptoError::ArmorLineTooLong
            | CryptoError::ArmorMalformed { .. }
            | CryptoError::WorkFactorTooHigh { .. }
            | CryptoError::InvalidAgeFile { .. }
            | CryptoError::Truncated { .. }
            | CryptoError::Unauthenticated { .. } => Kind::BadPayload,
        }
    }

    /// What to do next.
    pub fn hint(&self) -> Cow<'static, str> {
        match self {
            CryptoError::EncryptionSetup { .. } => REPORT_BUG.into(),
            CryptoError::RandomFailed { .. } => {
                "nothing was shared; check that the system's random source (getrandom, /dev/urandom) works, and try again".into()
            }
            CryptoError::NotAge { web_page: true } => {
                "the host sent a web page instead; check that you copied the whole link printed by `share send`".into()
            }
            CryptoError::NotAge { web_page: false } => {
                "check that you copied the whole link printed by `share send`".into()
            }
            CryptoError::UnknownVersion => "ask the sender to use age v1".into(),
            CryptoError::HeaderTooLarge => {
                "nothing was written; the file was made to waste time, or is corrupted".into()
            }
            CryptoError::MalformedHeader { .. }
            | CryptoError::ArmorLineTooLong
            | CryptoError::ArmorMalformed { .. }
            | CryptoError::Unauthenticated { .. } => NOTHING_SHARE_AGAIN.into(),
            CryptoError::InvalidHeader
            | CryptoError::HeaderMac
            | CryptoError::InvalidAgeFile { .. } => SHARE_AGAIN.into(),
            CryptoError::WorkFactorTooHigh { .. } => {
                "if you trust the sender, raise the cap with --max-work-factor \
                 (each step doubles time and memory; 22 needs 4 GiB)"
                    .into()
            }
            CryptoError::WrongPassphrase | CryptoError::WrongPassphraseWord { .. } => {
                "check the passphrase you were given and try again".into()
            }
            CryptoError::NoMatchingIdentity => {
                "use the identity that matches a recipient the sender chose".into()
            }
            CryptoError::NeedsPassphrase => "leave out -i and give the passphrase".into(),
            CryptoError::NeedsIdentity => "receive it with -i and your identity file".into(),
            CryptoError::Truncated { .. } => {
                "try again; if it keeps happening, ask the sender to share it again".into()
            }
        }
    }
}

impl Catalogued for CryptoError {
    const NAME: &'static str = "CryptoError";
    type Variant = CryptoErrorVariant;

    fn sample(variant: CryptoErrorVariant) -> Self {
        match variant {
            CryptoErrorVariant::EncryptionSetup => CryptoError::EncryptionSetup {
                source: Box::new(age::EncryptError::MixedRecipientAndPassphrase),
            },
            CryptoErrorVariant::RandomFailed => CryptoError::RandomFailed {
                source: getrandom::Error::UNSUPPORTED,
            },
            CryptoErrorVariant::NotAge => CryptoError::NotAge { web_page: true },
            CryptoErrorVariant::UnknownVersion => CryptoError::UnknownVersion,
            CryptoErrorVariant::HeaderTooLarge => CryptoError::HeaderTooLarge,
            CryptoErrorVariant::MalformedHeader => CryptoError::MalformedHeader {
                problem: "the header has no recipient stanza",
            },
            CryptoErrorVariant::InvalidHeader => CryptoError::InvalidHeader,
            CryptoErrorVariant::HeaderMac => CryptoError::HeaderMac,
            CryptoErrorVariant::ArmorLineTooLong => CryptoError::ArmorLineTooLong,
            CryptoErrorVariant::ArmorMalformed => CryptoError::ArmorMalformed {
                source: age::armor::ArmoredReadError::NotWrappedAt64Chars,
            },
            CryptoErrorVariant::WorkFactorTooHigh => CryptoError::WorkFactorTooHigh {
                required: 30,
                cap: 20,
            },
            CryptoErrorVariant::WrongPassphrase => CryptoError::WrongPassphrase,
            CryptoErrorVariant::WrongPassphraseWord => CryptoError::WrongPassphraseWord {
                advice: "word 4, `orbti`, is not a passphrase word; did you mean `orbit`?".into(),
            },
            CryptoErrorVariant::NoMatchingIdentity => CryptoError::NoMatchingIdentity,
            CryptoErrorVariant::NeedsPassphrase => CryptoError::NeedsPassphrase,
            CryptoErrorVariant::NeedsIdentity => CryptoError::NeedsIdentity,
            CryptoErrorVariant::InvalidAgeFile => CryptoError::InvalidAgeFile {
                source: age::DecryptError::ExcessiveWork {
                    required: 30,
                    target: 20,
                },
            },
            CryptoErrorVariant::Truncated => CryptoError::Truncated {
                source: io::ErrorKind::UnexpectedEof.into(),
            },
            CryptoErrorVariant::Unauthenticated => CryptoError::Unauthenticated {
                source: io::Error::new(io::ErrorKind::InvalidData, "decryption error"),
            },
        }
    }

    fn variant(&self) -> CryptoErrorVariant {
        self.into()
    }

    fn kind(&self) -> Kind {
        CryptoError::kind(self)
    }

    fn hint(&self) -> Cow<'static, str> {
        CryptoError::hint(self)
    }
}
