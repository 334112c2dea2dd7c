//! The error catalogue: every variant of every error type, rendered from a sample value
//! as `exit <code>  <Type>::<Variant>  <message>; <hint>`, is snapshot-tested in
//! `tests/snapshots/errors.txt` (`SHARE_UPDATE_SNAPSHOTS=1` rewrites it). The catalogue is
//! complete by construction: each type's `sample` matches exhaustively on its variants
//! (strum's discriminants), so a new variant does not compile without a sample, and then
//! changes this snapshot.

use std::collections::HashSet;

use crate::support::check_snapshot;

#[test]
fn every_error_matches_the_catalogue() {
    let entries = share::error::catalogue();
    let mut names = HashSet::new();
    let mut text = String::new();
    for entry in &entries {
        assert!(names.insert(entry.name.clone()), "{} twice", entry.name);
        assert!(
            !entry.message.trim().is_empty(),
            "{} says nothing",
            entry.name
        );
        assert!(!entry.hint.trim().is_empty(), "{} has no hint", entry.name);
        text.push_str(&entry.to_string());
        text.push('\n');
    }
    check_snapshot("errors.txt", &text);
}
