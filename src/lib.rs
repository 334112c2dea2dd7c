//! share: hand confidential files to someone through a public temporary-file host without
//! trusting the host. Files are encrypted locally with age; only ciphertext is uploaded.
#![forbid(unsafe_code)]

pub mod archive;
pub mod cli;
pub mod cmd;
pub mod crypto;
pub mod destination;
pub mod error;
pub mod host;
pub mod names;
pub mod output;
pub mod passphrase;
pub mod pipe;
pub mod progress;
pub mod unpack;

/// Runs one parsed command line.
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Send(args) => cmd::send::run(args).await,
        cli::Command::Receive(args) => cmd::receive::run(args).await,
    }
}
