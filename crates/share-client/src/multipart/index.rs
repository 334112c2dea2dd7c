//! Checking the index of a multi-part share from an untrusted host: its shape and sizes
//! ([`parse`]) and where its part links lead ([`IndexChecks::check_part_links`]). The index
//! needs no authentication of its own: parts that are swapped, reordered, dropped or
//! altered fail age's authentication of the whole stream, and the hashes let each part be
//! checked before it is used. The document itself is `share_proto::index`.

use anyhow::Result;
use url::Url;

pub use share_proto::index::{
    Index, MAX_INDEX_BYTES, MAX_PARTS, NEUTRAL_NAME, Part, VERSION, looks_like_index,
};

use crate::error::{Failure, Kind};
use crate::transport::network::is_web_url;
use crate::transport::reach::PartRule;

/// Parses and checks an index from an untrusted host (exit 4 when it is not sound).
pub fn parse(text: &[u8], max_part_size: u64) -> Result<Index> {
    let value: serde_json::Value = serde_json::from_slice(text).unwrap_or_default();
    if value.get("share_index").is_none() {
        return Err(Failure::new(
            Kind::BadPayload,
            "the link did not return an age file or a share index",
        )
        .hint("check that you copied the whole link printed by `share send`")
        .into());
    }
    let index: Index = serde_json::from_value(value).map_err(|err| {
        // serde's description quotes the host's field names: untrusted.
        malformed(&format!(
            "it is not a share index ({})",
            crate::payload::names::untrusted(&err.to_string())
        ))
    })?;
    if index.share_index != VERSION {
        return Err(Failure::new(
            Kind::BadPayload,
            "the share index was made by a newer version of share",
        )
        .hint("upgrade share and try again")
        .into());
    }
    if index.parts.is_empty() || index.parts.len() > MAX_PARTS {
        return Err(malformed("it lists no parts, or too many"));
    }
    let mut total = 0u64;
    for (number, part) in index.parts.iter().enumerate() {
        let url = Url::parse(&part.url)
            .map_err(|_| malformed(&format!("part {} has no valid link", number + 1)))?;
        if !is_web_url(&url) {
            return Err(malformed(&format!(
                "part {} does not link to http(s)",
                number + 1
            )));
        }
        if part.size == 0 || part.size > max_part_size {
            return Err(malformed(&format!(
                "part {} has an impossible size",
                number + 1
            )));
        }
        if part.sha256.len() != 64
            || !part
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(malformed(&format!(
                "part {} has no valid SHA-256",
                number + 1
            )));
        }
        total = total.saturating_add(part.size);
    }
    if total != index.size {
        return Err(malformed("its part sizes do not add up to its total"));
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
                return Err(Failure::new(
                    Kind::BadPayload,
                    format!(
                        "the share index lists a part that share will not fetch: part {} {problem}",
                        number + 1
                    ),
                )
                .hint("nothing was fetched or written; the host is broken or hostile, ask the sender to share it again")
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

fn malformed(what: &str) -> anyhow::Error {
    Failure::new(
        Kind::BadPayload,
        format!("the share index is malformed: {what}"),
    )
    .hint("nothing was written; ask the sender to share it again")
    .into()
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
            assert_eq!(crate::error::kind_of(&err), Some(Kind::BadPayload));
        }
        assert!(parse(b"{\"share_index\": 1}", 100).is_err());
        assert!(parse(b"{}", 100).is_err());
    }
}
