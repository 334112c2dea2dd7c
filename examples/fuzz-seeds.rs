//! Writes the seed corpora for the fuzz targets in `fuzz/corpus/`: real share payloads
//! and age files (made with the fuzz targets' passphrase at a low work factor), host
//! replies, a multi-part index and links. Rerun after a format change:
//!
//!     cargo run --example fuzz-seeds

use std::fs;
use std::io::Write;
use std::path::Path;

use share_client::crypto;
use share_client::payload::pack::Payload;

const PASSPHRASE: &str = "fuzzing-passphrase";

fn main() -> anyhow::Result<()> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let inputs = tempfile::tempdir()?;
    fs::create_dir_all(inputs.path().join("dir/sub"))?;
    fs::write(inputs.path().join("dir/sub/a.txt"), b"alpha")?;
    fs::write(inputs.path().join("dir/b.bin"), vec![7u8; 70_000])?;
    fs::write(inputs.path().join("one.txt"), b"just one file")?;
    fs::write(inputs.path().join("empty"), b"")?;

    let payloads = [
        vec![inputs.path().join("one.txt")],
        vec![inputs.path().join("dir"), inputs.path().join("empty")],
    ];
    for (index, paths) in payloads.iter().enumerate() {
        let mut plaintext = Vec::new();
        Payload::collect(paths)?.write_to(&mut plaintext)?;
        write(&corpus, "unpack", index, &[&[1u8][..], &plaintext].concat())?;
        write(
            &corpus,
            "marker",
            index,
            &plaintext[..plaintext.len().min(1024)],
        )?;
        write(&corpus, "receive", index, &encrypt(&plaintext)?)?;
    }
    write(&corpus, "receive", 9, &encrypt(b"an arbitrary age file")?)?;
    write(
        &corpus,
        "host_reply",
        0,
        br#"{"fileName":"share.age","downloadLink":"https://d.tmpfile.link/public/2026-11-22/4f0c/share.age","downloadLinkEncoded":"https://d.tmpfile.link/public/2026-11-22/4f0c/share.age","size":1234,"type":"application/octet-stream","uploadedTo":"public"}"#,
    )?;
    let sample_index = share_client::multipart::index::Index {
        share_index: share_client::multipart::index::VERSION,
        size: 250_000,
        parts: [("0001", 100_000), ("0002", 100_000), ("0003", 50_000)]
            .iter()
            .map(|(id, size)| share_client::multipart::index::Part {
                url: format!("https://d.tmpfile.link/public/2026-11-22/{id}/share.age"),
                size: *size,
                sha256: "ab".repeat(32),
            })
            .collect(),
    };
    write(&corpus, "index", 0, sample_index.to_text().as_bytes())?;
    for (index, link) in [
        "https://d.tmpfile.link/public/2026-11-22/4f0c/share.age",
        "http://127.0.0.1:8080/public/x/report%20final.pdf.age",
        "https://host/../..%2Fetc/passwd",
    ]
    .iter()
    .enumerate()
    {
        write(&corpus, "link", index, link.as_bytes())?;
    }
    println!("seeds written to {}", corpus.display());
    Ok(())
}

fn encrypt(plaintext: &[u8]) -> anyhow::Result<Vec<u8>> {
    let encryptor = crypto::passphrase_encryptor(PASSPHRASE.into(), 2)?;
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plaintext)?;
    writer.finish()?;
    Ok(out)
}

fn write(corpus: &Path, target: &str, index: usize, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = corpus.join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(format!("seed-{index}")), bytes)?;
    Ok(())
}
