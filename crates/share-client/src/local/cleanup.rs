//! Stopping cleanly: temporary paths to remove if the process stops abnormally
//! (interrupted by a signal, or past its deadline while a blocking thread still owns
//! them), the stop request that blocking work checks at each step, and what a stopped
//! receive had already done, so the final message tells the truth about it.
//!
//! The rule: cleanup never races the work it cleans up after. Work that writes plaintext
//! (unpacking into a staging directory, moving files into place) holds a [`Busy`] guard;
//! [`remove_all`] first asks every such thread to stop, waits for the guards to drop, and
//! only then removes what is registered. Moving files into place is never interrupted
//! half-way: it checks for a stop only before its first rename.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::Result;
use crate::local::LocalError;

/// A registered path, and whether to keep it after all (a resume directory that holds
/// parts worth resuming from).
type Entry = (PathBuf, Option<fn(&Path) -> bool>);

static REGISTERED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);
static STOP_NOTIFY: tokio::sync::Notify = tokio::sync::Notify::const_new();

static BUSY: Mutex<usize> = Mutex::new(0);
static BUSY_ENDED: Condvar = Condvar::new();

/// How long [`remove_all`] waits for busy work to notice a stop: it checks between
/// chunks and entries, so this is only reached if a thread is stuck in the kernel.
const BUSY_GRACE: Duration = Duration::from_secs(10);

/// What a receive has done that cleanup cannot undo, for the message after a stop.
static DONE: AtomicU8 = AtomicU8::new(Done::Nothing as u8);

/// What a receive had done when it stopped; later stages replace earlier ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Done {
    /// Nothing outside temporary places.
    Nothing = 0,
    /// Verified parts of a multi-part share are kept for the next run.
    Resumable = 1,
    /// Decrypted bytes went to standard output, which cannot be taken back.
    PartialStdout = 2,
    /// Every file was moved into place.
    Committed = 3,
}

/// Records that the receive reached `stage`.
pub fn mark(stage: Done) {
    DONE.fetch_max(stage as u8, Ordering::SeqCst);
}

/// The furthest stage the receive reached.
pub fn done() -> Done {
    match DONE.load(Ordering::SeqCst) {
        3 => Done::Committed,
        2 => Done::PartialStdout,
        1 => Done::Resumable,
        _ => Done::Nothing,
    }
}

/// Keeps `path` registered until dropped.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

/// Registers a temporary file or directory for removal on abnormal exit.
pub fn register(path: &Path) -> Registration {
    register_entry(path, None)
}

/// Registers a resume directory: on abnormal exit it is kept (and the receive marked
/// [`Done::Resumable`]) when `worth_keeping` says so, removed otherwise.
pub fn register_resume(path: &Path, worth_keeping: fn(&Path) -> bool) -> Registration {
    register_entry(path, Some(worth_keeping))
}

fn register_entry(path: &Path, keep: Option<fn(&Path) -> bool>) -> Registration {
    lock(&REGISTERED).push((path.to_owned(), keep));
    Registration {
        path: path.to_owned(),
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&REGISTERED).retain(|(registered, _)| *registered != self.path);
    }
}

/// Asks all work to stop at its next step.
pub fn request_stop() {
    STOP_REQUESTED.store(true, Ordering::SeqCst);
    STOP_NOTIFY.notify_waiters();
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}

/// Fails with an "interrupted" error once a stop was asked for: blocking work calls this
/// between steps.
pub fn check_stop() -> Result<()> {
    if stop_requested() {
        return Err(LocalError::Stopped.into());
    }
    Ok(())
}

/// Resolves once a stop was asked for: ends waits on the network.
pub async fn stopped() {
    loop {
        let notified = STOP_NOTIFY.notified();
        if stop_requested() {
            return;
        }
        notified.await;
    }
}

/// Marks the current thread as writing plaintext until dropped.
pub struct Busy(());

/// Marks the current thread as writing plaintext: [`remove_all`] waits until the returned
/// guard is dropped before it removes anything.
pub fn busy() -> Busy {
    *lock(&BUSY) += 1;
    Busy(())
}

impl Drop for Busy {
    fn drop(&mut self) {
        *lock(&BUSY) -= 1;
        BUSY_ENDED.notify_all();
    }
}

/// Stops all work, waits until nothing is busy writing, then removes everything still
/// registered.
pub fn remove_all() {
    request_stop();
    let busy = lock(&BUSY);
    let _idle = BUSY_ENDED
        .wait_timeout_while(busy, BUSY_GRACE, |count| *count > 0)
        .map(|(guard, _)| guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner().0);
    for (path, keep) in lock(&REGISTERED).drain(..) {
        if keep.is_some_and(|worth_keeping| worth_keeping(&path)) {
            mark(Done::Resumable);
            continue;
        }
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        let _ = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}

fn lock<T>(mutex: &'static Mutex<T>) -> std::sync::MutexGuard<'static, T> {
    // A panic while holding the lock leaves valid data behind.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
