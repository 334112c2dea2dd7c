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
///
/// The rules are the union of what Unix and Windows can create, since a share must open
/// the same on every platform the receiver may use: no `<>:"|?*`, no trailing dot or space,
/// and none of Windows' reserved device names (`CON`, `aux.txt`, `COM1`, …).
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
    } else if component.contains(WINDOWS_FORBIDDEN) {
        Some("the name contains a character Windows cannot store (< > : \" | ? *)")
    } else if component.ends_with(['.', ' ']) {
        Some("the name ends with a dot or a space, which Windows drops")
    } else if is_windows_device_name(component) {
        Some("the name is reserved for a device on Windows (CON, PRN, AUX, NUL, COM1, LPT1, …)")
    } else {
        None
    }
}

/// Characters Windows refuses in a file name (besides the separators and control characters
/// refused above).
const WINDOWS_FORBIDDEN: [char; 7] = ['<', '>', ':', '"', '|', '?', '*'];

/// Whether Windows treats the name as a device: `CON`, `PRN`, `AUX`, `NUL`, `COM0`–`COM9`
/// and `LPT0`–`LPT9` (with the superscript digits ¹²³ too), in any case, alone or followed
/// by an extension or by spaces before one (`aux.txt`, `nul .tar.gz`).
/// <https://learn.microsoft.com/windows/win32/fileio/naming-a-file>
fn is_windows_device_name(component: &str) -> bool {
    let stem = component
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ');
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" => true,
        _ => {
            let Some(number) = upper
                .strip_prefix("COM")
                .or_else(|| upper.strip_prefix("LPT"))
            else {
                return false;
            };
            let mut digits = number.chars();
            matches!(
                (digits.next(), digits.next()),
                (Some('0'..='9' | '\u{b9}' | '\u{b2}' | '\u{b3}'), None)
            )
        }
    }
}

/// The most characters of one untrusted text (a name, a host's reply, a library's
/// description of a malformed input) repeated in a message.
pub const MAX_UNTRUSTED_CHARS: usize = 200;

/// An untrusted text cut to [`MAX_UNTRUSTED_CHARS`], with an ellipsis when cut, so a
/// hostile input cannot make a message as large as itself. Escaping for the terminal
/// happens once, where the message is printed ([`escape_for_terminal`]).
pub fn untrusted(text: &str) -> String {
    let mut chars = text.char_indices();
    match chars.nth(MAX_UNTRUSTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A text made safe to print: control characters, bidirectional controls and other
/// invisible formatting characters are shown as `\u{…}` escapes, so a hostile name or
/// host reply can neither drive the terminal nor disguise itself. Applied once, by the
/// code that writes messages to stderr.
pub fn escape_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe_to_print(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters (Cc), line and paragraph separators (Zl, Zp), every format character
/// of Unicode's category Cf (bidirectional controls, zero-width characters, the soft
/// hyphen, invisible operators, the tag block, …) and the blank Hangul fillers.
fn is_unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}'                     // soft hyphen
            | '\u{600}'..='\u{605}'      // Arabic number signs
            | '\u{61c}'                  // Arabic letter mark (a bidirectional control)
            | '\u{6dd}' | '\u{70f}' | '\u{890}'..='\u{891}' | '\u{8e2}'
            | '\u{115f}' | '\u{1160}'    // Hangul fillers: print as nothing
            | '\u{180e}'                 // Mongolian vowel separator
            | '\u{200b}'..='\u{200f}'    // zero-width characters, LRM, RLM
            | '\u{2028}' | '\u{2029}'    // line and paragraph separators
            | '\u{202a}'..='\u{202e}'    // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}'    // word joiner, invisible operators
            | '\u{2066}'..='\u{206f}'    // bidirectional isolates, deprecated format controls
            | '\u{3164}' | '\u{ffa0}'    // Hangul fillers
            | '\u{feff}'                 // zero-width no-break space
            | '\u{fff9}'..='\u{fffb}'    // interlinear annotation controls
            | '\u{110bd}' | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'  // Egyptian hieroglyph format controls
            | '\u{1bca0}'..='\u{1bca3}'  // shorthand format controls
            | '\u{1d173}'..='\u{1d17a}'  // musical symbol format controls
            | '\u{e0000}'..='\u{e007f}'  // the tag block
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_pass() {
        for ok in [
            "a",
            "dir/file.txt",
            "ünïcode/名前.pdf",
            ".hidden",
            "a..b",
            "console.log",
            "COM10",
            "auxiliary.txt",
            "nul-results",
        ] {
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
    fn names_windows_cannot_create_are_refused() {
        for bad in [
            "CON",
            "con",
            "aux.txt",
            "Nul.tar.gz",
            "nul .txt",
            "COM1",
            "lpt9.log",
            "COM\u{b9}",
            "dir/PRN",
            "a:b",
            "what?",
            "star*",
            "pipe|d",
            "quote\"d",
            "<angle>",
            "trailing.",
            "trailing ",
            "dir./file",
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
        for invisible in [
            '\u{61c}',
            '\u{2028}',
            '\u{2029}',
            '\u{2060}',
            '\u{2064}',
            '\u{ad}',
            '\u{e0041}',
            '\u{202e}',
            '\u{200e}',
            '\u{2067}',
            '\u{feff}',
        ] {
            let escaped = escape_for_terminal(&format!("a{invisible}b"));
            assert_eq!(escaped, format!("a\\u{{{:x}}}b", u32::from(invisible)));
        }
    }

    #[test]
    fn untrusted_texts_are_cut_with_an_ellipsis() {
        assert_eq!(untrusted("short"), "short");
        let long = "é".repeat(500);
        let cut = untrusted(&long);
        assert_eq!(cut.chars().count(), MAX_UNTRUSTED_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
