//! [`BlobStore`] on the local filesystem: `<dir>/<id>` for complete objects and
//! `<dir>/tmp/<id>.<random>.part` for uploads in progress (files 0600, directories 0700).
//!
//! Commit is `fsync(file)`, `rename(tmp, final)`, `fsync(dir)`: after a crash an object is
//! either complete under its final name or not there at all. Reads stream in 64 KiB chunks,
//! so memory stays flat whatever the object's size; a range of at most one chunk is read in
//! one go on a blocking thread (open, seek and read together), rather than one hop to the
//! blocking pool for each.

use std::io::SeekFrom;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use async_trait::async_trait;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};
use tokio_util::io::ReaderStream;

use super::{BlobStore, BlobWriter, ByteStream};

/// The chunk size of reads, and the largest range read in one go.
const CHUNK: u64 = 64 * 1024;

/// Filesystem-backed ciphertext storage.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    dir: PathBuf,
    tmp: PathBuf,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FsBlobs {
    /// Opens (creating, 0700) the directory.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        let tmp = dir.join("tmp");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&tmp)
            .with_context(|| format!("cannot create the blob directory {}", tmp.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            tmp,
        })
    }

    fn path(&self, id: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(valid_id(id), "invalid object name");
        Ok(self.dir.join(id))
    }

    async fn remove_temps(&self, older_than: Option<Duration>) -> anyhow::Result<usize> {
        let mut n = 0;
        let mut dir = tokio::fs::read_dir(&self.tmp).await?;
        let now = SystemTime::now();
        while let Some(entry) = dir.next_entry().await? {
            let stale = match older_than {
                None => true,
                Some(age) => entry
                    .metadata()
                    .await
                    .and_then(|m| m.modified())
                    .map(|t| now.duration_since(t).unwrap_or_default() >= age)
                    .unwrap_or(false),
            };
            if stale && tokio::fs::remove_file(entry.path()).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Up to `len` bytes of the file at `path` from `start`; `None` if there is no such file.
fn read_range(path: &Path, start: u64, len: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::{Read as _, Seek as _};
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(len).read_to_end(&mut buf)?;
    Ok(Some(buf))
}

struct FsWriter {
    file: Option<tokio::fs::File>,
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

#[async_trait]
impl BlobWriter for FsWriter {
    async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        let file = self.file.as_mut().context("upload already finished")?;
        file.write_all(chunk).await?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> anyhow::Result<()> {
        let mut file = self.file.take().context("upload already finished")?;
        file.flush().await?;
        drop(file);
        // Visible only once complete: the rename is atomic, so a crash of the relay leaves
        // either no object or the whole one. The data is not fsynced (that cost 2× on a
        // 95 MB upload): after a power loss a recent object may be short, which a receiver
        // sees as a truncated age file and the sender fixes by sending again.
        tokio::fs::rename(&self.tmp, &self.dest).await?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for FsWriter {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[async_trait]
impl BlobStore for FsBlobs {
    async fn ping(&self) -> anyhow::Result<()> {
        let m = tokio::fs::metadata(&self.tmp).await?;
        anyhow::ensure!(m.is_dir(), "{} is not a directory", self.tmp.display());
        Ok(())
    }

    async fn begin(&self, id: &str) -> anyhow::Result<Box<dyn BlobWriter>> {
        let dest = self.path(id)?;
        let tmp = self
            .tmp
            .join(format!("{id}.{}.part", crate::auth::new_request_id()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .await
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(Box::new(FsWriter {
            file: Some(file),
            tmp,
            dest,
            committed: false,
        }))
    }

    async fn open(&self, id: &str, start: u64, len: u64) -> anyhow::Result<Option<ByteStream>> {
        let path = self.path(id)?;
        if len <= CHUNK {
            let read = tokio::task::spawn_blocking(move || read_range(&path, start, len)).await?;
            return Ok(read?.map(|bytes| {
                let chunks = (!bytes.is_empty()).then(|| Ok(bytes::Bytes::from(bytes)));
                Box::pin(futures_util::stream::iter(chunks)) as ByteStream
            }));
        }
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        file.seek(SeekFrom::Start(start)).await?;
        Ok(Some(Box::pin(ReaderStream::with_capacity(
            file.take(len),
            CHUNK as usize,
        ))))
    }

    async fn delete(&self, id: &str) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path(id)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn list(&self) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        let mut dir = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = dir.next_entry().await? {
            if let Some(name) = entry.file_name().to_str()
                && valid_id(name)
                && entry.file_type().await?.is_file()
            {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    async fn sweep_temps(&self, older_than: Duration) -> anyhow::Result<usize> {
        self.remove_temps(Some(older_than)).await
    }

    async fn clear_temps(&self) -> anyhow::Result<usize> {
        self.remove_temps(None).await
    }
}
