//! The share payload format, sending side: the files to send, as one tar stream whose
//! exact length is known before a byte is read, so the upload can carry a Content-Length.
//!
//! The payload is a POSIX (pax) tar archive, so `age -d | tar -x` recovers it with standard
//! tools. Its first entry is a pax global header with the vendor keywords
//! `SHARE.payload=1` and `SHARE.files=<count>`: GNU and BSD tar ignore it, and `share
//! receive` uses it to tell a share payload from an arbitrary age file. Entries are
//! directories and regular files only, stored with relative `/`-separated names, mode
//! 0644/0755, uid/gid 0 and no owner names; names too long for ustar get a pax `path`.
//!
//! The archive follows the pax interchange format of POSIX.1-2008
//! (<https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_03>);
//! `docs/format.md` describes the payload as a whole.

use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};
use crate::multipart::spool::StdinSpool;
use crate::payload::{PayloadError, names};
use crate::stream::CHUNK;

/// The value of `SHARE.payload` this version writes and reads.
pub const FORMAT_VERSION: &str = "1";
/// The pax keyword of the marker that says "this is a share payload", and its version.
pub(crate) const PAYLOAD_KEY: &str = "SHARE.payload";
/// The pax keyword of the marker that gives the number of regular files in the payload.
pub(crate) const FILES_KEY: &str = "SHARE.files";

const BLOCK: u64 = 512;

/// What one entry of the payload holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A directory: a header and no data.
    Directory,
    /// A regular file and its length.
    File {
        /// The file's length in bytes, as read when the payload was planned.
        size: u64,
    },
}

/// Where an entry's content is read from.
#[derive(Clone)]
pub enum Origin {
    /// A file or directory on disk, at this path.
    Path(PathBuf),
    /// Standard input, spooled encrypted (see [`StdinSpool`]).
    Stdin(Arc<StdinSpool>),
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Path(path) => write!(f, "{}", path.display()),
            Origin::Stdin(_) => f.write_str("standard input"),
        }
    }
}

/// One entry of the payload: its name inside the share and where it is read from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The `/`-separated name inside the share (a directory's ends with `/`).
    pub name: String,
    /// Where its content is read from.
    pub source: Origin,
    /// Whether it is a directory or a file, and the file's length.
    pub content: Content,
    /// The tar header block(s) for this entry, built once so the length is known exactly.
    header: Vec<u8>,
}

/// Everything to send, ready to be streamed.
#[derive(Debug)]
pub struct Payload {
    marker: Vec<u8>,
    entries: Vec<Entry>,
    /// Things inside directories that were left out (symbolic links, sockets, devices).
    pub skipped: Vec<PathBuf>,
    /// Zero bytes written after the archive's end (see [`Payload::pad`]).
    padding: u64,
}

impl Payload {
    /// Walks the given paths (files and directories) and plans the archive. Names are the
    /// paths' last components; directories are walked recursively in sorted order, without
    /// following symbolic links inside them.
    pub fn collect(paths: &[PathBuf]) -> Result<Payload> {
        let mut entries = Vec::new();
        let mut skipped = Vec::new();
        let mut top_names = std::collections::HashSet::new();
        for path in paths {
            let name = top_level_name(path)?;
            if !top_names.insert(name.clone()) {
                return Err(PayloadError::DuplicateName { name }.into());
            }
            let metadata = fs::metadata(path).map_err(|err| input_error(path, err))?;
            if metadata.is_dir() {
                walk_directory(path, name, &metadata, &mut entries, &mut skipped)?;
            } else if metadata.is_file() {
                entries.push(Entry::new(name, path.clone(), &metadata)?);
            } else {
                return Err(PayloadError::NotFileOrDirectory { path: path.clone() }.into());
            }
        }
        let files = entries
            .iter()
            .filter(|e| matches!(e.content, Content::File { .. }))
            .count();
        Ok(Payload {
            marker: marker_header(files)?,
            entries,
            skipped,
            padding: 0,
        })
    }

    /// A payload of one file named `name`, read from standard input (already spooled).
    pub fn from_stdin(name: &str, spool: StdinSpool) -> Result<Payload> {
        if let Some(problem) = names::problem_with_component(name) {
            return Err(PayloadError::BadStdinName {
                name: name.to_owned(),
                problem,
            }
            .into());
        }
        let content = Content::File { size: spool.size };
        let now = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |age| age.as_secs());
        let header = entry_header(name, &content, 0o644, now)?;
        Ok(Payload {
            marker: marker_header(1)?,
            entries: vec![Entry {
                name: name.to_owned(),
                source: Origin::Stdin(Arc::new(spool)),
                content,
                header,
            }],
            skipped: Vec::new(),
            padding: 0,
        })
    }

    /// Pads the payload with zeros after the archive's end to the Padmé length of the
    /// archive, so the ciphertext's length shows only a size bucket ([`crate::payload::padding`]).
    pub fn pad(&mut self) {
        self.padding = crate::payload::padding::padding_for(self.archive_len());
    }

    /// The exact number of bytes [`Payload::write_to`] writes: the archive and its padding.
    pub fn len(&self) -> u64 {
        self.archive_len() + self.padding
    }

    /// The archive's length without padding: the `size` a send reports.
    pub fn archive_len(&self) -> u64 {
        let entries: u64 = self
            .entries
            .iter()
            .map(|entry| {
                let data = match entry.content {
                    Content::File { size } => padded(size),
                    Content::Directory => 0,
                };
                entry.header.len() as u64 + data
            })
            .sum();
        self.marker.len() as u64 + entries + 2 * BLOCK
    }

    /// Whether there is no entry at all (the marker and the end blocks are still written).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in the order they are written, directories before their contents.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Writes the archive. A file that changed size since it was planned is an error: the
    /// stream would no longer match its announced length, or its content what was read.
    pub fn write_to<W: Write>(&self, out: &mut W) -> Result<()> {
        out.write_all(&self.marker).map_err(sink_error)?;
        let mut buffer = vec![0u8; CHUNK];
        for entry in &self.entries {
            out.write_all(&entry.header).map_err(sink_error)?;
            if let Content::File { size } = entry.content {
                copy_entry(&entry.source, size, out, &mut buffer)?;
                out.write_all(&[0; BLOCK as usize][..(padded(size) - size) as usize])
                    .map_err(sink_error)?;
            }
        }
        out.write_all(&[0; 2 * BLOCK as usize])
            .map_err(sink_error)?;
        let zeros = [0u8; CHUNK];
        let mut left = self.padding;
        while left > 0 {
            let now = left.min(CHUNK as u64);
            out.write_all(&zeros[..now as usize]).map_err(sink_error)?;
            left -= now;
        }
        Ok(())
    }
}

/// The sink is the encryption stream feeding the upload; it fails only when the upload
/// stopped, whose own error is the one worth reporting.
fn sink_error(source: io::Error) -> Error {
    PayloadError::SinkClosed { source }.into()
}

impl Entry {
    fn new(name: String, source: PathBuf, metadata: &Metadata) -> Result<Entry> {
        let source = Origin::Path(source);
        let content = if metadata.is_dir() {
            Content::Directory
        } else {
            Content::File {
                size: metadata.len(),
            }
        };
        let mode = match content {
            Content::Directory => 0o755,
            Content::File { .. } => file_mode(metadata),
        };
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |age| age.as_secs());
        let header = entry_header(&name, &content, mode, mtime)?;
        Ok(Entry {
            name,
            source,
            content,
            header,
        })
    }
}

fn top_level_name(path: &Path) -> Result<String> {
    let resolved;
    let base = match path.file_name() {
        Some(base) => base,
        // `.`, `..` or a path ending in them: name the directory they stand for.
        None => {
            resolved = fs::canonicalize(path).map_err(|err| input_error(path, err))?;
            resolved
                .file_name()
                .ok_or_else(|| PayloadError::CannotShareWhole {
                    path: path.to_owned(),
                })?
        }
    };
    component_name(base, path)
}

fn component_name(base: &std::ffi::OsStr, path: &Path) -> Result<String> {
    let name = base.to_str().ok_or_else(|| PayloadError::NameNotUtf8 {
        path: path.to_owned(),
    })?;
    if let Some(problem) = names::problem_with_component(name) {
        return Err(PayloadError::UnsafeInputName {
            path: path.to_owned(),
            problem,
        }
        .into());
    }
    Ok(name.to_owned())
}

fn walk_directory(
    dir: &Path,
    name: String,
    metadata: &Metadata,
    entries: &mut Vec<Entry>,
    skipped: &mut Vec<PathBuf>,
) -> Result<()> {
    entries.push(Entry::new(format!("{name}/"), dir.to_owned(), metadata)?);
    let mut children = fs::read_dir(dir)
        .and_then(|iter| iter.collect::<io::Result<Vec<_>>>())
        .map_err(|err| input_error(dir, err))?;
    children.sort_by_key(|child| child.file_name());
    for child in children {
        let path = child.path();
        let child_metadata = fs::symlink_metadata(&path).map_err(|err| input_error(&path, err))?;
        let child_name = format!("{name}/{}", component_name(&child.file_name(), &path)?);
        if child_name.len() > names::MAX_PATH_BYTES {
            return Err(PayloadError::PathTooLong { path }.into());
        }
        if child_metadata.is_dir() {
            walk_directory(&path, child_name, &child_metadata, entries, skipped)?;
        } else if child_metadata.is_file() {
            entries.push(Entry::new(child_name, path, &child_metadata)?);
        } else {
            skipped.push(path);
        }
    }
    Ok(())
}

/// An input that cannot be read: missing (a usage error), forbidden or failing (exit 7).
fn input_error(path: &Path, source: io::Error) -> Error {
    let path = path.to_owned();
    match source.kind() {
        io::ErrorKind::NotFound => PayloadError::InputMissing { path, source },
        io::ErrorKind::PermissionDenied => PayloadError::InputForbidden { path, source },
        _ => PayloadError::InputUnreadable { path, source },
    }
    .into()
}

fn copy_entry<W: Write>(origin: &Origin, size: u64, out: &mut W, buffer: &mut [u8]) -> Result<()> {
    match origin {
        Origin::Path(path) => {
            let file = File::open(path).map_err(|err| input_error(path, err))?;
            copy_exactly(file, path, size, out, buffer)
        }
        Origin::Stdin(spool) => {
            let stdin = Path::new("standard input");
            let reader = spool.reader().map_err(|err| input_error(stdin, err))?;
            copy_exactly(reader, stdin, size, out, buffer)
        }
    }
}

/// Copies exactly `size` bytes, and fails if the input turns out shorter or longer.
fn copy_exactly<R: Read, W: Write>(
    mut file: R,
    path: &Path,
    size: u64,
    out: &mut W,
    buffer: &mut [u8],
) -> Result<()> {
    let changed = || -> Error {
        PayloadError::InputChanged {
            path: path.to_owned(),
        }
        .into()
    };
    let mut remaining = size;
    while remaining > 0 {
        let want = buffer
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let got = match file.read(&mut buffer[..want]) {
            Ok(0) => return Err(changed()),
            Ok(got) => got,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(input_error(path, err)),
        };
        out.write_all(&buffer[..got]).map_err(sink_error)?;
        remaining -= got as u64;
    }
    match file.read(&mut buffer[..1]) {
        Ok(0) => Ok(()),
        Ok(_) => Err(changed()),
        Err(err) => Err(input_error(path, err)),
    }
}

fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK) * BLOCK
}

fn marker_header(files: usize) -> Result<Vec<u8>> {
    let mut records = pax_record(PAYLOAD_KEY, FORMAT_VERSION);
    records.extend(pax_record(FILES_KEY, &files.to_string()));
    extension_header(tar::EntryType::XGlobalHeader, "pax_global_header", &records)
}

fn entry_header(name: &str, content: &Content, mode: u32, mtime: u64) -> Result<Vec<u8>> {
    let mut header = tar::Header::new_ustar();
    let (entry_type, size) = match content {
        Content::Directory => (tar::EntryType::Directory, 0),
        Content::File { size } => (tar::EntryType::Regular, *size),
    };
    header.set_entry_type(entry_type);
    header.set_size(size);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    let mut blocks = Vec::new();
    if header.set_path(name).is_err() {
        // Too long for ustar's name and prefix fields: a pax `path` record carries it.
        blocks = extension_header(
            tar::EntryType::XHeader,
            "PaxHeader",
            &pax_record("path", name),
        )?;
        header
            .set_path(truncated_name(name))
            .map_err(|source| tar_error(name, source))?;
    }
    header.set_cksum();
    blocks.extend_from_slice(header.as_bytes());
    Ok(blocks)
}

fn tar_error(name: &str, source: io::Error) -> Error {
    PayloadError::TarHeader {
        name: name.to_owned(),
        source,
    }
    .into()
}

/// A stand-in ustar name for tools that ignore the pax `path` record.
fn truncated_name(name: &str) -> String {
    let mut cut = name.len().min(99);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    name[..cut].replace("/", "_")
}

fn file_mode(metadata: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if metadata.permissions().mode() & 0o111 != 0 {
            return 0o755;
        }
    }
    let _ = metadata;
    0o644
}

/// A pax extended header (`x`) or global header (`g`) with its records, padded to blocks.
fn extension_header(kind: tar::EntryType, name: &str, records: &[u8]) -> Result<Vec<u8>> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header
        .set_path(name)
        .map_err(|source| tar_error(name, source))?;
    header.set_size(records.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    let mut blocks = header.as_bytes().to_vec();
    blocks.extend_from_slice(records);
    blocks.resize(BLOCK as usize + padded(records.len() as u64) as usize, 0);
    Ok(blocks)
}

/// One pax record, `"<length> <key>=<value>\n"`, where the length counts itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = key.len() + value.len() + 3; // space, '=', newline
    let mut length = body + 1;
    while body + length.to_string().len() != length {
        length = body + length.to_string().len();
    }
    format!("{length} {key}={value}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_lengths_count_themselves() {
        assert_eq!(pax_record("SHARE.files", "1"), b"17 SHARE.files=1\n");
        let long = "x".repeat(200);
        let record = pax_record("path", &long);
        let declared: usize = String::from_utf8_lossy(&record)
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(declared, record.len());
    }

    #[test]
    fn written_length_matches_prediction_and_tar_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir
            .path()
            .join("d")
            .join(format!("{}/{}", "n".repeat(120), "é".repeat(70)));
        fs::create_dir_all(deep.parent().unwrap()).unwrap();
        fs::write(&deep, b"deep").unwrap();
        fs::write(dir.path().join("a.txt"), vec![1; 1000]).unwrap();
        fs::write(dir.path().join("empty"), b"").unwrap();
        let payload = Payload::collect(&[
            dir.path().join("d"),
            dir.path().join("a.txt"),
            dir.path().join("empty"),
        ])
        .unwrap();
        let mut out = Vec::new();
        payload.write_to(&mut out).unwrap();
        assert_eq!(out.len() as u64, payload.len());

        let mut archive = tar::Archive::new(&out[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| String::from_utf8(e.unwrap().path_bytes().into_owned()).unwrap())
            .collect();
        assert_eq!(names[0], "pax_global_header");
        assert!(names.contains(&format!("d/{}/{}", "n".repeat(120), "é".repeat(70))));
        assert!(names.contains(&"a.txt".to_owned()));
    }

    #[test]
    fn duplicate_top_level_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["x", "y"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
            fs::write(dir.path().join(sub).join("same"), b"1").unwrap();
        }
        let err =
            Payload::collect(&[dir.path().join("x/same"), dir.path().join("y/same")]).unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::Usage);
    }
}
