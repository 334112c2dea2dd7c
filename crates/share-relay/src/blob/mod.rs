//! Ciphertext storage behind the [`BlobStore`] trait, so an S3 or tfLink backend can slot in
//! beside [`fs::FsBlobs`].
//!
//! An object is named after its share id. Uploads go to a temporary object
//! ([`BlobStore::begin`]) that becomes visible under the share's name only when
//! [`BlobWriter::commit`] succeeds, after the last byte is durable; a writer dropped without
//! commit removes its temporary object. Temporary objects untouched for a while are orphans
//! ([`BlobStore::sweep_temps`]); a single instance clears them all at start-up
//! ([`BlobStore::clear_temps`]).

pub mod fs;

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;

/// A stream of content chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// One upload in progress.
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends a chunk.
    async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()>;
    /// Makes the object durable and visible under its final name.
    async fn commit(self: Box<Self>) -> anyhow::Result<()>;
}

/// Ciphertext storage.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Whether the storage answers.
    async fn ping(&self) -> anyhow::Result<()>;
    /// Starts a temporary object for `id`.
    async fn begin(&self, id: &str) -> anyhow::Result<Box<dyn BlobWriter>>;
    /// `len` bytes of `id` from `start`, or `None` if there is no such object.
    async fn open(&self, id: &str, start: u64, len: u64) -> anyhow::Result<Option<ByteStream>>;
    /// Deletes `id` (no error if absent).
    async fn delete(&self, id: &str) -> anyhow::Result<()>;
    /// Names of all complete objects.
    async fn list(&self) -> anyhow::Result<Vec<String>>;
    /// Deletes temporary objects untouched for `older_than`; how many.
    async fn sweep_temps(&self, older_than: Duration) -> anyhow::Result<usize>;
    /// Deletes every temporary object (only when no other instance can be writing).
    async fn clear_temps(&self) -> anyhow::Result<usize>;
}
