//! share: hand confidential files to someone through a public temporary-file host without
//! trusting the host. Files are encrypted locally with age; only ciphertext is uploaded.
#![forbid(unsafe_code)]

pub mod archive;
pub mod cleanup;
pub mod cli;
pub mod cmd;
pub mod crypto;
pub mod destination;
pub mod digest;
pub mod error;
pub mod host;
pub mod index;
pub mod names;
pub mod output;
pub mod parts;
pub mod passphrase;
pub mod pipe;
pub mod private;
pub mod progress;
pub mod spool;
pub mod unpack;

use error::{Failure, Kind};

/// Runs one parsed command line. SIGINT and SIGTERM stop it cleanly: temporary files are
/// removed and the error carries the conventional exit code (130, 143).
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let command = async move {
        match cli.command {
            cli::Command::Send(args) => cmd::send::run(args).await,
            cli::Command::Receive(args) => cmd::receive::run(args).await,
        }
    };
    let result = tokio::select! {
        result = command => result,
        kind = stop_signal() => Err(Failure::new(kind, "interrupted")
            .hint("nothing was shared or written")
            .into()),
    };
    if result.is_err() {
        cleanup::remove_all();
    }
    result
}

/// Waits for SIGINT or SIGTERM.
#[cfg(unix)]
async fn stop_signal() -> Kind {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handling the default action (stop at once) still applies.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => Kind::Interrupted,
        _ = terminate.recv() => Kind::Terminated,
    }
}

/// Waits for Ctrl-C.
#[cfg(not(unix))]
async fn stop_signal() -> Kind {
    match tokio::signal::ctrl_c().await {
        Ok(()) => Kind::Interrupted,
        // Without signal handling the default action (stop at once) still applies.
        Err(_) => std::future::pending().await,
    }
}
