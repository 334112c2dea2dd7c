//! The tests' tfLink stand-in as a standalone server on 127.0.0.1, for benchmarks and for
//! trying `share` without the internet. Prints the API base URL (for `--server` or
//! `SHARE_SERVER`) on the first line of stdout and serves until killed.
//!
//!     cargo run --release -p share-testkit --bin tflink-standin [-- --keep-last N]
//!
//! With `--keep-last N` only the newest N files stay downloadable, as on a host whose files
//! expire; benchmarks that upload the same file many times use it to keep the server small.

use share_testkit::tflink;

use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let keep_last = match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--keep-last"), Some(count)) => Some(count.parse::<usize>()?),
        _ => anyhow::bail!("usage: tflink-standin [--keep-last N]"),
    };
    let server = tflink::StandIn::start();
    server.forget_upload_bodies();
    if let Some(count) = keep_last {
        server.keep_last(count);
    }
    println!("{}", server.api_base());
    std::io::stdout().flush()?;
    loop {
        std::thread::park();
    }
}
