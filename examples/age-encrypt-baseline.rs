//! The throughput baseline for `benches/compare.sh`: the `age` crate encrypting a file
//! that is already in memory, alone, with the work factor share uses for generated
//! passphrases. Prints the encryption rate in MB/s (10^6 bytes per second).
//!
//!     cargo run --release --example age-encrypt-baseline -- FILE

use std::io::Write;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: age-encrypt-baseline FILE"))?;
    let plaintext = std::fs::read(&path)?;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let encryptor = share_client::crypto::passphrase_encryptor(
            "baseline-passphrase".into(),
            share_client::crypto::GENERATED_WORK_FACTOR,
        )?;
        let mut writer = encryptor.wrap_output(std::io::sink())?;
        writer.write_all(&plaintext)?;
        writer.finish()?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{:.0}", plaintext.len() as f64 / best / 1e6);
    Ok(())
}
