//! share: hand confidential files to someone through a public temporary-file host without
//! trusting the host. Files are encrypted locally with age; only ciphertext is uploaded.
#![forbid(unsafe_code)]

pub mod age_header;
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
pub mod reach;
pub mod report;
pub mod spool;
pub mod strength;
pub mod unpack;

use error::{Failure, Kind};

/// Runs one parsed command line. SIGINT and SIGTERM stop it cleanly: blocking work is
/// asked to stop and waited for, temporary files are removed, and the error carries the
/// conventional exit code (130, 143) and says what, if anything, was left in place.
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let command = async move {
        match cli.command {
            cli::Command::Send(args) => cmd::send::run(args).await,
            cli::Command::Receive(args) => cmd::receive::run(args).await,
        }
    };
    let outcome = tokio::select! {
        result = command => Ok(result),
        kind = stop_signal() => Err(kind),
    };
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            cleanup::remove_all();
            Err(err)
        }
        Err(kind) => {
            // Waits for the unpacking thread, so `done` is final when it is read.
            cleanup::remove_all();
            Err(interrupted(kind, cleanup::done()).into())
        }
    }
}

/// The error for a stop by signal, saying truthfully what the stopped command left.
fn interrupted(kind: Kind, done: cleanup::Done) -> Failure {
    match done {
        cleanup::Done::Nothing => {
            Failure::new(kind, "interrupted").hint("nothing was shared or written")
        }
        cleanup::Done::Resumable => Failure::new(kind, "interrupted; nothing was written")
            .hint("the parts fetched so far are kept: run the same command again to resume"),
        cleanup::Done::PartialStdout => Failure::new(
            kind,
            "interrupted; what reached standard output is incomplete",
        )
        .hint("discard it and run the command again"),
        cleanup::Done::Committed => Failure::new(
            kind,
            "interrupted after every file had been written into place",
        )
        .hint("the files are complete and authenticated; nothing else was left behind"),
    }
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
