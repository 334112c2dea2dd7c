//! Temporary paths to remove if the process stops abnormally: interrupted by a signal, or
//! past its deadline while a blocking thread still owns them. Normal paths clean up by
//! dropping their owners; this registry covers what those owners cannot.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Keeps `path` registered until dropped.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

/// Registers a temporary file or directory for removal on abnormal exit.
pub fn register(path: &Path) -> Registration {
    lock().push(path.to_owned());
    Registration {
        path: path.to_owned(),
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock().retain(|registered| *registered != self.path);
    }
}

/// Removes everything still registered.
pub fn remove_all() {
    for path in lock().drain(..) {
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves a valid Vec behind.
    REGISTERED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
