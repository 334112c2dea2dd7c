//! The `share` binary: parse the command line, run it, print any error once on stderr and
//! map it to the documented exit code. Nothing else in the crate exits the process.

use std::process::ExitCode;

use share::cli::Cli;
use share::error::{self, CliError};
use share::ui::report;
use share_client::error::Kind;

fn main() -> ExitCode {
    report::install_panic_hook();
    let cli = Cli::parse_args();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            report::error(&error::one_line(&CliError::Runtime { source }.into()));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(share::run(cli));
    let code = match result {
        Ok(()) => 0,
        // A closed stdout (`| head`) is not an error: stop quietly.
        Err(err) if error::kind_of(&err) == Some(Kind::StdoutClosed) => 0,
        Err(err) => {
            report::error(&error::one_line(&err));
            error::kind_of(&err).map_or(1, Kind::exit_code)
        }
    };
    // Exit at once: a blocking thread may still be parked on a terminal prompt or a
    // stalled read, and shutting the runtime down under it would only add noise.
    std::process::exit(i32::from(code))
}
