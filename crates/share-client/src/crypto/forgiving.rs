//! Passphrases people can type: a receiver reads a generated passphrase off a phone or
//! paper and types `Cousin Oak loan…` or `cousin oak loan…`. When the typed text fails and
//! the share's scrypt stanza has the work factor only generated passphrases get
//! ([`GENERATED_WORK_FACTOR`]; a user's own passphrase never has it), its canonical form is
//! tried too: lower case, words joined by `-`, whatever separators were typed. At work
//! factor 10 the extra attempt costs about a millisecond. A user's own passphrase (any other
//! work factor) is only ever tried exactly as typed.

use std::cell::Cell;

use age::DecryptError;
use age_core::format::{FileKey, Stanza};
use secrecy::{ExposeSecret, SecretString};

use super::GENERATED_WORK_FACTOR;

/// The word list generated passphrases are drawn from.
fn words() -> &'static [&'static str; 2048] {
    bip39::Language::English.word_list()
}

/// The canonical form of a typed generated passphrase: its words, lower case, joined by `-`.
pub fn canonical(typed: &str) -> String {
    typed
        .split(|c: char| !c.is_alphabetic())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// An age identity that tries the passphrase as typed, then, for a stanza with the
/// generated work factor only, its canonical form. It remembers whether it saw such a
/// stanza, so a failure can say which typed word is not a list word.
pub struct Forgiving {
    typed: age::scrypt::Identity,
    canonical: Option<age::scrypt::Identity>,
    saw_generated: Cell<bool>,
}

impl Forgiving {
    /// The identity for `passphrase`, refusing work factors above `max_work_factor`.
    pub fn new(passphrase: &SecretString, max_work_factor: u8) -> Forgiving {
        let identity = |text: &str| {
            let mut identity = age::scrypt::Identity::new(SecretString::from(text));
            identity.set_max_work_factor(max_work_factor);
            identity
        };
        let typed = passphrase.expose_secret();
        let canonical = zeroize::Zeroizing::new(canonical(typed));
        Forgiving {
            typed: identity(typed),
            canonical: (!canonical.is_empty() && *canonical != typed).then(|| identity(&canonical)),
            saw_generated: Cell::new(false),
        }
    }

    /// Whether the file had a stanza with the generated work factor.
    pub fn saw_generated(&self) -> bool {
        self.saw_generated.get()
    }
}

impl age::Identity for Forgiving {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, DecryptError>> {
        let first = self.typed.unwrap_stanza(stanza)?;
        let generated = stanza.tag == "scrypt"
            && stanza.args.get(1).map(String::as_str)
                == Some(GENERATED_WORK_FACTOR.to_string().as_str());
        if generated {
            self.saw_generated.set(true);
        }
        match (&first, &self.canonical) {
            (
                Err(DecryptError::DecryptionFailed | DecryptError::KeyDecryptionFailed),
                Some(canonical),
            ) if generated => canonical.unwrap_stanza(stanza),
            _ => Some(first),
        }
    }
}

/// For a typed generated passphrase that did not open the share: the first word that is
/// not a list word, with its position and the nearest list words, as one sentence.
pub fn word_advice(passphrase: &SecretString) -> Option<String> {
    let canonical = zeroize::Zeroizing::new(canonical(passphrase.expose_secret()));
    let (position, word) = canonical
        .split('-')
        .enumerate()
        .find(|(_, word)| words().binary_search(word).is_err())?;
    let mut nearest: Vec<(usize, &str)> = words()
        .iter()
        .map(|candidate| (edit_distance(word, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .collect();
    nearest.sort();
    let shown = crate::payload::names::untrusted(word);
    let suggestions: Vec<String> = nearest
        .iter()
        .take_while(|(distance, _)| *distance == nearest[0].0)
        .take(3)
        .map(|(_, candidate)| format!("`{candidate}`"))
        .collect();
    Some(if suggestions.is_empty() {
        format!("word {}, `{shown}`, is not a passphrase word", position + 1)
    } else {
        format!(
            "word {}, `{shown}`, is not a passphrase word; did you mean {}?",
            position + 1,
            suggestions.join(" or ")
        )
    })
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit (a common
/// typing slip: `orbti` for `orbit`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in table.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in table[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[i - 1][j] + 1)
                .min(table[i][j - 1] + 1)
                .min(table[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[i - 2][j - 2] + 1);
            }
            table[i][j] = best;
        }
    }
    table[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_lower_case_and_join_with_dashes() {
        assert_eq!(
            canonical("Cousin Oak  loan,mercy_remove"),
            "cousin-oak-loan-mercy-remove"
        );
        assert_eq!(canonical("cousin-oak"), "cousin-oak");
        assert_eq!(canonical(" \t"), "");
    }

    #[test]
    fn a_slip_gets_the_nearest_list_word() {
        let advice = word_advice(&SecretString::from("cousin oak loan orbti")).unwrap();
        assert_eq!(
            advice,
            "word 4, `orbti`, is not a passphrase word; did you mean `orbit`?"
        );
        assert_eq!(
            word_advice(&SecretString::from("cousin-oak-loan-orbit")),
            None
        );
        let far = word_advice(&SecretString::from("cousin zzzzzzzz")).unwrap();
        assert_eq!(far, "word 2, `zzzzzzzz`, is not a passphrase word");
    }
}
