//! The tests' tfLink stand-in as a standalone server on 127.0.0.1, for benchmarks and for
//! trying `share` without the internet. Prints the API base URL (for `--server` or
//! `SHARE_SERVER`) on the first line of stdout and serves until killed.
//!
//!     cargo run --release --example tflink-standin

#[allow(dead_code)]
#[path = "../tests/cli/support/tflink.rs"]
mod tflink;

use std::io::Write;

fn main() {
    let server = tflink::StandIn::start();
    server.forget_upload_bodies();
    println!("{}", server.api_base());
    std::io::stdout().flush().unwrap();
    loop {
        std::thread::park();
    }
}
