//! Hostile files: hand-made malformed age files, and hand-built archives with dangerous
//! entries encrypted with the right passphrase, served from the stand-in. Each must fail
//! with its documented exit code and leave nothing behind, inside or outside the destination.

use std::fs;
use std::io::Write;
use std::process::Output;

use crate::support::tflink::StandIn;
use crate::support::{Sandbox, assert_failure, texts};

const PASSPHRASE: &str = "hostile-test-passphrase";

fn encrypt(plaintext: &[u8]) -> Vec<u8> {
    encrypt_with_work_factor(plaintext, 2)
}

fn encrypt_with_work_factor(plaintext: &[u8], work_factor: u8) -> Vec<u8> {
    let encryptor =
        share_client::crypto::passphrase_encryptor(PASSPHRASE.into(), work_factor).unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plaintext).unwrap();
    writer.finish().unwrap();
    out
}

/// Serves `file` and receives it into a fresh sandbox.
fn receive(file: Vec<u8>) -> (Sandbox, Output) {
    let server = StandIn::start();
    let link = server.host_file("share.age", file);
    let sandbox = Sandbox::new();
    let output = sandbox
        .share(&server)
        .args(["receive", &link])
        .env("SHARE_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    (sandbox, output)
}

/// Nothing in the destination, nothing beside it.
fn assert_nothing_written(sandbox: &Sandbox) {
    assert!(
        Sandbox::listing(&sandbox.work()).is_empty(),
        "{:?}",
        Sandbox::listing(&sandbox.work())
    );
    assert_eq!(Sandbox::listing(sandbox.root.path()), vec!["home", "work"]);
    assert!(Sandbox::listing(&sandbox.home()).is_empty());
}

// --- Malformed age files ------------------------------------------------------------

fn header_end(file: &[u8]) -> usize {
    file.windows(4).position(|w| w == b"\n---").unwrap() + 1
}

#[test]
fn malformed_age_files_exit_4() {
    let valid = encrypt(&vec![3u8; 150_000]);
    let text_end = header_end(&valid);
    let stanza_start = valid.iter().position(|&b| b == b'\n').unwrap() + 1;
    let stanza = valid[stanza_start..text_end].to_vec();
    let rest = valid[text_end..].to_vec();
    let with_header = |lines: &[u8]| [&b"age-encryption.org/v1\n"[..], lines, &rest].concat();

    let mut wrong_mac = valid.clone();
    let mac_at = text_end + 4;
    let replacement = if wrong_mac[mac_at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    wrong_mac[mac_at] = replacement;

    let x25519 = b"-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\nEmECAEcKN+n/Vs9SbWiV+Hu0r+E8R77DdWYyd83nw7U\n";
    let salt_and_factor = |factor: &str| {
        let text = String::from_utf8(stanza.clone()).unwrap();
        let mut lines = text.lines();
        let first = lines.next().unwrap();
        let salt = first.split(' ').nth(2).unwrap();
        let body = lines.next().unwrap();
        format!("-> scrypt {salt} {factor}\n{body}\n").into_bytes()
    };

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not age",
            b"PK\x03\x04 a zip file, not age".to_vec(),
            "did not return an age file",
        ),
        (
            "unknown version",
            b"age-encryption.org/v2\n-> future stanza\n--- abc\n".to_vec(),
            "format version",
        ),
        (
            "broken header",
            b"age-encryption.org/v1\n-> scrypt\n\x00\x01garbage".to_vec(),
            "age",
        ),
        ("header MAC wrong", wrong_mac, "integrity check"),
        (
            "two scrypt stanzas",
            with_header(&[&stanza[..], &stanza[..]].concat()),
            "malformed",
        ),
        (
            "scrypt and X25519",
            with_header(&[&x25519[..], &stanza].concat()),
            "malformed",
        ),
        (
            "work factor not canonical",
            with_header(&salt_and_factor("018")),
            "malformed",
        ),
        (
            "work factor not a number",
            with_header(&salt_and_factor("x")),
            "malformed",
        ),
        ("empty", Vec::new(), "did not return an age file"),
    ];
    // The reconstruction itself is sound: the unchanged stanza still decrypts.
    let (_, output) = receive(with_header(&salt_and_factor(&{
        let text = String::from_utf8(stanza.clone()).unwrap();
        text.lines()
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    })));
    assert!(output.status.success(), "{}", texts(&output).1);

    for (what, file, needle) in cases {
        let (sandbox, output) = receive(file);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert_nothing_written(&sandbox);
    }
}

#[test]
fn a_huge_work_factor_is_refused_before_scrypt_runs() {
    let valid = encrypt(b"x");
    let text = String::from_utf8_lossy(&valid[..header_end(&valid)]).into_owned();
    let factor = text
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let crafted = [
        text.replacen(&format!(" {factor}\n"), " 30\n", 1)
            .as_bytes(),
        &valid[header_end(&valid)..],
    ]
    .concat();
    let started = std::time::Instant::now();
    let (sandbox, output) = receive(crafted);
    assert_failure(&output, 4, "work factor 30, above the cap of 20");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_nothing_written(&sandbox);
}

#[test]
fn payload_damage_anywhere_exits_4() {
    let valid = encrypt(&vec![9u8; 200_000]);
    let payload_start = header_end(&valid) + 44 + 16; // MAC line, then the nonce
    let chunk = 64 * 1024 + 16;
    let last_chunk_start = payload_start + 3 * chunk;
    let flip = |at: usize| {
        let mut damaged = valid.clone();
        damaged[at] ^= 0x80;
        damaged
    };
    let cases = vec![
        ("first chunk", flip(payload_start + 10)),
        ("middle chunk", flip(payload_start + chunk + 500)),
        ("last chunk", flip(valid.len() - 5)),
        ("missing final chunk", valid[..last_chunk_start].to_vec()),
        (
            "trailing garbage",
            [&valid[..], b"trailing garbage"].concat(),
        ),
    ];
    for (what, file) in cases {
        let (sandbox, output) = receive(file);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert_nothing_written(&sandbox);
    }
}

// --- Hostile archives ----------------------------------------------------------------

/// The share marker for `files` regular files.
fn marker(files: usize) -> Vec<u8> {
    let records = format!(
        "{}{}",
        record("SHARE.payload", "1"),
        record("SHARE.files", &files.to_string())
    );
    extension(tar::EntryType::XGlobalHeader, records.as_bytes())
}

fn record(key: &str, value: &str) -> String {
    let body = key.len() + value.len() + 3;
    let mut length = body + 1;
    while body + length.to_string().len() != length {
        length = body + length.to_string().len();
    }
    format!("{length} {key}={value}\n")
}

fn extension(kind: tar::EntryType, records: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_path("pax").unwrap();
    header.set_size(records.len() as u64);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(records);
    out.resize(512 + records.len().div_ceil(512) * 512, 0);
    out
}

/// One raw entry: the name and link bytes go in unchecked, as a hostile tool would write them.
fn entry(name: &[u8], kind: tar::EntryType, data: &[u8], link: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    {
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name);
        old.linkname[..link.len()].copy_from_slice(link);
    }
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(512 + data.len().div_ceil(512) * 512, 0);
    out
}

fn file(name: &[u8], data: &[u8]) -> Vec<u8> {
    entry(name, tar::EntryType::Regular, data, b"")
}

/// A file whose name comes from a pax `path` record (for names beyond ustar's fields).
fn long_named_file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = extension(tar::EntryType::XHeader, record("path", name).as_bytes());
    out.extend(file(b"placeholder", data));
    out
}

fn archive(files: usize, entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = marker(files);
    for entry in entries {
        out.extend_from_slice(entry);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

#[test]
fn hostile_archive_entries_are_refused_and_nothing_escapes() {
    let outside = format!("/tmp/share-hostile-{}", std::process::id());
    let long = "n".repeat(5000);
    let long_part = format!("d/{}", "p".repeat(300));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "absolute path",
            archive(1, &[file(outside.as_bytes(), b"x")]),
            "absolute path",
        ),
        (
            "dot-dot",
            archive(1, &[file(b"../escaped.txt", b"x")]),
            "climbs out",
        ),
        (
            "nested dot-dot",
            archive(1, &[file(b"a/../../escaped.txt", b"x")]),
            "climbs out",
        ),
        (
            "drive letter",
            archive(1, &[file(b"C:escaped.txt", b"x")]),
            "drive letter",
        ),
        (
            "backslashes",
            archive(1, &[file(b"dir\\..\\escaped.txt", b"x")]),
            "backslash",
        ),
        (
            "symlink out",
            archive(
                1,
                &[
                    entry(b"link", tar::EntryType::Symlink, b"", b"/etc"),
                    file(b"link/passwd", b"x"),
                ],
            ),
            "symbolic link",
        ),
        (
            "hard link out",
            archive(
                0,
                &[entry(b"hard", tar::EntryType::Link, b"", b"/etc/passwd")],
            ),
            "hard link",
        ),
        (
            "device node",
            archive(0, &[entry(b"dev", tar::EntryType::Char, b"", b"")]),
            "device node",
        ),
        (
            "FIFO",
            archive(0, &[entry(b"pipe", tar::EntryType::Fifo, b"", b"")]),
            "FIFO",
        ),
        (
            "duplicate",
            archive(2, &[file(b"same.txt", b"1"), file(b"same.txt", b"2")]),
            "appears twice",
        ),
        (
            "newline",
            archive(1, &[file(b"a\nb.txt", b"x")]),
            "control characters",
        ),
        (
            "escape sequence",
            archive(1, &[file(b"\x1b]0;owned\x07\x1b[2J.txt", b"x")]),
            "control characters",
        ),
        (
            "very long name",
            archive(1, &[long_named_file(&long, b"x")]),
            "too long",
        ),
        (
            "very long part",
            archive(1, &[long_named_file(&long_part, b"x")]),
            "longer than 255 bytes",
        ),
        (
            "not UTF-8",
            archive(1, &[file(b"caf\xe9.txt", b"x")]),
            "not UTF-8",
        ),
        (
            "huge declared size",
            archive(
                1,
                &[{
                    let mut huge = file(b"huge.bin", b"");
                    let mut header = tar::Header::new_gnu();
                    header.as_mut_bytes().copy_from_slice(&huge[..512]);
                    header.set_size(1 << 40);
                    header.set_cksum();
                    huge[..512].copy_from_slice(header.as_bytes());
                    huge
                }],
            ),
            "malformed",
        ),
        (
            "file count mismatch",
            archive(3, &[file(b"one.txt", b"1")]),
            "does not match",
        ),
    ];
    for (what, plaintext, needle) in cases {
        let (sandbox, output) = receive(encrypt(&plaintext));
        let (stdout, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert!(stderr.contains(needle), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr:?}");
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
            "{what}: raw control characters printed"
        );
        assert!(stdout.is_empty());
        assert_nothing_written(&sandbox);
        assert!(!std::path::Path::new(&outside).exists(), "{what} escaped");
        assert!(
            !sandbox.root.path().join("escaped.txt").exists(),
            "{what} escaped"
        );
    }
}

#[test]
fn many_tiny_entries_unpack() {
    let entries: Vec<Vec<u8>> = (0..5000)
        .map(|i| file(format!("many/{i:05}.txt").as_bytes(), b"x"))
        .collect();
    let (sandbox, output) = receive(encrypt(&archive(5000, &entries)));
    assert!(output.status.success(), "{}", texts(&output).1);
    assert_eq!(
        fs::read_dir(sandbox.work().join("many")).unwrap().count(),
        5000
    );
}

#[test]
fn bidirectional_overrides_are_escaped_on_the_terminal() {
    let name = "invoice\u{202e}fdp.exe";
    let (sandbox, output) = receive(encrypt(&archive(1, &[file(name.as_bytes(), b"x")])));
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("invoice\\u{202e}fdp.exe"), "{stderr}");
    assert!(!stderr.contains('\u{202e}'));
    assert_eq!(fs::read(sandbox.work().join(name)).unwrap(), b"x");
}

// --- Untrusted text in messages --------------------------------------------------------

/// Asserts that `stderr` carries no byte that could drive a terminal.
fn assert_no_raw_controls(what: &str, stderr: &str) {
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}') && !stderr.contains('\u{9b}'),
        "{what}: raw control characters printed: {stderr:?}"
    );
}

/// A host (which holds no key) serving an "index" whose unknown field name is an escape
/// sequence cannot retitle the terminal or clear it: serde's error quotes the name, and
/// the message shows it escaped.
#[test]
fn an_index_field_name_cannot_drive_the_terminal() {
    let server = StandIn::start();
    let index = r#"{"share_index":1,"size":1,"parts":[],"\u001b]0;owned\u0007\u001b[2Jevil":1}"#;
    let link = server.host_file("share-index.json", index.as_bytes().to_vec());
    let sandbox = Sandbox::new();
    let output = sandbox.receive(&server, &link, PASSPHRASE, &[]);
    assert_failure(&output, 4, "unknown field");
    let (_, stderr) = texts(&output);
    assert!(!output.stderr.contains(&0x1b) && !output.stderr.contains(&0x07));
    assert!(
        stderr.contains("\\u{1b}]0;owned\\u{7}\\u{1b}[2Jevil"),
        "{stderr}"
    );
    assert_nothing_written(&sandbox);
}

/// A tar header whose numeric field holds an escape sequence (the tar crate quotes the
/// field and the entry's path in its description) is refused without printing either raw.
#[test]
fn escape_sequences_in_tar_header_fields_are_not_printed_raw() {
    let mut bad = file(b"\x1b]0;title\x07\x1b[2J.txt", b"x");
    let mut header = tar::Header::new_gnu();
    header.as_mut_bytes().copy_from_slice(&bad[..512]);
    header.as_old_mut().size = *b"\x1b]0;t\x07\0\0\0\0\0\0";
    header.set_cksum();
    bad[..512].copy_from_slice(header.as_bytes());
    let (sandbox, output) = receive(encrypt(&archive(1, &[bad])));
    assert_failure(&output, 4, "malformed");
    let (_, stderr) = texts(&output);
    assert!(stderr.contains("\\u{1b}]0;t\\u{7}"), "{stderr}");
    assert_no_raw_controls("size field", &stderr);
    assert_nothing_written(&sandbox);
}

/// Invisible characters that the name rules let through (the Arabic letter mark, the line
/// separator, the word joiner, the soft hyphen, a tag character, the left-to-right mark)
/// are written to disk as they are, but the `wrote` lines show them escaped.
#[test]
fn invisible_characters_in_names_are_escaped_in_status_lines() {
    let invisibles = [
        '\u{61c}',
        '\u{2028}',
        '\u{2060}',
        '\u{ad}',
        '\u{e0041}',
        '\u{200e}',
    ];
    let names: Vec<String> = invisibles
        .iter()
        .map(|c| format!("in{c}visible-{:x}.txt", u32::from(*c)))
        .collect();
    let entries: Vec<Vec<u8>> = names.iter().map(|n| file(n.as_bytes(), b"x")).collect();
    let (sandbox, output) = receive(encrypt(&archive(names.len(), &entries)));
    let (_, stderr) = texts(&output);
    assert!(output.status.success(), "{stderr}");
    for (c, name) in invisibles.iter().zip(&names) {
        let code = u32::from(*c);
        assert!(
            stderr.contains(&format!("wrote in\\u{{{code:x}}}visible-{code:x}.txt")),
            "{code:x} not escaped: {stderr:?}"
        );
        assert!(!stderr.contains(*c), "{code:x} printed raw: {stderr:?}");
        assert_eq!(fs::read(sandbox.work().join(name)).unwrap(), b"x");
    }
}

// --- Oversized age headers ---------------------------------------------------------------

/// An age header far larger than any real one (many stanzas, or one endless line) is
/// refused before the age crate parses it: the crate re-parses the header after every
/// line, which costs quadratic time on a crafted file.
#[test]
fn an_oversized_age_header_is_refused_before_age_parses_it() {
    let mac = format!("--- {}\n", "A".repeat(43));
    let many_stanzas = |size: usize| {
        let mut header = b"age-encryption.org/v1\n".to_vec();
        while header.len() < size {
            header.extend_from_slice(b"-> X25519 AAAA\n\n");
        }
        [header, mac.clone().into_bytes(), vec![0u8; 100]].concat()
    };
    let one_long_line = [
        b"age-encryption.org/v1\n-> X25519 ".to_vec(),
        vec![b'A'; 200_000],
        b"\n\n".to_vec(),
        mac.clone().into_bytes(),
        vec![0u8; 100],
    ]
    .concat();
    for (what, file) in [
        ("100 KB of stanzas", many_stanzas(100_000)),
        ("1 MB of stanzas", many_stanzas(1_000_000)),
        ("one 200 KB line", one_long_line),
    ] {
        let (sandbox, output) = receive(file);
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{what}: {stderr}");
        assert!(stderr.contains("larger than 64 KiB"), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert_nothing_written(&sandbox);
    }
}

// --- Bounded extension records -------------------------------------------------------------

/// A GNU long name of 20 MB, a pax header with a 20 MB `path`, and a 4000-byte name with
/// a control character are refused with one short line: extension records are bounded
/// before they are read, and an untrusted name is cut (with an ellipsis) when it is echoed.
#[test]
fn huge_names_are_refused_without_being_echoed_whole() {
    let huge = vec![b'n'; 20_000_000];
    let gnu_long_name = {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::GNULongName);
        header.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        header.set_size(huge.len() as u64 + 1);
        header.set_mode(0o644);
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.extend_from_slice(&huge);
        out.push(0);
        out.resize(512 + (huge.len() + 1).div_ceil(512) * 512, 0);
        out.extend(file(b"placeholder", b"x"));
        out
    };
    let pax_path = long_named_file(std::str::from_utf8(&huge).unwrap(), b"x");
    let long_bad = format!("{}bad\u{1b}[2J.txt", "abcdefg/".repeat(500));
    let cut_name = format!("unsafe name \"{}…\"", &long_bad[..200]);
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "GNU long name",
            archive(1, &[gnu_long_name]),
            vec!["a GNU long name is longer than 4096 bytes"],
        ),
        (
            "pax path",
            archive(1, &[pax_path]),
            vec!["is larger than any name needs"],
        ),
        (
            "long name with a control character",
            archive(1, &[long_named_file(&long_bad, b"x")]),
            vec![&cut_name, "control characters"],
        ),
    ];
    for (what, plaintext, needles) in cases {
        let (sandbox, output) = receive(encrypt(&plaintext));
        let (_, stderr) = texts(&output);
        let start: String = stderr.chars().take(300).collect();
        assert_eq!(output.status.code(), Some(4), "{what}: {start}");
        assert!(
            output.stderr.len() < 1000,
            "{what}: {} bytes on stderr: {start}",
            output.stderr.len()
        );
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        for needle in needles {
            assert!(stderr.contains(needle), "{what}: {stderr}");
        }
        assert_no_raw_controls(what, &stderr);
        assert_nothing_written(&sandbox);
    }
}

/// A pax `size` record (which `tar -x` would honour, reading the archive differently from
/// share) makes the payload invalid.
#[test]
fn a_pax_size_record_is_refused() {
    let mut sized = extension(tar::EntryType::XHeader, record("size", "1").as_bytes());
    sized.extend(file(b"a.txt", b"x"));
    let (sandbox, output) = receive(encrypt(&archive(1, &[sized])));
    assert_failure(&output, 4, "`size`, which share does not accept");
    assert_nothing_written(&sandbox);
}

/// Names Windows cannot create (device names, `:`, a trailing dot or space) are refused on
/// receive, as on send, so a share opens the same on every platform.
#[test]
fn names_windows_cannot_create_are_refused_on_receive() {
    for name in [
        "CON",
        "aux.txt",
        "a:b",
        "trailing.",
        "trailing ",
        "nul .txt",
        "COM1",
        "dir/PRN",
    ] {
        let (sandbox, output) = receive(encrypt(&archive(1, &[file(name.as_bytes(), b"x")])));
        let (_, stderr) = texts(&output);
        assert_eq!(output.status.code(), Some(4), "{name:?}: {stderr}");
        assert!(stderr.contains("unsafe name"), "{name:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name:?}: {stderr}");
        assert_nothing_written(&sandbox);
    }
}

// --- Padding ---------------------------------------------------------------------------

fn padded_payload(size: usize) -> (Vec<u8>, u64) {
    let source = tempfile::tempdir().unwrap();
    let path = source.path().join("padded.bin");
    fs::write(&path, vec![9u8; size]).unwrap();
    let mut payload = share_client::payload::pack::Payload::collect(&[path]).unwrap();
    let archive_len = payload.archive_len();
    payload.pad();
    let mut bytes = Vec::new();
    payload.write_to(&mut bytes).unwrap();
    (bytes, archive_len)
}

#[test]
fn padme_padding_is_accepted_but_more_zeros_than_it_gives_exit_4() {
    let (bytes, archive_len) = padded_payload(300_000);
    assert!(bytes.len() as u64 > archive_len);
    let (sandbox, output) = receive(encrypt(&bytes));
    assert!(output.status.success(), "{:?}", texts(&output));
    assert_eq!(
        fs::read(sandbox.work().join("padded.bin")).unwrap().len(),
        300_000
    );

    let mut overlong = bytes.clone();
    overlong.extend_from_slice(&[0u8; 512]);
    let (sandbox, output) = receive(encrypt(&overlong));
    assert_failure(&output, 4, "more padding follows the archive");
    assert_nothing_written(&sandbox);

    let mut not_zeros = bytes;
    *not_zeros.last_mut().unwrap() = 1;
    let (sandbox, output) = receive(encrypt(&not_zeros));
    assert_failure(&output, 4, "data follows the end of the archive");
    assert_nothing_written(&sandbox);
}
