//! The `share` command line: hand confidential files to someone through a host nobody has
//! to trust. Files are encrypted locally with age (in `share-client`); only ciphertext is
//! uploaded. This crate owns the user interface: the flags ([`cli`]), one orchestrating
//! module per subcommand ([`cmd`]), its own errors and how every error is shown
//! ([`error`]), and everything the user sees ([`ui`]).

pub mod cli;
mod cmd;
pub mod error;
pub mod plan;
pub mod ui;

use error::{CliError, Signal};
use share_client::local::cleanup;

/// Runs one parsed command line. SIGINT and SIGTERM stop it cleanly: blocking work is
/// asked to stop and waited for, temporary files are removed, and the error carries the
/// conventional exit code (130, 143) and says what, if anything, was left in place.
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let env = plan::Environment::capture();
    let command = async move {
        match cli.command {
            cli::Command::Send(args) => cmd::send::run(args, &env).await,
            cli::Command::Receive(args) => cmd::receive::run(args, &env).await,
            cli::Command::Revoke(args) => cmd::manage::revoke(args, &env).await,
            cli::Command::Status(args) => cmd::manage::status(args, &env).await,
            cli::Command::List(args) => cmd::manage::list(&args),
            cli::Command::Doctor(args) => cmd::doctor::run(args, &env).await,
        }
    };
    // Pinned here rather than moved into `select!`, so a stop by signal cleans up while
    // the command's registrations (a resume directory worth keeping among them) still
    // exist; the command is dropped only after that.
    tokio::pin!(command);
    let outcome = tokio::select! {
        result = &mut command => Ok(result),
        signal = stop_signal() => Err(signal),
    };
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            cleanup::remove_all();
            Err(err)
        }
        Err(signal) => {
            // Waits for the unpacking thread, so `done` is final when it is read.
            cleanup::remove_all();
            Err(interrupted(signal, cleanup::done()).into())
        }
    }
}

/// The error for a stop by signal, saying truthfully what the stopped command left.
fn interrupted(signal: Signal, done: cleanup::Done) -> CliError {
    match done {
        cleanup::Done::Nothing => CliError::Stopped { signal },
        cleanup::Done::Resumable => CliError::StoppedResumable { signal },
        cleanup::Done::PartialStdout => CliError::StoppedPartialStdout { signal },
        cleanup::Done::Committed => CliError::StoppedCommitted { signal },
    }
}

/// Waits for SIGINT or SIGTERM.
#[cfg(unix)]
async fn stop_signal() -> Signal {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handling the default action (stop at once) still applies.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => Signal::Interrupt,
        _ = terminate.recv() => Signal::Terminate,
    }
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
async fn stop_signal() -> Signal {
    match tokio::signal::ctrl_c().await {
        Ok(()) => Signal::Interrupt,
        // Without signal handling the default action (stop at once) still applies.
        Err(_) => std::future::pending().await,
    }
}

/// Entry points for the fuzz targets in `fuzz/`, compiled only with `--cfg fuzzing` (which
/// `cargo fuzz` sets): the commands themselves are not a public API.
#[cfg(fuzzing)]
pub mod fuzzing {
    use share_client::local::destination::Destination;
    use share_client::stream::digest::PayloadDigest;

    /// The whole receive pipeline after the download, on untrusted bytes, with a
    /// passphrase and a low work-factor cap, into `destination`.
    pub fn receive(
        download: &[u8],
        passphrase: &str,
        max_work_factor: u8,
        destination: Destination,
    ) -> anyhow::Result<()> {
        let key = crate::cmd::receive::Key::Ready(secrecy::SecretString::from(passphrase));
        crate::cmd::receive::decrypt_and_write(
            download,
            key,
            max_work_factor,
            Some(destination),
            "download",
            PayloadDigest::new(true),
            || {},
        )
        .map(|_| ())
        .map_err(Into::into)
    }

    /// The file name receive gives an arbitrary age file at `link`.
    pub fn link_file_name(link: &url::Url) -> String {
        crate::cmd::receive::link_file_name(link)
    }
}
