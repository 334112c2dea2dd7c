//! SHA-256 of the plaintext payload, for the `sha256` of the JSON reports: computed on a
//! helper thread so it runs beside encryption or decryption instead of after it, and only
//! when a report will show it (it costs about half as much CPU as the cipher).

use std::io::{self, Read, Write};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::CHUNK;

/// Batches in flight to the hashing thread.
const DEPTH: usize = 8;

/// A SHA-256 whose work happens on its own thread. Dropped unfinished (the transfer
/// failed), it still waits for its thread, so no thread outlives it.
pub(crate) struct BackgroundSha256 {
    batch: Vec<u8>,
    sender: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<[u8; 32]>>,
}

impl BackgroundSha256 {
    /// Starts the hashing thread.
    pub(crate) fn new() -> Self {
        let (sender, receiver) = sync_channel::<Vec<u8>>(DEPTH);
        let worker = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            for batch in receiver {
                hasher.update(&batch);
            }
            hasher.finalize().into()
        });
        BackgroundSha256 {
            batch: Vec::with_capacity(CHUNK),
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    /// Adds `data`, handing it to the thread a [`CHUNK`] at a time.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = data.len().min(CHUNK - self.batch.len());
            self.batch.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.batch.len() == CHUNK {
                let full = std::mem::replace(&mut self.batch, Vec::with_capacity(CHUNK));
                if let Some(sender) = &self.sender {
                    // The worker only stops when this sender is dropped.
                    let _ = sender.send(full);
                }
            }
        }
    }

    /// The digest, as lower-case hexadecimal.
    pub(crate) fn finish_hex(mut self) -> String {
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(std::mem::take(&mut self.batch));
        }
        let worker = self.worker.take().expect("the worker runs until finished");
        let digest = worker.join().expect("the hashing thread does not panic");
        hex(&digest)
    }
}

impl Drop for BackgroundSha256 {
    fn drop(&mut self) {
        // Closing the channel ends the worker's loop; then wait for it.
        self.sender.take();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Default for BackgroundSha256 {
    fn default() -> Self {
        Self::new()
    }
}

/// The payload digest if one was asked for; when not, hashing costs nothing.
pub struct PayloadDigest(Option<BackgroundSha256>);

impl PayloadDigest {
    /// A digest that hashes on its own thread when `wanted`, and does nothing otherwise.
    pub fn new(wanted: bool) -> Self {
        PayloadDigest(wanted.then(BackgroundSha256::new))
    }

    /// Adds `data` to the digest, if one is computed.
    pub fn update(&mut self, data: &[u8]) {
        if let Some(hasher) = &mut self.0 {
            hasher.update(data);
        }
    }

    /// The digest in lower-case hexadecimal, if one was asked for.
    pub fn finish_hex(self) -> Option<String> {
        self.0.map(BackgroundSha256::finish_hex)
    }
}

/// A writer that hashes what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    digest: PayloadDigest,
}

impl<W: Write> HashingWriter<W> {
    /// Writes to `inner`, adding to `digest` the bytes `inner` accepted.
    pub fn new(inner: W, digest: PayloadDigest) -> Self {
        HashingWriter { inner, digest }
    }

    /// The digest of everything written, in lower-case hexadecimal, if one was asked for.
    pub fn finish_hex(self) -> Option<String> {
        self.digest.finish_hex()
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(data)?;
        self.digest.update(&data[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through it.
pub struct HashingReader<R> {
    inner: R,
    digest: PayloadDigest,
}

impl<R: Read> HashingReader<R> {
    /// Reads from `inner`, adding to `digest` every byte read.
    pub fn new(inner: R, digest: PayloadDigest) -> Self {
        HashingReader { inner, digest }
    }

    /// The digest of everything read, in lower-case hexadecimal, if one was asked for.
    pub fn finish_hex(self) -> Option<String> {
        self.digest.finish_hex()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.digest.update(&buf[..read]);
        Ok(read)
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_plain_sha256() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut background = BackgroundSha256::new();
        for piece in data.chunks(12_345) {
            background.update(piece);
        }
        assert_eq!(background.finish_hex(), hex(&Sha256::digest(&data)));
        assert_eq!(
            BackgroundSha256::new().finish_hex(),
            hex(&Sha256::digest(b""))
        );
    }

    #[test]
    fn readers_and_writers_hash_only_when_asked() {
        let mut read = Vec::new();
        let mut reader = HashingReader::new(&b"payload"[..], PayloadDigest::new(true));
        reader.read_to_end(&mut read).unwrap();
        assert_eq!(reader.finish_hex(), Some(hex(&Sha256::digest(b"payload"))));

        let mut writer = HashingWriter::new(Vec::new(), PayloadDigest::new(false));
        writer.write_all(b"payload").unwrap();
        assert_eq!(writer.finish_hex(), None);
    }
}
