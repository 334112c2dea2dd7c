//! The only module that touches `age`: building encryptors with an explicit scrypt work
//! factor, predicting the exact ciphertext length, and opening untrusted age files with a
//! work-factor cap, mapping every failure to the exit code the README gives it.
//!
//! The files read and written are age v1
//! (<https://github.com/C2SP/C2SP/blob/main/age.md>): its header and STREAM chunking fix
//! the ciphertext length predicted here, and [`age_header`] checks the header's framing.

pub mod age_header;
mod error;
pub mod forgiving;
pub mod passphrase;
pub mod strength;

pub use error::{CryptoError, CryptoErrorVariant, KeyError, KeyErrorVariant};

use std::io::{self, BufRead, BufReader, Read, Write};

pub use age::Encryptor;
use age::armor::ArmoredReader;
use age::secrecy::SecretString;
use age::{DecryptError, Decryptor};

use crate::crypto::age_header::HeaderProblem;
use crate::error::{Error, Result};
use crate::stream::CHUNK;

/// The work factor (log2 N) for generated passphrases: their 110 bits of entropy protect
/// them, not the KDF, so scrypt can be cheap (about 1 MiB and a few milliseconds).
pub const GENERATED_WORK_FACTOR: u8 = 10;

/// The work factor for a user's own passphrase: the reference age CLI's default.
pub const OWN_WORK_FACTOR: u8 = 18;

/// Every age file starts with this (the version follows).
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// age's STREAM chunking: 64 KiB of plaintext per chunk, a 16-byte tag each.
const CHUNK_SIZE: u64 = 64 * 1024;
const TAG_SIZE: u64 = 16;

/// A public key to encrypt to: an age X25519 recipient or an SSH public key.
pub type BoxedRecipient = Box<dyn age::Recipient + Send + Sync>;

/// A private key to decrypt with, from an identity file.
pub type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// The largest identity or recipients file read.
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// Parses one recipient: `age1…` (X25519), `ssh-ed25519 …` or `ssh-rsa …` (exit 2 if none).
/// The text is never repeated in the error: it may be a private key given by mistake.
pub fn parse_recipient(text: &str) -> Result<BoxedRecipient> {
    let text = text.trim();
    if let Ok(recipient) = text.parse::<age::x25519::Recipient>() {
        return Ok(Box::new(recipient));
    }
    if let Ok(recipient) = text.parse::<age::ssh::Recipient>() {
        return Ok(Box::new(recipient));
    }
    if looks_like_private_key(text) {
        return Err(KeyError::PrivateKeyAsRecipient.into());
    }
    Err(KeyError::NotAPublicKey.into())
}

/// Whether a text given where a public key belongs is a private key: an age identity, an
/// age plugin identity, or a PEM or OpenSSH private key.
fn looks_like_private_key(text: &str) -> bool {
    let upper = text.trim_start().to_ascii_uppercase();
    upper.starts_with("AGE-SECRET-KEY-")
        || upper.starts_with("AGE-PLUGIN-")
        || (upper.starts_with("-----BEGIN") && upper.contains("PRIVATE KEY"))
}

/// Reads a recipients file: one recipient per line; blank lines and `#` comments are skipped.
/// Returns each recipient with its text.
pub fn read_recipients_file(path: &std::path::Path) -> Result<Vec<(String, BoxedRecipient)>> {
    let text = read_key_file(path).map_err(|source| KeyError::RecipientsFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let mut recipients = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if looks_like_private_key(line) {
            return Err(KeyError::PrivateKeyInRecipientsFile {
                path: path.to_owned(),
            }
            .into());
        }
        let recipient = parse_recipient(line).map_err(|_| KeyError::NotARecipientLine {
            path: path.to_owned(),
            line: number + 1,
        })?;
        recipients.push((line.to_owned(), recipient));
    }
    if recipients.is_empty() {
        return Err(KeyError::NoRecipients {
            path: path.to_owned(),
        }
        .into());
    }
    Ok(recipients)
}

/// Reads an identity file: age identities (`AGE-SECRET-KEY-1…`, one or more) or an
/// unencrypted SSH private key (ed25519 or RSA). Exit 2 when it holds neither.
/// Key material is never kept in the error: age's reasons for refusing a file are left out.
pub fn read_identity_file(path: &std::path::Path) -> Result<Vec<BoxedIdentity>> {
    let text = zeroize::Zeroizing::new(read_key_file(path).map_err(|source| {
        KeyError::IdentityFileUnreadable {
            path: path.to_owned(),
            source,
        }
    })?);
    let path = path.to_owned();
    if text.contains("AGE-SECRET-KEY-") {
        let file = age::IdentityFile::from_buffer(text.as_bytes())
            .map_err(|_| KeyError::InvalidIdentityFile { path: path.clone() })?;
        let identities = file
            .into_identities()
            .map_err(|_| KeyError::UnusableIdentity { path: path.clone() })?;
        if identities.is_empty() {
            return Err(KeyError::NoIdentity { path }.into());
        }
        return Ok(identities);
    }
    match age::ssh::Identity::from_buffer(text.as_bytes(), Some(path.display().to_string())) {
        Ok(age::ssh::Identity::Unencrypted(key)) => {
            Ok(vec![Box::new(age::ssh::Identity::from(key))])
        }
        Ok(age::ssh::Identity::Encrypted(_)) => Err(KeyError::EncryptedSshKey { path }.into()),
        Ok(age::ssh::Identity::Unsupported(_)) | Err(_) => {
            Err(KeyError::NotAnIdentityFile { path }.into())
        }
    }
}

fn read_key_file(path: &std::path::Path) -> io::Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_KEY_FILE_BYTES).read_to_string(&mut text))?;
    Ok(text)
}

/// A key that exists only in this process's memory, for spooling data (standard input)
/// that must not reach the disk in the clear.
pub(crate) struct EphemeralKey(age::x25519::Identity);

impl EphemeralKey {
    /// A fresh X25519 identity, never written anywhere.
    pub(crate) fn generate() -> Self {
        EphemeralKey(age::x25519::Identity::generate())
    }

    /// Encrypts all of `input` into `output`; returns the plaintext length and the output.
    pub(crate) fn encrypt_all<R: Read, W: Write>(
        &self,
        mut input: R,
        output: W,
    ) -> io::Result<(u64, W)> {
        let recipient = self.0.to_public();
        let encryptor =
            Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(io::Error::other)?;
        let mut writer = encryptor.wrap_output(output)?;
        let length = io::copy(&mut input, &mut writer)?;
        Ok((length, writer.finish()?))
    }

    /// Reads back what [`EphemeralKey::encrypt_all`] wrote.
    pub(crate) fn decrypt<R: Read>(&self, input: R) -> io::Result<impl Read + use<R>> {
        let decryptor = Decryptor::new_buffered(BufReader::new(input)).map_err(io::Error::other)?;
        decryptor
            .decrypt(std::iter::once(&self.0 as &dyn age::Identity))
            .map_err(io::Error::other)
    }
}

/// Builds an encryptor for public-key recipients.
pub fn recipients_encryptor(recipients: &[BoxedRecipient]) -> Result<Encryptor> {
    Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
        .map_err(|source| {
            KeyError::RecipientsRefused {
                source: Box::new(source),
            }
            .into()
        })
}

/// Refuses more recipients than a receiver accepts: the header they make must fit
/// [`age_header::MAX_HEADER_BYTES`], or share would upload a file it refuses to open.
pub fn check_header_fits(recipients: &[&BoxedRecipient]) -> Result<()> {
    let setup = |source| CryptoError::EncryptionSetup {
        source: Box::new(source),
    };
    let empty_file =
        Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
            .map_err(setup)?
            .wrap_output(Vec::new())
            .and_then(|writer| writer.finish())
            .map_err(|err| setup(age::EncryptError::Io(err)))?;
    // The header, then the 16-byte nonce and one empty final chunk (its 16-byte tag).
    if empty_file.len() > age_header::MAX_HEADER_BYTES + 32 {
        return Err(KeyError::TooManyRecipients {
            recipients: recipients.len(),
        }
        .into());
    }
    Ok(())
}

/// Builds an encryptor for a passphrase. Runs scrypt once, so it takes as long as the work
/// factor says; call it off the async runtime.
pub fn passphrase_encryptor(passphrase: SecretString, work_factor: u8) -> Result<Encryptor> {
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(work_factor);
    Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).map_err(
        |source| {
            CryptoError::EncryptionSetup {
                source: Box::new(source),
            }
            .into()
        },
    )
}

/// The exact length of an age file whose header and stream nonce (what
/// `Encryptor::wrap_output` writes at once) take `prefix_len` bytes and whose plaintext is
/// `plaintext_len` bytes. An empty plaintext still has one (empty, final) chunk.
pub fn ciphertext_len(prefix_len: u64, plaintext_len: u64) -> u64 {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE).max(1);
    prefix_len + plaintext_len + chunks * TAG_SIZE
}

/// An age file whose header has been read and checked, ready to be decrypted.
pub struct Opened<R: BufRead> {
    decryptor: Decryptor<R>,
}

/// The reader an opened age file decrypts from: the header, checked and read into
/// memory, then the rest of the (dearmored) input.
pub type Checked<R> = io::Chain<io::Cursor<Vec<u8>>, BufReader<Dearmored<R>>>;

/// The first line of an ASCII-armored age file (age's `-a`).
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// The input of an age file: binary as it came, or decoded from ASCII armor.
pub enum Dearmored<R: Read> {
    /// A binary age file, read as it came (after the bytes peeked to tell the two apart).
    Binary(Prefixed<R>),
    /// An ASCII-armored age file, decoded, with its line length bounded.
    Armored(Box<ArmoredReader<BufReader<LineLimit<Prefixed<R>>>>>),
}

impl<R: Read> Read for Dearmored<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Dearmored::Binary(input) => input.read(buf),
            Dearmored::Armored(input) => input.read(buf),
        }
    }
}

/// Reads and checks an age header from untrusted input, binary or ASCII-armored.
///
/// Fails with exit 4 when the input is not an age file at all (for example a web page
/// served with status 200), when the header is larger than any real one or breaks the
/// specification's framing, or when it uses an unknown version. Errors the input itself
/// reports (a network failure) pass through unchanged.
pub fn open<R: Read>(input: R) -> Result<Opened<Checked<R>>> {
    let (start, input) = peek(input, ARMOR_BEGIN.len()).map_err(payload_read_error)?;
    let dearmored = if start.starts_with(ARMOR_BEGIN) {
        Dearmored::Armored(Box::new(ArmoredReader::new(LineLimit::new(input))))
    } else {
        Dearmored::Binary(input)
    };
    // Several ciphertext chunks per refill of the buffer in front of the decryptor.
    let mut input = BufReader::with_capacity(CHUNK, dearmored);
    let start = input.fill_buf().map_err(payload_read_error)?;
    if !start.starts_with(AGE_MAGIC) {
        return Err(CryptoError::NotAge {
            web_page: looks_like_a_web_page(start),
        }
        .into());
    }
    if !start.starts_with(age_header::VERSION_LINE)
        && (start.len() >= age_header::VERSION_LINE.len() || start.contains(&b'\n'))
    {
        return Err(decrypt_error(DecryptError::UnknownFormat));
    }
    let header = age_header::read_checked(&mut input).map_err(|problem| match problem {
        Err(io) => payload_read_error(io),
        Ok(HeaderProblem::TooLarge) => CryptoError::HeaderTooLarge.into(),
        Ok(HeaderProblem::Malformed(problem)) => CryptoError::MalformedHeader { problem }.into(),
    })?;
    let decryptor =
        Decryptor::new_buffered(io::Cursor::new(header).chain(input)).map_err(|err| match err {
            // age reports a v1 header it cannot parse as an unknown version.
            DecryptError::UnknownFormat => decrypt_error(DecryptError::InvalidHeader),
            other => decrypt_error(other),
        })?;
    Ok(Opened { decryptor })
}

/// The longest line read from an armored file: its lines are 64 columns, and the age
/// crate reads each whole into memory, so a host sending one endless line is cut off.
const MAX_ARMOR_LINE: usize = 1024;

/// A reader that fails once a line (bytes between newlines) grows past [`MAX_ARMOR_LINE`].
pub struct LineLimit<R> {
    inner: R,
    line: usize,
}

impl<R> LineLimit<R> {
    fn new(inner: R) -> Self {
        LineLimit { inner, line: 0 }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        for &byte in &buf[..read] {
            self.line = if byte == b'\n' { 0 } else { self.line + 1 };
            if self.line > MAX_ARMOR_LINE {
                return Err(Error::from(CryptoError::ArmorLineTooLong).into_io());
            }
        }
        Ok(read)
    }
}

fn looks_like_a_web_page(start: &[u8]) -> bool {
    let lowered = String::from_utf8_lossy(start).to_ascii_lowercase();
    lowered.trim_start().starts_with('<')
}

impl<R: BufRead> Opened<R> {
    /// Whether the file is encrypted to a passphrase (rather than to public keys).
    pub fn is_passphrase(&self) -> bool {
        self.decryptor.is_scrypt()
    }

    /// Unwraps the file key with a passphrase, refusing before scrypt runs when the file
    /// asks for a work factor above `max_work_factor`.
    pub fn decrypt_with_passphrase(
        self,
        passphrase: SecretString,
        max_work_factor: u8,
    ) -> Result<impl Read> {
        // A generated passphrase is also tried in its canonical form (`forgiving`).
        let identity = forgiving::Forgiving::new(&passphrase, max_work_factor);
        self.decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|err| match err {
                DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed
                    if identity.saw_generated() =>
                {
                    match forgiving::word_advice(&passphrase) {
                        Some(advice) => CryptoError::WrongPassphraseWord { advice }.into(),
                        None => decrypt_error(err),
                    }
                }
                DecryptError::ExcessiveWork { required, .. } => CryptoError::WorkFactorTooHigh {
                    required,
                    cap: max_work_factor,
                }
                .into(),
                other => decrypt_error(other),
            })
    }
}

impl<R: BufRead> Opened<R> {
    /// Unwraps the file key with identities from identity files.
    pub fn decrypt_with_identities(self, identities: &[BoxedIdentity]) -> Result<impl Read> {
        self.decryptor
            .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
            .map_err(|err| match err {
                DecryptError::NoMatchingKeys
                | DecryptError::DecryptionFailed
                | DecryptError::KeyDecryptionFailed => CryptoError::NoMatchingIdentity.into(),
                other => decrypt_error(other),
            })
    }
}

/// Maps an age header or key-unwrapping error to the documented exit codes.
fn decrypt_error(err: DecryptError) -> Error {
    match err {
        DecryptError::DecryptionFailed
        | DecryptError::KeyDecryptionFailed
        | DecryptError::NoMatchingKeys => CryptoError::WrongPassphrase.into(),
        DecryptError::InvalidMac => CryptoError::HeaderMac.into(),
        DecryptError::UnknownFormat => CryptoError::UnknownVersion.into(),
        DecryptError::Io(io) => payload_read_error(io),
        DecryptError::InvalidHeader => CryptoError::InvalidHeader.into(),
        other => CryptoError::InvalidAgeFile { source: other }.into(),
    }
}

/// Maps an error met while reading decrypted data: an error raised by the input itself
/// (already an [`Error`], such as a network error, carried by [`Error::into_io`]) passes
/// through; age's own errors mean the ciphertext was tampered with or cut short.
pub fn payload_read_error(err: io::Error) -> Error {
    let err = match Error::from_io(err) {
        Ok(carried) => return carried,
        Err(err) => err,
    };
    if err
        .get_ref()
        .is_some_and(|inner| inner.is::<age::armor::ArmoredReadError>())
    {
        let inner = err.into_inner().expect("checked above");
        let source = *inner
            .downcast::<age::armor::ArmoredReadError>()
            .expect("checked above");
        return CryptoError::ArmorMalformed { source }.into();
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof => CryptoError::Truncated { source: err }.into(),
        _ => CryptoError::Unauthenticated { source: err }.into(),
    }
}

/// A reader whose first bytes were already read to look at them, put back in front.
pub type Prefixed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads up to `len` leading bytes (fewer only at end of input) and returns them together
/// with a reader that yields the whole input again, those bytes included.
pub fn peek<R: Read>(mut input: R, len: usize) -> io::Result<(Vec<u8>, Prefixed<R>)> {
    let mut prefix = Vec::with_capacity(len);
    (&mut input).take(len as u64).read_to_end(&mut prefix)?;
    Ok((prefix.clone(), io::Cursor::new(prefix).chain(input)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn encrypt(plaintext: &[u8]) -> Vec<u8> {
        let encryptor = passphrase_encryptor(SecretString::from("pass word"), 2).unwrap();
        let mut out = vec![];
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(plaintext).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn predicted_length_matches_real_ciphertext() {
        let prefix_len = {
            let encryptor = passphrase_encryptor(SecretString::from("pass word"), 2).unwrap();
            let mut out = vec![];
            encryptor.wrap_output(&mut out).unwrap();
            out.len() as u64
        };
        for len in [0, 1, 65535, 65536, 65537, 3 * 65536, 200_000] {
            let real = encrypt(&vec![7; len]).len() as u64;
            assert_eq!(
                ciphertext_len(prefix_len, len as u64),
                real,
                "plaintext {len}"
            );
        }
    }

    #[test]
    fn wrong_passphrase_and_tampering_are_told_apart() {
        let file = encrypt(b"hello");
        let opened = open(&file[..]).unwrap();
        let err = opened
            .decrypt_with_passphrase(SecretString::from("wrong"), 20)
            .err()
            .unwrap();
        assert_eq!(err.kind(), Kind::WrongKey);

        let mut tampered = file.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let mut reader = open(&tampered[..])
            .unwrap()
            .decrypt_with_passphrase(SecretString::from("pass word"), 20)
            .unwrap();
        let err = payload_read_error(reader.read_to_end(&mut vec![]).unwrap_err());
        assert_eq!(err.kind(), Kind::BadPayload);
    }

    #[test]
    fn work_factor_above_the_cap_is_refused() {
        let err = open(&encrypt(b"x")[..])
            .unwrap()
            .decrypt_with_passphrase(SecretString::from("pass word"), 1)
            .err()
            .unwrap();
        assert_eq!(err.kind(), Kind::BadPayload);
        assert!(err.to_string().contains("work factor 2"));
    }

    #[test]
    fn html_is_not_an_age_file() {
        let err = open(&b"<!doctype html><p>hi</p>"[..]).err().unwrap();
        assert_eq!(err.kind(), Kind::BadPayload);
        assert!(err.to_string().contains("did not return an age file"));
    }
}
