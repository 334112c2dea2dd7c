//! File names inside a share: the rules a name must follow (checked by the sender for its
//! own files and by the receiver for untrusted ones) and escaping names for the terminal.

use std::fmt::Write as _;

/// The longest single path component most file systems accept.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// The longest relative path accepted inside a share.
pub const MAX_PATH_BYTES: usize = 4096;

/// Why a path inside a share is refused, or `None` when it is acceptable.
///
/// A path is relative, `/`-separated, and made only of plain components: no empty, `.` or
/// `..` component, no backslash or drive letter (which mean something on Windows), no
/// control characters, and nothing over the usual length limits.
pub fn problem_with_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("the name is empty");
    }
    if path.len() > MAX_PATH_BYTES {
        return Some("the name is too long");
    }
    if path.starts_with('/') {
        return Some("the name is an absolute path");
    }
    path.split('/').find_map(problem_with_component)
}

/// Why one path component is refused, or `None` when it is acceptable.
pub fn problem_with_component(component: &str) -> Option<&'static str> {
    if component.is_empty() || component == "." {
        Some("the name has an empty or `.` component")
    } else if component == ".." {
        Some("the name climbs out of its directory with `..`")
    } else if component.len() > MAX_COMPONENT_BYTES {
        Some("a part of the name is longer than 255 bytes")
    } else if component.contains('/') {
        Some("the name contains a slash")
    } else if component.contains('\\') {
        Some("the name contains a backslash")
    } else if component.len() >= 2
        && component.as_bytes()[0].is_ascii_alphabetic()
        && component.as_bytes()[1] == b':'
    {
        Some("the name starts with a drive letter")
    } else if component.chars().any(char::is_control) {
        Some("the name contains control characters")
    } else {
        None
    }
}

/// A name made safe to print: control characters, bidirectional overrides and other
/// invisible formatting characters are shown as `\u{…}` escapes, so a hostile name can
/// neither drive the terminal nor disguise itself.
pub fn escape_for_terminal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if is_unsafe_to_print(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width characters, LRM, RLM
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{feff}'              // zero-width no-break space
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_pass() {
        for ok in ["a", "dir/file.txt", "ünïcode/名前.pdf", ".hidden", "a..b"] {
            assert_eq!(problem_with_path(ok), None, "{ok}");
        }
    }

    #[test]
    fn hostile_paths_are_refused() {
        let long = "x".repeat(256);
        for bad in [
            "",
            "/etc/passwd",
            "../up",
            "a/../../b",
            "a//b",
            "./a",
            "a\\b",
            "C:evil",
            "c:/x",
            "new\nline",
            "esc\u{1b}[2J",
            &long,
        ] {
            assert!(problem_with_path(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn escaping_neutralises_terminal_tricks() {
        assert_eq!(escape_for_terminal("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(
            escape_for_terminal("evil\u{202e}fdp.exe"),
            "evil\\u{202e}fdp.exe"
        );
        assert_eq!(escape_for_terminal("fine name.pdf"), "fine name.pdf");
    }
}
