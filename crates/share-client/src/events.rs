//! What the library tells the user interface while it works, as callbacks the caller
//! provides: bytes moved (for a progress bar). The library never draws anything itself.

use std::sync::Arc;

/// Called with the number of bytes just moved; cheap, and safe to call from any thread.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// A [`Progress`] that shows nothing.
pub fn no_progress() -> Progress {
    Arc::new(|_| {})
}
