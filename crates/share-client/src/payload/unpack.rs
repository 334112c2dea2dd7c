//! The share payload format, receiving side: turning a decrypted stream from an untrusted
//! sender into files inside a staging directory, or into bytes on standard output.
//!
//! Every name is checked with [`names::problem_with_path`]; only directories and regular
//! files are accepted (links, devices and FIFOs make the payload invalid), duplicates are
//! refused, files are created new with mode 0600 and directories with 0700, and nothing is
//! created outside the staging directory. Each failure is told apart: the input failing
//! (network or authentication, classified by whoever produced it), the archive being
//! malformed (exit 4), or writing locally failing (exit 7).
//!
//! The archive is read as the pax interchange format of POSIX.1-2008
//! (<https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_03>),
//! limited to what `docs/format.md` allows.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::rc::Rc;

use crate::crypto;
use crate::error::{Error, Result};
use crate::local::LocalError;
use crate::payload::pack::{FILES_KEY, FORMAT_VERSION, PAYLOAD_KEY};
use crate::payload::{PayloadError, names};
use crate::stream::CHUNK;

/// The most entries a payload may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// Enough leading plaintext to hold the marker: its header block and its records.
pub const MARKER_PEEK: usize = 1024;

/// What the marker at the start of a share payload says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// `SHARE.files`: how many regular files the payload holds.
    pub files: u64,
}

/// One regular file written, by its `/`-separated name inside the share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file's name inside the share, checked by [`names::problem_with_path`].
    pub name: String,
    /// Its length in bytes.
    pub size: u64,
}

/// Everything a payload produced in the staging directory.
#[derive(Debug, Default)]
pub struct Unpacked {
    /// Every regular file, in the order the payload held them.
    pub files: Vec<Written>,
    /// The first components of all names, in order of appearance, with whether each is a
    /// directory: what gets moved into place.
    pub top_level: Vec<(String, bool)>,
}

/// Reads the share marker from the leading plaintext. `Ok(None)` means this is not a share
/// payload (an arbitrary age file); a marker from a newer format version is an error.
pub fn read_marker(prefix: &[u8]) -> Result<Option<Marker>> {
    let mut archive = tar::Archive::new(prefix);
    let Some(Ok(mut first)) = archive
        .entries()
        .ok()
        .and_then(|mut entries| entries.next())
    else {
        return Ok(None);
    };
    if first.header().entry_type() != tar::EntryType::XGlobalHeader {
        return Ok(None);
    }
    let (mut version, mut files) = (None, None);
    if let Ok(Some(extensions)) = first.pax_extensions() {
        for extension in extensions.flatten() {
            match (extension.key(), extension.value()) {
                (Ok(PAYLOAD_KEY), Ok(value)) => version = Some(value.to_owned()),
                (Ok(FILES_KEY), Ok(value)) => files = value.parse::<u64>().ok(),
                _ => {}
            }
        }
    }
    match (version.as_deref(), files) {
        (None, _) => Ok(None),
        (Some(FORMAT_VERSION), Some(files)) => Ok(Some(Marker { files })),
        (Some(FORMAT_VERSION), None) => Err(PayloadError::MarkerWithoutCount.into()),
        (Some(_), _) => Err(PayloadError::NewerFormat.into()),
    }
}

/// Remembers the first error the input reported, classified, so that a failure surfacing
/// through the tar parser is blamed on its real cause and not on the archive.
/// It also counts the bytes read, so the padding after the archive can be measured.
struct Guarded<R> {
    inner: R,
    failure: Rc<RefCell<Option<Error>>>,
    consumed: u64,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .inspect(|read| self.consumed += *read as u64)
            .map_err(|err| {
                let classified = crypto::payload_read_error(err);
                let text = classified.to_string();
                self.failure.borrow_mut().get_or_insert(classified);
                io::Error::other(text)
            })
    }
}

struct Input<R> {
    reader: Guarded<R>,
    failure: Rc<RefCell<Option<Error>>>,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        let failure = Rc::new(RefCell::new(None));
        Input {
            reader: Guarded {
                inner,
                failure: Rc::clone(&failure),
                consumed: 0,
            },
            failure,
        }
    }
}

/// The cause of a read failure: the input's own, if it reported one, else a malformed archive.
/// The tar crate's descriptions quote header fields and names: the error shows them as
/// untrusted text.
fn read_failure(failure: &RefCell<Option<Error>>, source: io::Error) -> Error {
    failure
        .borrow_mut()
        .take()
        .unwrap_or_else(|| PayloadError::Unreadable { source }.into())
}

fn malformed(error: PayloadError) -> Error {
    error.into()
}

/// The largest pax extended header accepted: a `path` record of at most
/// [`names::MAX_PATH_BYTES`] and a few short ones. The tar crate would read any size
/// whole into memory.
const MAX_EXTENSION_BYTES: u64 = 16 * 1024;

/// pax keywords a share entry may carry (POSIX.1-2008, pax "Extended Header Keywords").
/// Others (`size`, `linkpath`, `GNU.sparse.*`, …) would make `tar -x` read the archive
/// differently from share, so they make the payload invalid.
const ACCEPTED_PAX_KEYS: &[&str] = &[
    "path", "mtime", "atime", "ctime", "uid", "gid", "uname", "gname", "comment",
];

/// One entry of a share payload with its name, as [`each_entry`] hands it on.
struct Item<'a, 'b, R: Read> {
    name: String,
    entry_type: tar::EntryType,
    entry: &'a mut tar::Entry<'b, R>,
}

/// Walks a share payload's entries after its marker, in tar's raw mode: extension
/// headers (pax `x` records, GNU long names) are bounded and applied here instead of
/// being read whole by the tar crate, and only the pax keywords share understands are
/// accepted. Each entry gets its UTF-8 name; the input's own failures keep their cause.
/// Between entries, a stop request ends the walk.
fn each_entry<R: Read>(
    archive: &mut tar::Archive<Guarded<R>>,
    failure: &RefCell<Option<Error>>,
    mut handle: impl FnMut(Item<'_, '_, Guarded<R>>) -> Result<()>,
) -> Result<()> {
    let entries = archive
        .entries()
        .map_err(|err| read_failure(failure, err))?
        .raw(true);
    let mut pending_name: Option<Vec<u8>> = None;
    let mut count = 0usize;
    for (index, entry) in entries.enumerate() {
        crate::local::cleanup::check_stop()?;
        let mut entry = entry.map_err(|err| read_failure(failure, err))?;
        let entry_type = entry.header().entry_type();
        if index == 0 {
            // The marker, already read by `read_marker`.
            continue;
        }
        match entry_type {
            tar::EntryType::XHeader => {
                if pending_name.is_some() {
                    return Err(malformed(PayloadError::TwoExtendedHeaders));
                }
                let records = read_extension(&mut entry, MAX_EXTENSION_BYTES, failure)?;
                pending_name = Some(pax_path(&records)?.unwrap_or_default());
                continue;
            }
            tar::EntryType::GNULongName => {
                if pending_name.is_some() {
                    return Err(malformed(PayloadError::TwoExtendedHeaders));
                }
                let mut long =
                    read_extension(&mut entry, names::MAX_PATH_BYTES as u64 + 1, failure)
                        .map_err(|_| malformed(PayloadError::LongNameTooLong))?;
                while long.last() == Some(&0) {
                    long.pop();
                }
                pending_name = Some(long);
                continue;
            }
            tar::EntryType::XGlobalHeader => {
                return Err(malformed(PayloadError::SecondGlobalHeader));
            }
            _ => {}
        }
        count += 1;
        if count > MAX_ENTRIES {
            return Err(malformed(PayloadError::TooManyEntries));
        }
        let raw_name = match pending_name.take() {
            Some(name) if !name.is_empty() => name,
            _ => entry.path_bytes().into_owned(),
        };
        let name = String::from_utf8(raw_name).map_err(|err| PayloadError::EntryNameNotUtf8 {
            name: String::from_utf8_lossy(err.as_bytes()).into_owned(),
        })?;
        handle(Item {
            name,
            entry_type,
            entry: &mut entry,
        })?;
    }
    if pending_name.is_some() {
        return Err(malformed(PayloadError::DanglingExtension));
    }
    Ok(())
}

/// The data of an extension entry, refused when larger than `limit`.
fn read_extension<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    limit: u64,
    failure: &RefCell<Option<Error>>,
) -> Result<Vec<u8>> {
    if entry.size() > limit {
        return Err(malformed(PayloadError::ExtensionTooLarge {
            size: entry.size(),
        }));
    }
    let mut data = Vec::with_capacity(entry.size() as usize);
    entry
        .read_to_end(&mut data)
        .map_err(|err| read_failure(failure, err))?;
    Ok(data)
}

/// The `path` of a pax extended header, after checking every record's keyword.
fn pax_path(records: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut path = None;
    for record in tar::PaxExtensions::new(records) {
        let record = record.map_err(|_| malformed(PayloadError::NotPaxRecords))?;
        let key = record
            .key()
            .map_err(|_| malformed(PayloadError::KeywordNotUtf8))?;
        if !ACCEPTED_PAX_KEYS.contains(&key) {
            return Err(malformed(PayloadError::KeywordRefused {
                keyword: key.to_owned(),
            }));
        }
        if key == "path" {
            path = Some(record.value_bytes().to_vec());
        }
    }
    Ok(path)
}

/// Unpacks a share payload (marker first) into `staging`, which must be an empty
/// directory this process created. The input must end right after the archive.
/// `check_entry(name, is_dir, size)` runs for every entry before it is written, so a
/// conflict at the destination (or too little space for the file) stops the receive as
/// soon as the entry is known.
pub fn unpack<R: Read>(
    input: R,
    marker: Marker,
    staging: &Path,
    check_entry: &dyn Fn(&str, bool, u64) -> Result<()>,
) -> Result<Unpacked> {
    let Input { reader, failure } = Input::new(input);
    let mut archive = tar::Archive::new(reader);
    let mut unpacked = Unpacked::default();
    let mut seen = HashSet::new();
    let mut buffer = vec![0u8; CHUNK];
    each_entry(&mut archive, &failure, |item| {
        let Item {
            name,
            entry_type,
            entry,
        } = item;
        let is_dir = entry_type == tar::EntryType::Directory;
        let name = if is_dir {
            name.trim_end_matches('/').to_owned()
        } else {
            name
        };
        if let Some(problem) = names::problem_with_path(&name) {
            return Err(PayloadError::UnsafeName { name, problem }.into());
        }
        if !seen.insert(name.clone()) {
            return Err(PayloadError::DuplicateEntry { name }.into());
        }
        check_entry(&name, is_dir, entry.size())?;
        let target = staging.join(&name);
        match entry_type {
            tar::EntryType::Directory => {
                create_parents(staging, &name)?;
                create_directory(&target)?;
            }
            tar::EntryType::Regular => {
                create_parents(staging, &name)?;
                let size = write_file(entry, &target, &mut buffer, &failure)?;
                unpacked.files.push(Written {
                    name: name.clone(),
                    size,
                });
            }
            other => {
                return Err(PayloadError::SpecialEntry {
                    name,
                    entry_type: describe_type(other),
                }
                .into());
            }
        }
        let top = name.split('/').next().unwrap_or_default().to_owned();
        if !unpacked
            .top_level
            .iter()
            .any(|(existing, _)| *existing == top)
        {
            unpacked
                .top_level
                .push((top.clone(), is_dir || name != top));
        }
        Ok(())
    })?;
    if unpacked.files.len() as u64 != marker.files {
        return Err(malformed(PayloadError::CountMismatch));
    }
    let mut rest = archive.into_inner();
    expect_only_zeros(&mut rest, &mut buffer, &failure)?;
    Ok(unpacked)
}

/// Streams the one regular file of a single-file share payload to `out`.
pub fn unpack_single_to<R: Read, W: Write>(input: R, out: &mut W) -> Result<u64> {
    let Input { reader, failure } = Input::new(input);
    let mut archive = tar::Archive::new(reader);
    let mut buffer = vec![0u8; CHUNK];
    let mut written = None;
    each_entry(&mut archive, &failure, |item| {
        match item.entry_type {
            tar::EntryType::Directory => {}
            tar::EntryType::Regular if written.is_none() => {
                if let Some(problem) = names::problem_with_path(&item.name) {
                    return Err(PayloadError::UnsafeName {
                        name: item.name,
                        problem,
                    }
                    .into());
                }
                crate::local::cleanup::mark(crate::local::cleanup::Done::PartialStdout);
                written = Some(copy(
                    item.entry,
                    out,
                    &mut buffer,
                    &failure,
                    LocalError::output,
                )?);
            }
            _ => {
                return Err(malformed(PayloadError::MoreThanOneFile));
            }
        }
        Ok(())
    })?;
    let mut rest = archive.into_inner();
    expect_only_zeros(&mut rest, &mut buffer, &failure)?;
    written.ok_or_else(|| malformed(PayloadError::NoFile))
}

/// Copies an arbitrary (non-share) age payload byte for byte.
pub fn copy_raw<R: Read, W: Write>(
    input: R,
    out: &mut W,
    on_write_error: impl Fn(io::Error) -> Error,
) -> Result<u64> {
    let Input {
        mut reader,
        failure,
    } = Input::new(input);
    let mut buffer = vec![0u8; CHUNK];
    copy(&mut reader, out, &mut buffer, &failure, on_write_error)
}

/// Writes an arbitrary (non-share) age payload to a new file with mode 0600.
pub fn write_raw<R: Read>(input: R, target: &Path) -> Result<u64> {
    let mut file = create_file(target)?;
    copy_raw(input, &mut file, |err| LocalError::io("write", target, err))
}

fn copy<R: Read, W: Write>(
    reader: &mut R,
    out: &mut W,
    buffer: &mut [u8],
    failure: &RefCell<Option<Error>>,
    on_write_error: impl Fn(io::Error) -> Error,
) -> Result<u64> {
    let mut total = 0u64;
    loop {
        let read = match reader.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(read_failure(failure, err)),
        };
        out.write_all(&buffer[..read]).map_err(&on_write_error)?;
        total += read as u64;
    }
    out.flush().map_err(on_write_error)?;
    Ok(total)
}

fn write_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    target: &Path,
    buffer: &mut [u8],
    failure: &RefCell<Option<Error>>,
) -> Result<u64> {
    let declared = entry.size();
    let mut file = create_file(target)?;
    let written = copy(entry, &mut file, buffer, failure, |err| {
        LocalError::io("write", target, err)
    })?;
    if written != declared {
        return Err(malformed(PayloadError::EntryTooShort));
    }
    Ok(written)
}

/// After the archive's end, only zero padding may follow; reading it to the end also
/// makes the decryptor authenticate the final chunk.
/// Reads what follows the archive's first end block: the second end block and the Padmé
/// padding, all zeros, and no more of them than Padmé gives an archive of this length
/// ([`crate::payload::padding`]). Anything else after the end is refused (exit 4).
fn expect_only_zeros<R: Read>(
    rest: &mut Guarded<R>,
    buffer: &mut [u8],
    failure: &RefCell<Option<Error>>,
) -> Result<()> {
    // The tar reader stops after the first all-zero block; the archive proper ends one
    // block later, with the second.
    let archive_len = rest.consumed + 512;
    let allowed = crate::payload::padding::padme(archive_len).max(archive_len);
    loop {
        match rest.read(buffer) {
            Ok(0) => return Ok(()),
            Ok(read) if buffer[..read].iter().all(|&b| b == 0) => {
                if rest.consumed > allowed {
                    return Err(malformed(PayloadError::ExcessPadding));
                }
            }
            Ok(_) => return Err(malformed(PayloadError::TrailingData)),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(read_failure(failure, err)),
        }
    }
}

fn create_file(target: &Path) -> Result<fs::File> {
    crate::local::private::create_new_file(target).map_err(|err| {
        if err.kind() == io::ErrorKind::AlreadyExists {
            malformed(PayloadError::SamePlace)
        } else {
            LocalError::io("create", target, err)
        }
    })
}

fn create_directory(target: &Path) -> Result<()> {
    match fs::symlink_metadata(target) {
        Ok(metadata) if metadata.is_dir() => return Ok(()),
        Ok(_) => return Err(malformed(PayloadError::DirectoryFileClash)),
        Err(_) => {}
    }
    crate::local::private::create_dir(target)
        .map_err(|err| LocalError::io("create directory", target, err))
}

/// Creates the directories leading to `name` inside `staging`, one checked step at a time.
fn create_parents(staging: &Path, name: &str) -> Result<()> {
    let mut current = staging.to_path_buf();
    let components: Vec<&str> = name.split('/').collect();
    for component in &components[..components.len() - 1] {
        current.push(component);
        create_directory(&current)?;
    }
    Ok(())
}

fn describe_type(entry_type: tar::EntryType) -> &'static str {
    match entry_type {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Char | tar::EntryType::Block => "device node",
        tar::EntryType::Fifo => "FIFO",
        tar::EntryType::GNUSparse => "sparse file",
        _ => "special entry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::pack::Payload;

    fn payload_bytes(paths: &[std::path::PathBuf]) -> Vec<u8> {
        let mut out = Vec::new();
        Payload::collect(paths).unwrap().write_to(&mut out).unwrap();
        out
    }

    #[test]
    fn round_trip_through_staging() {
        let source = tempfile::tempdir().unwrap();
        fs::create_dir_all(source.path().join("dir/sub")).unwrap();
        fs::write(source.path().join("dir/sub/b"), b"bee").unwrap();
        fs::write(source.path().join("a"), b"ay").unwrap();
        let bytes = payload_bytes(&[source.path().join("dir"), source.path().join("a")]);
        let marker = read_marker(&bytes[..MARKER_PEEK]).unwrap().unwrap();
        assert_eq!(marker, Marker { files: 2 });

        let staging = tempfile::tempdir().unwrap();
        let unpacked = unpack(&bytes[..], marker, staging.path(), &|_, _, _| Ok(())).unwrap();
        assert_eq!(fs::read(staging.path().join("dir/sub/b")).unwrap(), b"bee");
        assert_eq!(
            unpacked.top_level,
            vec![("dir".to_owned(), true), ("a".to_owned(), false)]
        );
    }

    #[test]
    fn plain_tar_is_not_a_share_payload() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_size(1);
        header.set_cksum();
        builder.append_data(&mut header, "x", &b"x"[..]).unwrap();
        assert_eq!(read_marker(&builder.into_inner().unwrap()).unwrap(), None);
        assert_eq!(read_marker(b"just some text").unwrap(), None);
    }

    #[test]
    fn trailing_data_is_refused() {
        let source = tempfile::tempdir().unwrap();
        fs::write(source.path().join("a"), b"ay").unwrap();
        let mut bytes = payload_bytes(&[source.path().join("a")]);
        bytes.extend_from_slice(b"garbage");
        let staging = tempfile::tempdir().unwrap();
        let err = unpack(
            &bytes[..],
            Marker { files: 1 },
            staging.path(),
            &|_, _, _| Ok(()),
        )
        .unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::BadPayload);
    }

    #[test]
    fn padme_padding_is_accepted_and_one_byte_more_is_refused() {
        let source = tempfile::tempdir().unwrap();
        // Big enough that Padmé pads (more than a few blocks).
        fs::write(source.path().join("a"), vec![7u8; 300_000]).unwrap();
        let mut payload = Payload::collect(&[source.path().join("a")]).unwrap();
        let archive_len = payload.archive_len();
        payload.pad();
        assert!(payload.len() > archive_len, "{archive_len} was not padded");
        assert_eq!(payload.len(), crate::payload::padding::padme(archive_len));
        let mut bytes = Vec::new();
        payload.write_to(&mut bytes).unwrap();
        assert_eq!(bytes.len() as u64, payload.len());

        let unpack_bytes = |bytes: &[u8]| {
            let staging = tempfile::tempdir().unwrap();
            unpack(
                bytes,
                Marker { files: 1 },
                staging.path(),
                &|_, _, _| Ok(()),
            )
            .map(|unpacked| unpacked.files[0].size)
        };
        assert_eq!(unpack_bytes(&bytes).unwrap(), 300_000);
        // Unpadded (an older share, or --no-pad) is fine too.
        assert_eq!(
            unpack_bytes(&bytes[..archive_len as usize]).unwrap(),
            300_000
        );

        bytes.push(0);
        let err = unpack_bytes(&bytes).unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::BadPayload);
        assert!(err.to_string().contains("more padding"), "{err}");
    }
}
