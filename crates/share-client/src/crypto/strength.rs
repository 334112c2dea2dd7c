//! How many guesses a user's own passphrase would cost an attacker: zxcvbn's estimate,
//! which knows common passwords, names, keyboard patterns, dates and the product's own
//! vocabulary, and a phrase rule zxcvbn lacks. zxcvbn scores each word of "correct horse
//! battery staple" as a separate dictionary word and multiplies, as if the words had been
//! drawn at random; an attacker tries famous phrases, quotes and lists read in order first.
//! The phrase rule collapses those into one guess each before the rest is scored.

use zeroize::Zeroizing;

/// Words of the product and its context: an attacker who knows the file came from share
/// tries them first. Given to zxcvbn as its "user inputs".
const PRODUCT_WORDS: &[&str] = &[
    "share",
    "shared",
    "sharing",
    "passphrase",
    "password",
    "secret",
    "tmpfile",
    "tflink",
    "link",
    "age",
    "encrypt",
    "encrypted",
    "send",
    "receive",
    "file",
    "upload",
    "download",
    "key",
    "relay",
    "confidential",
];

/// Well-known passphrases and quotes, as lower-case words. An attacker's list holds far
/// more; these are the ones people actually pick and that zxcvbn scores as strong.
const FAMOUS_PHRASES: &[&str] = &[
    "correct horse battery staple",
    "the quick brown fox jumps over the lazy dog",
    "the quick brown fox jumped over the lazy dog",
    "lorem ipsum dolor sit amet",
    "to be or not to be that is the question",
    "to be or not to be",
    "all that glitters is not gold",
    "may the force be with you",
    "a long time ago in a galaxy far far away",
    "all your base are belong to us",
    "i think therefore i am",
    "four score and seven years ago",
    "it was the best of times it was the worst of times",
    "call me ishmael",
    "in the beginning was the word",
    "in the beginning god created the heaven and the earth",
    "the lord is my shepherd",
    "our father who art in heaven",
    "hallowed be thy name",
    "we hold these truths to be self evident",
    "life liberty and the pursuit of happiness",
    "give me liberty or give me death",
    "one small step for man one giant leap for mankind",
    "that's one small step for man",
    "ask not what your country can do for you",
    "i have a dream",
    "houston we have a problem",
    "elementary my dear watson",
    "winter is coming",
    "valar morghulis",
    "you shall not pass",
    "one ring to rule them all",
    "not all those who wander are lost",
    "the cake is a lie",
    "never gonna give you up never gonna let you down",
    "never gonna give you up",
    "we are the champions my friends",
    "hello darkness my old friend",
    "imagine all the people",
    "let it be",
    "all you need is love",
    "here's looking at you kid",
    "frankly my dear i don't give a damn",
    "there's no place like home",
    "i'll be back",
    "live long and prosper",
    "beam me up scotty",
    "to infinity and beyond",
    "just do it",
    "keep calm and carry on",
    "carpe diem",
    "veni vidi vici",
    "et tu brute",
    "e pluribus unum",
    "the answer is forty two",
    "don't panic",
    "so long and thanks for all the fish",
    "open sesame",
    "let me in",
    "hello world",
    "trust no one",
    "the truth is out there",
    "i want to believe",
    "there is no spoon",
    "follow the white rabbit",
    "what is the meaning of life",
    "the meaning of life",
    "mary had a little lamb",
    "twinkle twinkle little star",
    "humpty dumpty sat on a wall",
    "jack and jill went up the hill",
    "once upon a time",
    "happily ever after",
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
    "legal winner thank year wave sausage worth useful legal winner thank yellow",
    "this is my passphrase",
    "this is a secret",
    "this is a test",
    "my voice is my passport verify me",
    "the eagle has landed",
    "attack at dawn",
    "it is a truth universally acknowledged",
    "shaken not stirred",
    "i am your father",
    "do or do not there is no try",
];

/// log10 of the guesses a famous phrase costs: its place in a list of a few thousand,
/// times a handful of spellings (case, separators).
const FAMOUS_PHRASE_GUESSES_LOG10: f64 = 4.0;

/// The shortest run of list words in list order (or one word repeated) that counts as one
/// guess of the run rule.
const MIN_LIST_RUN: usize = 3;

/// log10 of the guesses an attacker needs for `passphrase`: the lower of zxcvbn's
/// estimate and the phrase rule's.
pub fn guesses_log10(passphrase: &str) -> f64 {
    let whole = zxcvbn::zxcvbn(passphrase, PRODUCT_WORDS).guesses_log10();
    whole.min(phrase_rule_log10(passphrase))
}

/// The passphrase split into lower-case words; known phrases, the product's own words and
/// ordered runs of the BIP39 list each counted as one guess; what remains scored by zxcvbn.
fn phrase_rule_log10(passphrase: &str) -> f64 {
    let lowered = Zeroizing::new(passphrase.to_lowercase());
    let words: Vec<&str> = lowered
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
        .collect();
    let mut kept = vec![true; words.len()];
    let mut collapsed_log10 = 0.0;

    for phrase in FAMOUS_PHRASES {
        let phrase_words: Vec<&str> = phrase.split(' ').collect();
        let mut at = 0;
        while at + phrase_words.len() <= words.len() {
            let window = at..at + phrase_words.len();
            if kept[window.clone()].iter().all(|&k| k) && words[window.clone()] == phrase_words[..]
            {
                kept[window].iter_mut().for_each(|k| *k = false);
                collapsed_log10 += FAMOUS_PHRASE_GUESSES_LOG10;
                at += phrase_words.len();
            } else {
                at += 1;
            }
        }
        // Also written as one word ("correcthorsebatterystaple").
        let joined: String = phrase_words.concat();
        for (number, word) in words.iter().enumerate() {
            if kept[number] && **word == joined {
                kept[number] = false;
                collapsed_log10 += FAMOUS_PHRASE_GUESSES_LOG10;
            }
        }
    }

    for (number, word) in words.iter().enumerate() {
        if kept[number] && PRODUCT_WORDS.contains(word) {
            kept[number] = false;
            collapsed_log10 += (PRODUCT_WORDS.len() as f64 * 3.0).log10();
        }
    }

    let list = bip39::Language::English.word_list();
    let position = |word: &str| list.binary_search(&word).ok();
    let mut start = 0;
    while start < words.len() {
        let mut end = start + 1;
        if let (true, Some(first)) = (kept[start], position(words[start])) {
            let step = words
                .get(start + 1)
                .and_then(|next| position(next))
                .map(|second| second as i64 - first as i64)
                .filter(|step| (-1..=1).contains(step));
            if let Some(step) = step {
                while end < words.len()
                    && kept[end]
                    && position(words[end]).map(|at| at as i64)
                        == Some(first as i64 + step * (end - start) as i64)
                {
                    end += 1;
                }
            }
            if end - start >= MIN_LIST_RUN {
                kept[start..end].iter_mut().for_each(|k| *k = false);
                // Which word the run starts at, its direction, and how long it is.
                collapsed_log10 += (list.len() as f64 * 3.0 * (end - start) as f64).log10();
            } else {
                end = start + 1;
            }
        }
        start = end;
    }

    if kept.iter().all(|&k| k) {
        return f64::INFINITY;
    }
    let rest = Zeroizing::new(
        words
            .iter()
            .zip(&kept)
            .filter(|(_, kept)| **kept)
            .map(|(word, _)| *word)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let rest_log10 = if rest.is_empty() {
        0.0
    } else {
        zxcvbn::zxcvbn(&rest, PRODUCT_WORDS).guesses_log10()
    };
    collapsed_log10 + rest_log10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn famous_phrases_and_list_runs_are_cheap() {
        for weak in [
            "correct horse battery staple",
            "Correct-Horse-Battery-Staple",
            "correcthorsebatterystaple",
            "correct horse battery staple 7",
            "abandon ability able about above absent absorb abstract absurd abuse",
            "zoo-zone-zero-zebra-youth",
            "The quick brown fox jumps over the lazy dog",
        ] {
            assert!(
                guesses_log10(weak) < 12.0,
                "{weak}: {}",
                guesses_log10(weak)
            );
        }
    }

    #[test]
    fn the_products_own_words_are_cheap() {
        for weak in [
            "share-passphrase-2026",
            "tmpfile link secret",
            "Share Password 2026!",
        ] {
            assert!(
                guesses_log10(weak) < 12.0,
                "{weak}: {}",
                guesses_log10(weak)
            );
        }
    }

    #[test]
    fn random_words_stay_strong() {
        for strong in [
            "cousin-oak-loan-mercy-remove-frown",
            "correct horse battery staple wombat quasar Lisbon 1987 tundra",
            "vK3#q9!zP2@mW7&x",
        ] {
            assert!(
                guesses_log10(strong) >= 12.0,
                "{strong}: {}",
                guesses_log10(strong)
            );
        }
    }
}
