//! Checking an untrusted age header before the age crate parses it: its size and its
//! framing, exactly as the age v1 specification writes it
//! (<https://github.com/C2SP/C2SP/blob/main/age.md#header>):
//!
//! ```text
//! header       = version-line 1*stanza end
//! version-line = "age-encryption.org/v1" LF
//! stanza       = arg-line *full-line final-line
//! arg-line     = "-> " argument *(SP argument) LF      ; argument = 1*VCHAR
//! full-line    = 64base64char LF
//! final-line   = *63base64char LF                      ; always present, possibly empty
//! end          = "---" SP 43base64char LF
//! ```
//!
//! Two reasons to do it here. The age crate re-parses the whole header after every line
//! it reads (str4d/rage#572), so a header of a megabyte costs tens of seconds before any
//! key is tried: [`MAX_HEADER_BYTES`] bounds that. And the crate accepts a stanza without
//! its final short line, which the specification and the reference implementation refuse:
//! share accepts exactly what the specification allows.

use std::io::{self, BufRead};

/// The largest header accepted. A passphrase header is under 200 bytes and each
/// recipient adds one stanza (about 120 bytes for an age key, 450 for an RSA key), so
/// this leaves room for hundreds of recipients.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The first line of every age v1 file.
pub const VERSION_LINE: &[u8] = b"age-encryption.org/v1\n";

/// Columns of a full stanza body line.
const BODY_COLUMNS: usize = 64;

/// Base64 characters of the header MAC (32 bytes, unpadded).
const MAC_CHARS: usize = 43;

/// Why a header was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// No end line within [`MAX_HEADER_BYTES`].
    TooLarge,
    /// The framing breaks the grammar above; the text says where.
    Malformed(&'static str),
}

/// Reads the header from `input` (which must start at the version line) and checks its
/// framing. Returns the header's bytes, end line included; `input` is left just after
/// it, at the stream nonce. Read errors from `input` pass through as `Err(Err(..))`.
pub fn read_checked<R: BufRead>(
    input: &mut R,
) -> Result<Vec<u8>, Result<HeaderProblem, io::Error>> {
    let mut header = Vec::new();
    let mut next_line =
        |header: &mut Vec<u8>| -> Result<(usize, usize), Result<HeaderProblem, io::Error>> {
            let start = header.len();
            let room = (MAX_HEADER_BYTES - start.min(MAX_HEADER_BYTES)) as u64;
            let read = io::Read::take(&mut *input, room)
                .read_until(b'\n', header)
                .map_err(Err)?;
            match header.last() {
                Some(b'\n') if read > 0 => Ok((start, header.len() - 1)),
                _ if header.len() >= MAX_HEADER_BYTES => Err(Ok(HeaderProblem::TooLarge)),
                // The input ended inside the header: a truncated file, unless what came
                // is not header text at all.
                _ if header[start..]
                    .iter()
                    .all(|&b| b == b' ' || b.is_ascii_graphic()) =>
                {
                    Err(Err(io::ErrorKind::UnexpectedEof.into()))
                }
                _ => Err(Ok(HeaderProblem::Malformed(
                    "the header holds bytes that are not text",
                ))),
            }
        };
    let malformed = |what| Err(Ok(HeaderProblem::Malformed(what)));

    let (start, end) = next_line(&mut header)?;
    if header[start..=end] != *VERSION_LINE {
        return malformed("the first line is not the age v1 version line");
    }
    let mut stanzas = 0usize;
    let (mut start, mut end) = next_line(&mut header)?;
    loop {
        let line = &header[start..end];
        if let Some(mac) = line.strip_prefix(b"--- ") {
            if stanzas == 0 {
                return malformed("the header has no recipient stanza");
            }
            if mac.len() != MAC_CHARS || !is_canonical_base64(mac) {
                return malformed("the MAC line is not 43 base64 characters");
            }
            return Ok(header);
        }
        let Some(arguments) = line.strip_prefix(b"-> ") else {
            return malformed("a line is neither a stanza nor the MAC line");
        };
        if arguments
            .split(|&b| b == b' ')
            .any(|argument| argument.is_empty() || !argument.iter().all(u8::is_ascii_graphic))
        {
            return malformed("a stanza has an empty or non-printable argument");
        }
        stanzas += 1;
        // The body: full lines of exactly 64 columns, then always one shorter final line.
        loop {
            (start, end) = next_line(&mut header)?;
            let body = &header[start..end];
            if !body.iter().all(|&b| is_base64_char(b)) {
                return malformed("a stanza body is not base64, or lacks its final short line");
            }
            if body.len() > BODY_COLUMNS {
                return malformed("a stanza body line is longer than 64 columns");
            }
            if body.len() < BODY_COLUMNS {
                if !is_canonical_base64(body) {
                    return malformed("a stanza body is not canonical base64");
                }
                break;
            }
        }
        (start, end) = next_line(&mut header)?;
    }
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Unpadded standard base64 whose length can end a valid encoding (not 1 modulo 4); the
/// age crate checks the unused bits when it decodes.
fn is_canonical_base64(text: &[u8]) -> bool {
    text.iter().all(|&b| is_base64_char(b)) && text.len() % 4 != 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: &str = "--- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";

    fn check(text: &str) -> Result<Vec<u8>, HeaderProblem> {
        let mut input = text.as_bytes();
        read_checked(&mut input).map_err(|err| err.expect("no I/O error"))
    }

    #[test]
    fn well_formed_headers_pass_and_stop_at_the_mac() {
        let full = "A".repeat(64);
        let header = format!(
            "age-encryption.org/v1\n-> scrypt c2FsdA 10\nAAAA\n-> X25519 abc\n{full}\n\n{MAC}"
        );
        let mut input = format!("{header}NONCE").into_bytes();
        let mut reader = &input[..];
        assert_eq!(read_checked(&mut reader).unwrap(), header.as_bytes());
        assert_eq!(reader, b"NONCE");
        input.clear();
    }

    #[test]
    fn a_stanza_without_its_final_short_line_is_refused() {
        let full = "A".repeat(64);
        let header = format!("age-encryption.org/v1\n-> X25519 abc\n{full}\n{MAC}");
        assert!(matches!(check(&header), Err(HeaderProblem::Malformed(_))));
        let header = format!("age-encryption.org/v1\n-> X25519 abc\n{full}\n-> X25519 d\n\n{MAC}");
        assert!(matches!(check(&header), Err(HeaderProblem::Malformed(_))));
    }

    #[test]
    fn broken_framing_is_refused() {
        for bad in [
            format!("age-encryption.org/v1\n{MAC}"),
            format!("age-encryption.org/v1\n->  X25519\n\n{MAC}"),
            format!("age-encryption.org/v1\n-> X25519\tx\n\n{MAC}"),
            format!("age-encryption.org/v1\n-> X25519 x\nA===\n{MAC}"),
            format!(
                "age-encryption.org/v1\n-> X25519 x\n{}\n\n{MAC}",
                "A".repeat(65)
            ),
            format!("age-encryption.org/v1\n-> X25519 x\nAAAAA\n{MAC}"),
            "age-encryption.org/v1\n-> X25519 x\n\n--- short\n".to_owned(),
            "age-encryption.org/v1\r\n-> X25519 x\n\n".to_owned(),
        ] {
            assert!(
                matches!(check(&bad), Err(HeaderProblem::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_header_cut_short_is_a_truncated_file() {
        let mut input = &b"age-encryption.org/v1\n-> X25519 x\n\n"[..];
        let err = read_checked(&mut input).unwrap_err().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_huge_header_is_refused_after_reading_at_most_the_cap() {
        let mut header = "age-encryption.org/v1\n".to_owned();
        while header.len() < 2 * MAX_HEADER_BYTES {
            header.push_str("-> X25519 x\n\n");
        }
        assert_eq!(check(&header), Err(HeaderProblem::TooLarge));
        let one_long_line = format!("age-encryption.org/v1\n-> X {}\n", "a".repeat(100_000));
        assert_eq!(check(&one_long_line), Err(HeaderProblem::TooLarge));
    }
}
