//! Credentials: link tokens, manage tokens, tickets and API keys.
//!
//! Every credential is 32 random bytes from the operating system, base64url without padding
//! (43 characters); API keys carry the `sr_` prefix. The relay keeps only the SHA-256 of a
//! credential ([`hash`]) and names one in logs and the audit stream only by its
//! [`fingerprint`], the first 12 hex digits of that hash, so neither the database nor a log
//! line can be replayed. [`Secret`] keeps a raw credential out of `Debug` output.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use share_proto::relay::API_KEY_PREFIX;

/// A raw credential in memory, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a presented credential.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The raw value, to send to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256, hex: what the database stores.
    pub fn hash(&self) -> String {
        hash(&self.0)
    }

    /// 12-hex fingerprint: what logs and the audit stream show.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.fingerprint())
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A fresh 32-byte token, base64url without padding (link tokens, manage tokens, tickets).
pub fn new_token() -> Secret {
    Secret(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// A fresh API key: `sr_` + 43 base64url characters.
pub fn new_api_key() -> Secret {
    Secret(format!(
        "{API_KEY_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    ))
}

/// A fresh share id: 20 lowercase hex digits (not a secret; it starts with no `-`, so it is
/// safe as a command-line argument).
pub fn new_share_id() -> String {
    hex(&random_bytes::<10>())
}

/// A fresh request id: 16 hex digits.
pub fn new_request_id() -> String {
    hex(&random_bytes::<8>())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 of a credential, hex.
pub fn hash(raw: &str) -> String {
    hex(&Sha256::digest(raw.as_bytes()))
}

/// The 12-hex fingerprint of a credential.
pub fn fingerprint(raw: &str) -> String {
    let mut h = hash(raw);
    h.truncate(12);
    h
}

/// Whether a string has the shape of a token (43 base64url characters), so malformed input
/// is refused before any lookup.
pub fn is_token_shaped(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The credential of an `Authorization: Bearer …` header value.
pub fn bearer(header: Option<&str>) -> Option<Secret> {
    let value = header?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim();
    (!token.is_empty()).then(|| Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = new_token();
        assert!(is_token_shaped(t.expose()));
        let k = new_api_key();
        assert!(k.expose().starts_with("sr_"));
        assert_eq!(k.expose().len(), 46);
        assert!(is_token_shaped(&k.expose()[3..]));
        assert_eq!(t.fingerprint().len(), 12);
        assert!(t.hash().starts_with(&t.fingerprint()));
        assert!(!format!("{t:?}").contains(t.expose()));
        assert_eq!(new_share_id().len(), 20);
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer(Some("Bearer abc")).unwrap().expose(), "abc");
        assert_eq!(bearer(Some("bearer  abc ")).unwrap().expose(), "abc");
        assert!(bearer(Some("Basic abc")).is_none());
        assert!(bearer(Some("Bearer ")).is_none());
        assert!(bearer(None).is_none());
    }
}
