//! Where received files land, and the rule that nothing appears there until the whole
//! share has authenticated: everything is written into a hidden staging directory beside
//! the destination (`.share-partial-*`, mode 0700, removed on every failure), then moved
//! into place with renames once decryption finished cleanly. Every conflict is checked
//! before the first rename, so a refused receive leaves existing files untouched.
//!
//! Nothing is written through a path someone else could have changed during the download:
//! a directory `-o` names that does not exist yet is created at commit time, mode 0700,
//! failing if anything (a planted symbolic link included) took its place meanwhile; an
//! existing directory must still be the same directory when the files move in.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::local::LocalError;
use crate::payload::unpack::Unpacked;

/// The prefix of staging directories, so a leftover one is recognisable.
pub const STAGING_PREFIX: &str = ".share-partial-";

/// Where the user asked for output to go.
#[derive(Debug)]
enum Place {
    /// Into this existing directory, under the original names; with its identity when
    /// prepared, to notice it being swapped for another during the download.
    Into(PathBuf, Option<Identity>),
    /// At this path: the file itself for a single-file share, a new directory otherwise;
    /// with whether something (only replaceable with `--force`) was there when prepared.
    At(PathBuf, bool),
    /// A new directory, created at commit time: `-o` ended with a separator (`inbox/`),
    /// which means a directory whatever the share holds.
    NewDirectory(PathBuf),
}

/// A receive in progress: its staging directory and where its results will go.
pub struct Destination {
    place: Place,
    force: bool,
    /// The ciphertext's length, when known: no entry can hold more.
    ciphertext_len: Option<u64>,
    staging: tempfile::TempDir,
    _registration: crate::local::cleanup::Registration,
}

/// One file that was written, by its final path.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Where the file now is: under the `-o` directory (or the current one), or `-o` itself.
    pub path: PathBuf,
    /// Its length in bytes.
    pub size: u64,
}

impl Destination {
    /// Resolves `-o` (or the current directory) and creates the staging directory next to
    /// it. Fails early, before any download, when `-o` names an existing non-directory and
    /// `--force` was not given.
    pub fn prepare(output: Option<&Path>, force: bool) -> Result<Destination> {
        let place = match output {
            None => Place::Into(PathBuf::from("."), identity(Path::new("."))),
            Some(path) if path.is_dir() => Place::Into(path.to_owned(), identity(path)),
            Some(path) if names_a_directory(path) => {
                if fs::symlink_metadata(path.components().as_path()).is_ok() {
                    return Err(LocalError::FileInTheWay {
                        path: path.to_owned(),
                    }
                    .into());
                }
                Place::NewDirectory(path.components().as_path().to_owned())
            }
            Some(path) => {
                let existed = fs::symlink_metadata(path).is_ok();
                if existed && !force {
                    return Err(already_exists(path));
                }
                Place::At(path.to_owned(), existed)
            }
        };
        let staging_parent = match &place {
            Place::Into(dir, _) => dir.clone(),
            Place::At(path, _) | Place::NewDirectory(path) => match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                _ => PathBuf::from("."),
            },
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(STAGING_PREFIX);
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let staging = builder
            .tempdir_in(&staging_parent)
            .map_err(|err| LocalError::io("write to", &staging_parent, err))?;
        Ok(Destination {
            place,
            force,
            ciphertext_len: None,
            _registration: crate::local::cleanup::register(staging.path()),
            staging,
        })
    }

    /// Refuses, as soon as the payload names it, an entry that could not be moved into
    /// place at commit time (an existing file without `--force`, a file where a directory
    /// must go): the download stops there instead of after its last byte. [`commit`]
    /// checks everything again, since the destination may change meanwhile.
    ///
    /// [`commit`]: Destination::commit
    ///
    /// A file larger than the free space where it goes is refused the same way
    /// ([`space`](crate::local::space)).
    pub fn check_entry(&self, name: &str, is_dir: bool, size: u64) -> Result<()> {
        let plausible = self.ciphertext_len.is_none_or(|most| size <= most);
        if !is_dir && plausible {
            let shown = match &self.place {
                Place::Into(dir, _) | Place::NewDirectory(dir) => dir.as_path(),
                Place::At(path, _) => path.parent().unwrap_or(Path::new(".")),
            };
            if let Err(available) = crate::local::space::fits(self.staging.path(), size) {
                return Err(LocalError::NoSpace {
                    path: shown.to_owned(),
                    name: name.to_owned(),
                    needed: size,
                    available,
                }
                .into());
            }
        }
        let Place::Into(dir, _) = &self.place else {
            // A new directory has nothing in it yet; a single path was checked in prepare.
            return Ok(());
        };
        let target = dir.join(name);
        let Ok(existing) = fs::symlink_metadata(&target) else {
            return Ok(());
        };
        match (is_dir, existing.is_dir()) {
            (true, true) => Ok(()),
            (false, false) if self.force => Ok(()),
            (true, false) if self.force => Err(LocalError::FileInTheWay { path: target }.into()),
            (false, true) if self.force => {
                Err(LocalError::DirectoryInTheWay { path: target }.into())
            }
            _ => Err(already_exists(&target)),
        }
    }

    /// Notes the ciphertext's length, once the download says it: an entry declaring more
    /// is a malformed share (refused as such while unpacking), not a lack of space.
    pub fn bounded_by(mut self, ciphertext_len: Option<u64>) -> Destination {
        self.ciphertext_len = ciphertext_len;
        self
    }

    /// The hidden staging directory (`.share-partial-*`) to unpack into before [`commit`].
    ///
    /// [`commit`]: Destination::commit
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// Moves everything unpacked into place, after checking every conflict first. A stop
    /// requested before the first rename ends it with nothing moved; once renaming has
    /// begun it runs to the end, so a receive is either wholly in place or not at all.
    pub fn commit(self, unpacked: &Unpacked) -> Result<Vec<Placed>> {
        crate::local::cleanup::check_stop()?;
        let placed = self.move_all(unpacked)?;
        crate::local::cleanup::mark(crate::local::cleanup::Done::Committed);
        Ok(placed)
    }

    fn move_all(&self, unpacked: &Unpacked) -> Result<Vec<Placed>> {
        let single_file = matches!(unpacked.top_level.as_slice(), [(_, false)]);
        let (directory, create_directory) = match &self.place {
            Place::At(path, _) if single_file => {
                let (name, _) = &unpacked.top_level[0];
                let staged = self.staging.path().join(name);
                check_move(&staged, path, self.force)?;
                move_into_place(&staged, path)?;
                return Ok(vec![Placed {
                    path: path.clone(),
                    size: unpacked.files[0].size,
                }]);
            }
            Place::At(path, false) | Place::NewDirectory(path) => (path.clone(), true),
            Place::At(path, true) => (path.clone(), false),
            Place::Into(dir, prepared) => {
                if identity(dir) != *prepared {
                    return Err(LocalError::Replaced { path: dir.clone() }.into());
                }
                (dir.clone(), false)
            }
        };
        if !create_directory && !is_real_directory(&directory) {
            return Err(LocalError::NotADirectory { path: directory }.into());
        }
        for (name, _) in &unpacked.top_level {
            check_move(
                &self.staging.path().join(name),
                &directory.join(name),
                self.force,
            )?;
        }
        if create_directory {
            // Never follows or reuses what appeared there during the download.
            crate::local::private::create_dir(&directory).map_err(|err| {
                if err.kind() == std::io::ErrorKind::AlreadyExists {
                    LocalError::Appeared {
                        path: directory.clone(),
                    }
                    .into()
                } else {
                    LocalError::io("create directory", &directory, err)
                }
            })?;
        }
        for (name, _) in &unpacked.top_level {
            move_into_place(&self.staging.path().join(name), &directory.join(name))?;
        }
        Ok(unpacked
            .files
            .iter()
            .map(|file| Placed {
                path: display_join(&directory, &file.name),
                size: file.size,
            })
            .collect())
    }
}

/// `dir/name`, without a leading `./` for the current directory.
fn display_join(dir: &Path, name: &str) -> PathBuf {
    if dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// What tells one directory from another that later took its path.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = ();

/// The device and inode of the directory at `path` (following links, as the user named it).
fn identity(path: &Path) -> Option<Identity> {
    let metadata = fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((metadata.dev(), metadata.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        Some(())
    }
}

/// Whether `-o` was written with a trailing separator (`inbox/`): a directory, by the
/// usual convention of the shell and of `cp`/`rsync`.
fn names_a_directory(path: &Path) -> bool {
    path.as_os_str()
        .to_string_lossy()
        .chars()
        .next_back()
        .is_some_and(std::path::is_separator)
}

fn is_real_directory(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_dir())
}

fn already_exists(path: &Path) -> Error {
    LocalError::AlreadyExists {
        path: path.to_owned(),
    }
    .into()
}

/// Whether `staged` may move to `target`: free, or replaceable with `--force`. A staged
/// directory merges into an existing real directory, entry by entry.
fn check_move(staged: &Path, target: &Path, force: bool) -> Result<()> {
    let Ok(existing) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    let staged_is_dir = fs::symlink_metadata(staged)
        .map_err(|err| LocalError::io("read", staged, err))?
        .is_dir();
    match (staged_is_dir, existing.is_dir()) {
        (true, true) => {
            for child in fs::read_dir(staged).map_err(|err| LocalError::io("read", staged, err))? {
                let child = child.map_err(|err| LocalError::io("read", staged, err))?;
                check_move(&child.path(), &target.join(child.file_name()), force)?;
            }
            Ok(())
        }
        (false, false) if force => Ok(()),
        (true, false) if force => Err(LocalError::FileInTheWay {
            path: target.to_owned(),
        }
        .into()),
        (false, true) if force => Err(LocalError::DirectoryInTheWay {
            path: target.to_owned(),
        }
        .into()),
        _ => Err(already_exists(target)),
    }
}

fn move_into_place(staged: &Path, target: &Path) -> Result<()> {
    let target_is_dir = fs::symlink_metadata(target).is_ok_and(|m| m.is_dir());
    if target_is_dir && staged.is_dir() {
        for child in fs::read_dir(staged).map_err(|err| LocalError::io("read", staged, err))? {
            let child = child.map_err(|err| LocalError::io("read", staged, err))?;
            move_into_place(&child.path(), &target.join(child.file_name()))?;
        }
        return Ok(());
    }
    fs::rename(staged, target).map_err(|err| LocalError::io("write", target, err))
}
