//! Links and names from untrusted places: parsing a link, deriving a file name from it,
//! and checking and escaping names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use share::fuzzing::link_file_name;
use share_client::{payload::names, transport as host};

fuzz_target!(|text: &str| {
    if let Ok(link) = host::parse_user_url(text, "the link") {
        let name = link_file_name(&link);
        assert!(names::problem_with_component(&name).is_none(), "{name:?}");
    }
    if names::problem_with_path(text).is_none() {
        assert!(!text.split('/').any(|part| part == ".." || part.is_empty()));
    }
    let escaped = names::escape_for_terminal(text);
    assert!(!escaped.chars().any(char::is_control));
});
