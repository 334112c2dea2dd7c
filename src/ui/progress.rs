//! Progress bars on stderr for uploads and downloads: shown only when stderr is a terminal
//! and `--quiet` is off, and cleared before results are printed.

use std::io::IsTerminal;

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar most recently drawn, so a notice from deep in a transfer can be printed around
/// it instead of through it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Whether progress and status lines should be drawn at all.
pub fn visible(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A byte-counting bar; `total` is unknown for downloads without a Content-Length.
/// Starts hidden when `show` is false; [`reveal`] shows it later (after a prompt).
pub fn bytes_bar(total: Option<u64>, message: &'static str, show: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
    let template = if total.is_some() {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({percent}%) {bytes_per_sec} ETA {eta}"
    } else {
        "{msg} {bytes} {bytes_per_sec}"
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message);
    *ACTIVE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bar.clone());
    if show {
        reveal(&bar);
    }
    bar
}

/// Starts drawing a bar created hidden.
pub fn reveal(bar: &ProgressBar) {
    bar.set_draw_target(ProgressDrawTarget::stderr());
}

/// The bar as the library's progress callback.
pub fn as_callback(bar: &ProgressBar) -> share_client::events::Progress {
    let bar = bar.clone();
    std::sync::Arc::new(move |bytes| bar.inc(bytes))
}

/// Runs `print` with the active bar, if any, lifted off the screen.
pub fn suspend(print: impl FnOnce()) {
    let active = ACTIVE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    match active {
        Some(bar) => bar.suspend(print),
        None => print(),
    }
}
