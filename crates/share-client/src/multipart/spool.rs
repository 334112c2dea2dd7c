//! The ciphertext spool of a multi-part send: the whole age file written once to an
//! unlinked temporary file (mode 0600, ciphertext only, gone when the process ends however
//! it ends), hashed part by part as it is written, then read back by byte range so each
//! part can be uploaded, and re-uploaded after a failure, on its own.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::multipart::MultipartError;
use crate::stream::CHUNK;
use crate::stream::digest::hex;
use crate::stream::pipe;

/// One part of the spooled ciphertext.
#[derive(Debug, Clone)]
pub struct SpooledPart {
    /// Where the part starts in the spool file.
    pub offset: u64,
    /// Its length in bytes: the part size, less for the last part.
    pub size: u64,
    /// The SHA-256 of its bytes in lower-case hexadecimal, as the index lists it.
    pub sha256: String,
}

/// The spooled ciphertext, its parts, and the SHA-256 of the plaintext it encrypts (when
/// one was computed).
pub struct Spooled {
    /// The unlinked temporary file holding the whole age file.
    pub file: File,
    /// The ciphertext length in bytes: the sum of the parts' sizes.
    pub size: u64,
    /// The parts in order, covering the file without gaps.
    pub parts: Vec<SpooledPart>,
    /// The plaintext SHA-256 in lower-case hexadecimal, when one was asked for.
    pub sha256: Option<String>,
}

/// Runs `encrypt` with a writer into a new spool file that splits what it receives into
/// parts of `part_size` bytes; `encrypt` returns the plaintext SHA-256 and the writer.
/// Its errors are returned as they are; the spool's own are an [`Error`].
pub fn encrypt_to_spool<E: From<Error>>(
    part_size: u64,
    encrypt: impl FnOnce(PartWriter) -> Result<(Option<String>, PartWriter), E>,
) -> Result<Spooled, E> {
    let file = tempfile::tempfile().map_err(spool_error)?;
    let writer = PartWriter {
        out: BufWriter::with_capacity(CHUNK, file),
        part_size,
        offset: 0,
        current: Sha256::new(),
        current_size: 0,
        parts: Vec::new(),
    };
    let (sha256, mut writer) = encrypt(writer)?;
    writer.close_part();
    let file = writer
        .out
        .into_inner()
        .map_err(|err| spool_error(err.into_error()))?;
    Ok(Spooled {
        file,
        size: writer.offset,
        parts: writer.parts,
        sha256,
    })
}

fn spool_error(source: io::Error) -> Error {
    MultipartError::Spool { source }.into()
}

/// Writes to the spool, closing a part (and its hash) every `part_size` bytes.
pub struct PartWriter {
    out: BufWriter<File>,
    part_size: u64,
    offset: u64,
    current: Sha256,
    current_size: u64,
    parts: Vec<SpooledPart>,
}

impl PartWriter {
    fn close_part(&mut self) {
        if self.current_size == 0 {
            return;
        }
        let hasher = std::mem::replace(&mut self.current, Sha256::new());
        self.parts.push(SpooledPart {
            offset: self.offset - self.current_size,
            size: self.current_size,
            sha256: hex(&hasher.finalize()),
        });
        self.current_size = 0;
    }
}

impl Write for PartWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = usize::try_from(self.part_size - self.current_size).unwrap_or(usize::MAX);
        let take = data.len().min(room);
        let written = self.out.write(&data[..take])?;
        self.current.update(&data[..written]);
        self.current_size += written as u64;
        self.offset += written as u64;
        if self.current_size == self.part_size {
            self.close_part();
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The bytes `offset..offset + size` of the spool as a chunk stream, read on a blocking
/// thread. Each call reads afresh, so a retried upload gets the whole part again.
pub fn read_range(
    file: Arc<File>,
    offset: u64,
    size: u64,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
    let (sender, receiver) = pipe::channel();
    tokio::task::spawn_blocking(move || {
        let mut position = offset;
        let end = offset + size;
        while position < end {
            let want = usize::try_from(end - position).map_or(CHUNK, |left| left.min(CHUNK));
            let mut chunk = vec![0u8; want];
            let item = crate::local::private::read_exact_at(&file, &mut chunk, position)
                .map(|()| Bytes::from(chunk));
            let failed = item.is_err();
            if sender.blocking_send(item).is_err() || failed {
                return;
            }
            position += want as u64;
        }
    });
    pipe::into_stream(receiver)
}

/// Standard input, read to its end and kept encrypted under a key that exists only in
/// memory, in an unlinked temporary file: its size is then known for the archive header,
/// and no plaintext ever reaches the disk.
pub struct StdinSpool {
    file: File,
    key: crate::crypto::EphemeralKey,
    /// The length of what standard input held, in bytes.
    pub size: u64,
}

impl StdinSpool {
    /// Reads standard input to its end into a new spool (exit 7 when that fails).
    pub fn read_stdin() -> Result<StdinSpool> {
        let file = tempfile::tempfile().map_err(spool_error)?;
        let key = crate::crypto::EphemeralKey::generate();
        let stdin = io::stdin().lock();
        let (size, writer) = key
            .encrypt_all(stdin, BufWriter::with_capacity(CHUNK, file))
            .map_err(|source| MultipartError::StdinUnreadable { source })?;
        let file = writer
            .into_inner()
            .map_err(|err| spool_error(err.into_error()))?;
        Ok(StdinSpool { file, key, size })
    }

    /// The spooled bytes, decrypted, from the start.
    pub fn reader(&self) -> io::Result<impl io::Read + use<>> {
        let mut file = self.file.try_clone()?;
        std::io::Seek::rewind(&mut file)?;
        self.key
            .decrypt(std::io::BufReader::with_capacity(CHUNK, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn parts_cover_the_stream_and_hash_their_own_bytes() {
        let data: Vec<u8> = (0..250_000u32).map(|i| (i % 251) as u8).collect();
        let spooled = encrypt_to_spool::<Error>(100_000, |mut writer| {
            writer.write_all(&data).unwrap();
            Ok((Some("plain".to_owned()), writer))
        })
        .unwrap();
        assert_eq!(spooled.size, 250_000);
        let sizes: Vec<u64> = spooled.parts.iter().map(|p| p.size).collect();
        assert_eq!(sizes, vec![100_000, 100_000, 50_000]);
        let mut file = spooled.file;
        let mut back = Vec::new();
        std::io::Seek::rewind(&mut file).unwrap();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        let third = &spooled.parts[2];
        assert_eq!(third.sha256, hex(&Sha256::digest(&data[200_000..])));
    }
}
