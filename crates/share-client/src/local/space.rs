//! Free space, checked before the bytes that would not fit arrive: a receive refuses a
//! file larger than the free space where it will be written (as soon as the archive names
//! it), and a multi-part share whose missing parts do not fit where parts are kept
//! (before the first part is fetched). The filesystem may still fill up meanwhile; that
//! fails as a write error, with nothing half-written left behind either way.
//!
//! The free space is what an unprivileged user may use (`statvfs`'s `f_bavail`). Where
//! it cannot be measured (not Unix, or `statvfs` fails) nothing is refused in advance.

use std::path::Path;

use crate::error::Result;
use crate::local::LocalError;

/// The bytes free for unprivileged use on the filesystem holding `path`, when known.
pub fn available(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let stats = rustix::fs::statvfs(path).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether `needed` more bytes fit on the filesystem holding `path`, as far as is known.
pub fn fits(path: &Path, needed: u64) -> std::result::Result<(), u64> {
    match available(path) {
        Some(free) if free < needed => Err(free),
        _ => Ok(()),
    }
}

/// Refuses (exit 7) parts of `needed` bytes that cannot fit in the resume directory.
pub fn ensure_parts(directory: &Path, needed: u64) -> Result<()> {
    fits(directory, needed).map_err(|available| {
        LocalError::NoSpaceForParts {
            path: directory.to_owned(),
            needed,
            available,
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_directory_has_a_measurable_amount_of_space() {
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        assert!(available(dir.path()).is_some());
        assert!(fits(dir.path(), 0).is_ok());
        assert!(fits(dir.path(), u64::MAX).is_err() || cfg!(not(unix)));
    }
}
