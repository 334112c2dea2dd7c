//! Passphrases: generating them, reading them from a file, the environment (as captured by
//! the caller) or the caller's prompt, and checking the strength of a user's own. Everything returned is a
//! `SecretString`, whose `Debug` is redacted and whose memory is zeroed on drop.

use std::fs;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, KeyError};
use crate::error::Result;

/// The environment variable that may carry a passphrase (never a command-line value).
pub const PASSPHRASE_ENV: &str = "SHARE_PASSPHRASE";

/// Words in a generated passphrase: 10 words of 11 bits each is 110 bits of entropy.
const GENERATED_WORDS: usize = 10;

/// The estimate of guesses (log10, [`crate::crypto::strength`]) a user's own passphrase must reach. 10^12 guesses
/// at scrypt work factor 18 (about a second and 256 MiB each) is out of reach offline.
const MIN_GUESSES_LOG10: f64 = 12.0;

/// Only this many leading characters are scored: zxcvbn is slow on long inputs, and a prefix
/// that is strong enough on its own keeps the whole passphrase at least as strong.
const STRENGTH_CHECK_PREFIX: usize = 100;

/// Where a passphrase comes from, decided before any network I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The first line of this file (`--passphrase-file`).
    File(PathBuf),
    /// The first line of standard input (`--passphrase-file -`, stdin not a terminal).
    Stdin,
    /// The environment variable [`PASSPHRASE_ENV`].
    Env,
    /// Asked for on the terminal, by the user interface.
    Prompt,
}

/// Picks the passphrase source: `--passphrase-file` wins over `SHARE_PASSPHRASE` (a flag
/// is the more specific instruction), and the terminal prompt is used only when there is one.
/// Returns `None` when there is no source at all.
///
/// `--passphrase-file -` means standard input, as `-` does everywhere else; when standard
/// input is a terminal that is the hidden prompt, so the passphrase is never echoed.
pub fn source(file: Option<&Path>, env_is_set: bool, stdin_is_terminal: bool) -> Option<Source> {
    if let Some(path) = file {
        Some(match path.as_os_str() == "-" {
            true if stdin_is_terminal => Source::Prompt,
            true => Source::Stdin,
            false => Source::File(path.to_owned()),
        })
    } else if env_is_set {
        Some(Source::Env)
    } else if stdin_is_terminal {
        Some(Source::Prompt)
    } else {
        None
    }
}

/// Like [`source`], but only the sources a sender can use for their own passphrase.
pub fn own_source(file: Option<&Path>, env_is_set: bool) -> Option<Source> {
    source(file, env_is_set, false).filter(|source| *source != Source::Prompt)
}

/// Reads the passphrase from its source. A file's first line is used with its line ending
/// removed; an empty passphrase is refused. `env` is the value of [`PASSPHRASE_ENV`] as the
/// caller captured it; `prompt` asks the user (the library never touches a terminal).
pub fn read(
    source: &Source,
    env: Option<&SecretString>,
    prompt: &mut dyn FnMut() -> std::io::Result<SecretString>,
) -> Result<SecretString> {
    let text = match source {
        Source::File(path) => {
            let bytes = Zeroizing::new(fs::read(path).map_err(|source| {
                KeyError::PassphraseFileUnreadable {
                    path: path.clone(),
                    source,
                }
            })?);
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| KeyError::PassphraseFileNotUtf8 { path: path.clone() })?;
            Zeroizing::new(first_line(text).to_owned())
        }
        Source::Stdin => {
            let mut line = Zeroizing::new(String::new());
            std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)
                .map_err(|source| KeyError::PassphraseStdinUnreadable { source })?;
            Zeroizing::new(first_line(&line).to_owned())
        }
        Source::Env => {
            let value = env.ok_or(KeyError::PassphraseEnvUnset)?;
            Zeroizing::new(value.expose_secret().to_owned())
        }
        Source::Prompt => Zeroizing::new(
            prompt()
                .map_err(|source| KeyError::PromptFailed { source })?
                .expose_secret()
                .to_owned(),
        ),
    };
    if text.is_empty() {
        return Err(KeyError::EmptyPassphrase {
            from: source.clone(),
        }
        .into());
    }
    Ok(SecretString::from(text.as_str()))
}

/// Where a passphrase came from, for messages (never the passphrase itself).
pub fn describe(source: &Source) -> String {
    match source {
        Source::File(path) => format!("passphrase file {}", path.display()),
        Source::Env => PASSPHRASE_ENV.to_owned(),
        Source::Prompt => "the terminal".to_owned(),
        Source::Stdin => "standard input".to_owned(),
    }
}

fn first_line(text: &str) -> &str {
    let line = text.split('\n').next().unwrap_or_default();
    line.strip_suffix('\r').unwrap_or(line)
}

/// A fresh passphrase of ten BIP39 English words joined by `-` (110 bits), as age generates.
pub fn generate() -> Result<SecretString> {
    let words = bip39::Language::English.word_list();
    let mut random = Zeroizing::new([0u8; 2 * GENERATED_WORDS]);
    getrandom::fill(random.as_mut()).map_err(|source| CryptoError::RandomFailed { source })?;
    let mut joined = Zeroizing::new(String::with_capacity(GENERATED_WORDS * 9));
    for pair in random.chunks_exact(2) {
        if !joined.is_empty() {
            joined.push('-');
        }
        // 2048 words: the low 11 bits of a uniform u16 are uniform, so there is no bias.
        joined.push_str(words[usize::from(u16::from_le_bytes([pair[0], pair[1]]) & 0x7ff)]);
    }
    Ok(SecretString::from(joined.as_str()))
}

/// Whether `passphrase` has the shape [`generate`] gives: ten BIP39 words joined by `-`.
/// A user's own passphrase that looks like this was most likely given to them for a share
/// they received, not chosen for one they send.
pub fn looks_generated(passphrase: &SecretString) -> bool {
    let words = bip39::Language::English;
    let text = passphrase.expose_secret();
    text.split('-').count() == GENERATED_WORDS
        && text.split('-').all(|word| words.find_word(word).is_some())
}

/// Refuses a weak passphrase of the user's own (exit 2): the link is public, so the
/// passphrase is all that stands against offline guessing.
pub fn check_strength(passphrase: &SecretString) -> Result<()> {
    let prefix: Zeroizing<String> = Zeroizing::new(
        passphrase
            .expose_secret()
            .chars()
            .take(STRENGTH_CHECK_PREFIX)
            .collect(),
    );
    if crate::crypto::strength::guesses_log10(&prefix) < MIN_GUESSES_LOG10 {
        return Err(KeyError::WeakPassphrase.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passphrases_have_ten_list_words_and_differ() {
        let first = generate().unwrap();
        let second = generate().unwrap();
        let words: Vec<&str> = first.expose_secret().split('-').collect();
        assert_eq!(words.len(), GENERATED_WORDS);
        let list = bip39::Language::English.word_list();
        assert!(words.iter().all(|w| list.contains(w)));
        assert_ne!(first.expose_secret(), second.expose_secret());
    }

    #[test]
    fn generated_passphrases_look_generated_and_others_do_not() {
        assert!(looks_generated(&generate().unwrap()));
        for own in [
            "correct horse battery staple orbit candle meadow",
            "cousin-oak-loan-mercy-remove-frown-lonely-disorder-pole",
            "cousin-oak-loan-mercy-remove-frown-lonely-disorder-pole-sightx",
        ] {
            assert!(!looks_generated(&SecretString::from(own)), "{own}");
        }
    }

    #[test]
    fn generated_passphrases_pass_the_strength_check() {
        check_strength(&generate().unwrap()).unwrap();
    }

    #[test]
    fn weak_passphrases_are_refused() {
        for weak in [
            "password123",
            "correct horse",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "correct horse battery staple",
            "share-passphrase-2026",
        ] {
            let err = check_strength(&SecretString::from(weak)).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::Usage, "{weak}");
        }
    }

    #[test]
    fn only_the_first_line_of_a_file_counts() {
        assert_eq!(first_line("secret\n"), "secret");
        assert_eq!(first_line("secret\r\nmore"), "secret");
        assert_eq!(first_line(""), "");
    }
}
