//! Files and directories that only this user may read: created with mode 0600 and 0700 on
//! Unix, never through a symbolic link, and, when an existing directory is reused, checked
//! to belong to this user alone. Elsewhere (Windows) they get what the directory around
//! them allows, as every file there does; the README says so.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

/// Options for writing a private file; the caller chooses how it may be created.
pub fn file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a new private file; fails if anything exists at `path`, a symbolic link
/// included (it is never followed).
pub fn create_new_file(path: &Path) -> io::Result<File> {
    let mut options = file_options();
    options.create_new(true);
    no_follow(&mut options);
    options.open(path)
}

/// Opens an existing regular file for reading, refusing a symbolic link in its place.
pub fn open_regular_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    no_follow(&mut options);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

fn no_follow(options: &mut OpenOptions) {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        options,
        rustix::fs::OFlags::NOFOLLOW.bits() as i32,
    );
    #[cfg(not(unix))]
    let _ = options;
}

/// Why an existing directory cannot be used as a private one.
#[derive(Debug)]
pub enum NotPrivate {
    /// It is a symbolic link or not a directory at all.
    NotADirectory,
    /// Another user owns it.
    NotOurs,
    /// Inspecting, creating or tightening it failed.
    Io(io::Error),
}

impl From<io::Error> for NotPrivate {
    fn from(err: io::Error) -> Self {
        NotPrivate::Io(err)
    }
}

/// Makes `path` a directory only this user can enter, and says whether it was there
/// already and private. Missing: created with mode 0700 (its parent must exist). Present:
/// it must be a real directory owned by this user; if group or others had any access,
/// its mode is set to 0700 and `Ok(false)` tells the caller not to trust what is inside.
pub fn ensure_dir(path: &Path) -> Result<bool, NotPrivate> {
    match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            create_dir(path)?;
            Ok(false)
        }
        Err(err) => Err(err.into()),
        Ok(metadata) if !metadata.is_dir() => Err(NotPrivate::NotADirectory),
        Ok(metadata) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                if metadata.uid() != rustix::process::geteuid().as_raw() {
                    return Err(NotPrivate::NotOurs);
                }
                if metadata.mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
                    return Ok(false);
                }
            }
            #[cfg(not(unix))]
            let _ = metadata;
            Ok(true)
        }
    }
}

/// What is at a path meant to be a private directory, looked at without changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirState {
    /// Nothing yet: it will be created with mode 0700.
    Missing,
    /// A directory of this user's that only this user can enter.
    Private,
    /// This user's directory, but group or others have access: share empties it and
    /// makes it private before use.
    TooOpen,
    /// A symbolic link or not a directory: share refuses it.
    NotADirectory,
    /// Another user's directory: share refuses it.
    NotOurs,
}

/// Looks at `path` the way [`ensure_dir`] would, without creating or tightening anything.
pub fn inspect_dir(path: &Path) -> io::Result<DirState> {
    let metadata = match std::fs::symlink_metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(DirState::Missing),
        other => other?,
    };
    if !metadata.is_dir() {
        return Ok(DirState::NotADirectory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if metadata.uid() != rustix::process::geteuid().as_raw() {
            return Ok(DirState::NotOurs);
        }
        if metadata.mode() & 0o077 != 0 {
            return Ok(DirState::TooOpen);
        }
    }
    Ok(DirState::Private)
}

/// Creates one private directory; fails if anything exists at `path`.
pub fn create_dir(path: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    #[cfg(not(unix))]
    let _ = &mut builder;
    builder.create(path)
}

/// Reads exactly `buf.len()` bytes at `offset`, without moving a shared cursor on Unix, so
/// several readers can use one file at once.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => {
                    buf = &mut buf[read..];
                    offset += read as u64;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_and_directories_are_private() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        create_new_file(&file).unwrap();
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(create_new_file(&file).is_err(), "never replaces");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(root.path().join("target"), &link).unwrap();
        assert!(create_new_file(&link).is_err(), "never follows a link");
        assert!(!root.path().join("target").exists());
        assert!(open_regular_file(&link).is_err());
        let dir = root.path().join("d");
        create_dir(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn existing_directories_are_checked_and_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        assert!(!ensure_dir(&dir).unwrap(), "created");
        assert!(ensure_dir(&dir).unwrap(), "reused");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!ensure_dir(&dir).unwrap(), "too open: not to be trusted");
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let link = root.path().join("l");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(matches!(ensure_dir(&link), Err(NotPrivate::NotADirectory)));
    }
}
