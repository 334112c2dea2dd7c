//! Checking the index of a multi-part share from an untrusted host: its shape and sizes
//! ([`parse`]) and where its part links lead ([`IndexChecks::check_part_links`]). The index
//! needs no authentication of its own: parts that are swapped, reordered, dropped or
//! altered fail age's authentication of the whole stream, and the hashes let each part be
//! checked before it is used. The document itself is `share_proto::index`.

use url::Url;

pub use share_proto::index::{
    Index, MAX_INDEX_BYTES, MAX_PARTS, NEUTRAL_NAME, Part, VERSION, looks_like_index,
};

use crate::error::Result;
use crate::multipart::MultipartError;
use crate::transport::network::is_web_url;
use crate::transport::reach::PartRule;

/// Parses and checks an index from an untrusted host (exit 4 when it is not sound).
pub fn parse(text: &[u8], max_part_size: u64) -> Result<Index> {
    let value: serde_json::Value = serde_json::from_slice(text).unwrap_or_default();
    if value.get("share_index").is_none() {
        return Err(MultipartError::NotAgeOrIndex.into());
    }
    let index: Index =
        serde_json::from_value(value).map_err(|source| MultipartError::NotAnIndex { source })?;
    if index.share_index != VERSION {
        return Err(MultipartError::NewerIndex.into());
    }
    if index.parts.is_empty() || index.parts.len() > MAX_PARTS {
        return Err(MultipartError::PartCount.into());
    }
    let mut total = 0u64;
    for (number, part) in index.parts.iter().enumerate() {
        let part_number = number + 1;
        let url = Url::parse(&part.url)
            .map_err(|_| MultipartError::PartLinkInvalid { part: part_number })?;
        if !is_web_url(&url) {
            return Err(MultipartError::PartNotWeb { part: part_number }.into());
        }
        if part.size == 0 || part.size > max_part_size {
            return Err(MultipartError::PartSize { part: part_number }.into());
        }
        if part.sha256.len() != 64
            || !part
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(MultipartError::PartHash { part: part_number }.into());
        }
        total = total.saturating_add(part.size);
    }
    if total != index.size {
        return Err(MultipartError::TotalMismatch.into());
    }
    Ok(index)
}

/// What the client checks of an index it has parsed.
pub trait IndexChecks {
    /// Refuses the index (exit 4, before anything is fetched) when a part links anywhere
    /// `rule` does not allow: another host, plain http under https, an internal address.
    fn check_part_links(&self, rule: &PartRule) -> Result<()>;
    /// The parts' links, checked by [`parse`].
    fn urls(&self) -> Vec<Url>;
}

impl IndexChecks for Index {
    fn check_part_links(&self, rule: &PartRule) -> Result<()> {
        for (number, url) in self.urls().iter().enumerate() {
            if let Some(problem) = rule.problem_with(url) {
                return Err(MultipartError::PartLinkRefused {
                    part: number + 1,
                    problem,
                }
                .into());
            }
        }
        Ok(())
    }

    fn urls(&self) -> Vec<Url> {
        self.parts
            .iter()
            .map(|part| Url::parse(&part.url).expect("checked when parsed"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        Index {
            share_index: VERSION,
            size: 30,
            parts: (0..3)
                .map(|n| Part {
                    url: format!("https://d.tmpfile.link/public/2026-11-22/{n}/share.age"),
                    size: 10,
                    sha256: "ab".repeat(32),
                })
                .collect(),
        }
    }

    #[test]
    fn round_trips_with_one_part_per_line() {
        let text = sample().to_text();
        assert_eq!(
            text.lines().filter(|line| line.contains("\"url\"")).count(),
            3
        );
        assert_eq!(parse(text.as_bytes(), 100).unwrap(), sample());
        assert!(looks_like_index(text.as_bytes()));
        assert!(!looks_like_index(b"age-encryption.org/v1\n"));
    }

    #[test]
    fn unsound_indexes_are_refused() {
        let mut wrong_total = sample();
        wrong_total.size = 31;
        let mut bad_link = sample();
        bad_link.parts[1].url = "file:///etc/passwd".into();
        let mut too_big = sample();
        too_big.parts[0].size = 1000;
        too_big.size = 1020;
        let mut bad_hash = sample();
        bad_hash.parts[2].sha256 = "zz".repeat(32);
        for index in [wrong_total, bad_link, too_big, bad_hash] {
            let err = parse(index.to_text().as_bytes(), 100).unwrap_err();
            assert_eq!(err.kind(), crate::error::Kind::BadPayload);
        }
        assert!(parse(b"{\"share_index\": 1}", 100).is_err());
        assert!(parse(b"{}", 100).is_err());
    }
}
