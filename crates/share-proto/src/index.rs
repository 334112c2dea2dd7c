//! The index of a multi-part share (`docs/format.md`): the small plain JSON document a link
//! points to when the ciphertext was too large for one upload, listing the parts
//! (consecutive byte ranges of one age file) with their links, sizes and SHA-256. One part
//! per line, so the standard-tools recipe can pick the links out with `grep`. Checking an
//! untrusted index is the client's job (`share_client::multipart::index`).

use serde::{Deserialize, Serialize};

/// The value of `share_index` this version writes and reads.
pub const VERSION: u32 = 1;

/// The most bytes read from a link before deciding it is not an index.
pub const MAX_INDEX_BYTES: usize = 1024 * 1024;

/// The most parts an index may list.
pub const MAX_PARTS: usize = 10_000;

/// The multipart filename of an index upload.
pub const NEUTRAL_NAME: &str = "share-index.json";

/// The index document, field for field as its JSON (`docs/format.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The index format version: [`VERSION`].
    pub share_index: u32,
    /// The total ciphertext size: the sum of the parts' sizes.
    pub size: u64,
    /// The parts in ciphertext order, at least one and at most [`MAX_PARTS`].
    pub parts: Vec<Part>,
}

/// One part of a multi-part share: a consecutive byte range of the age file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Where the part is downloaded from: an http(s) link the part-link rule allows.
    pub url: String,
    /// Its length in bytes, never zero.
    pub size: u64,
    /// The SHA-256 of its bytes, as 64 lower-case hexadecimal digits.
    pub sha256: String,
}

impl Index {
    /// The index as uploaded: JSON with one part per line.
    pub fn to_text(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|part| serde_json::to_string(part).expect("plain data serialises"))
            .collect();
        format!(
            "{{\"share_index\": {}, \"size\": {}, \"parts\": [\n{}\n]}}\n",
            self.share_index,
            self.size,
            parts.join(",\n")
        )
    }
}

/// Whether the start of a download looks like an index rather than an age file.
pub fn looks_like_index(start: &[u8]) -> bool {
    start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}
