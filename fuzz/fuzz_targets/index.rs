//! The index of a multi-part share, from an untrusted host: whatever it says, an index
//! that parses lists at least one part, only http(s) links, sizes within the limit that
//! add up to its total, and well-formed hashes, and it survives being written back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use share_client::multipart::index::{self, IndexChecks};

/// A small part-size limit, so the size checks are reachable.
const MAX_PART_SIZE: u64 = 1_000_000;

fuzz_target!(|text: &[u8]| {
    let _ = index::looks_like_index(text);
    let Ok(parsed) = index::parse(text, MAX_PART_SIZE) else {
        return;
    };
    assert!(!parsed.parts.is_empty() && parsed.parts.len() <= index::MAX_PARTS);
    let mut total = 0u64;
    for (part, url) in parsed.parts.iter().zip(parsed.urls()) {
        assert!(matches!(url.scheme(), "http" | "https") && url.host().is_some());
        assert!(part.size > 0 && part.size <= MAX_PART_SIZE);
        assert_eq!(part.sha256.len(), 64);
        total += part.size;
    }
    assert_eq!(total, parsed.size);
    let again = index::parse(parsed.to_text().as_bytes(), MAX_PART_SIZE).unwrap();
    assert_eq!(again, parsed);
});
