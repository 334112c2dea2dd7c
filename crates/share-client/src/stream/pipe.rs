//! The hand-off between blocking work and async I/O: a `Write` that sends large chunks into
//! a bounded channel (encryption feeding the upload), so memory stays flat whatever the size.

use std::io::{self, Write};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use super::CHUNK;

/// Chunks in flight between the encryption thread and the upload.
pub const DEPTH: usize = 8;

/// The blocking side's end of the channel: chunks of up to [`CHUNK`] bytes, or the error
/// that stopped the producer.
pub type Sender = mpsc::Sender<io::Result<Bytes>>;
/// The async side's end of the channel, read by [`into_stream`].
pub type Receiver = mpsc::Receiver<io::Result<Bytes>>;

/// A channel holding at most [`DEPTH`] chunks, so a producer faster than the upload waits.
pub fn channel() -> (Sender, Receiver) {
    mpsc::channel(DEPTH)
}

/// A blocking writer into the channel. `flush` sends what is buffered as one chunk.
pub struct ChannelWriter {
    sender: Sender,
    buffer: BytesMut,
}

impl ChannelWriter {
    /// A writer that sends [`CHUNK`]-sized chunks into `sender`.
    pub fn new(sender: Sender) -> Self {
        ChannelWriter {
            sender,
            buffer: BytesMut::with_capacity(CHUNK),
        }
    }

    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        self.buffer.reserve(CHUNK);
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = data.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&data[..take]);
        if self.buffer.len() == CHUNK {
            self.send_buffer()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// The receiving end as a stream of chunks for an HTTP body.
pub fn into_stream(receiver: Receiver) -> impl futures_util::Stream<Item = io::Result<Bytes>> {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}
