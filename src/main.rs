//! The `share` binary: parse the command line, run it, print any error once on stderr and
//! map it to the documented exit code. Nothing else in the crate exits the process.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use share::{cli::Cli, error, output::StdoutClosed};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("share: error: cannot start: {err}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(share::run(cli));
    // Blocking work (a terminal prompt) must not keep the process alive after an error.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.chain().any(|cause| cause.is::<StdoutClosed>()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("share: error: {}", error::one_line(&err));
            ExitCode::from(error::kind_of(&err).map_or(1, error::Kind::exit_code))
        }
    }
}
