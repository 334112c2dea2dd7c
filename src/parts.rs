//! Receiving a multi-part share: fetching the parts its index lists with bounded
//! parallelism into a resume directory beside the destination, checking each against the
//! index before it is used, and reading them back in order as one age stream.
//!
//! The resume directory (`.share-resume-<hash of the link>`, mode 0700) holds only
//! ciphertext parts that passed their check (mode 0600); a later receive of the same link
//! reuses them instead of downloading them again. It is removed once the output is
//! committed. A part still being fetched is `part-NNNNN.partial` and is never reused.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use anyhow::Result;
use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use url::Url;

use crate::digest::hex;
use crate::error::{Failure, Kind, into_io, local_io};
use crate::host::{self, Network};
use crate::index::{Index, Part};

/// The prefix of resume directories, so a leftover one is recognisable.
pub const RESUME_PREFIX: &str = ".share-resume-";

/// Where verified parts of one link are kept until the output is committed.
pub struct ResumeDir {
    dir: PathBuf,
}

impl ResumeDir {
    /// Opens (or creates) the resume directory for `link` inside `base`.
    pub fn open(base: &Path, link: &Url) -> Result<ResumeDir> {
        let digest = hex(&Sha256::digest(link.as_str().as_bytes()));
        let dir = base.join(format!("{RESUME_PREFIX}{}", &digest[..16]));
        match fs::symlink_metadata(&dir) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(Failure::new(
                    Kind::LocalIo,
                    format!("{} is not a directory", dir.display()),
                )
                .hint("remove it and try again")
                .into());
            }
            Err(_) => crate::private::create_dir(&dir)
                .map_err(|err| local_io("create directory", &dir, &err))?,
        }
        Ok(ResumeDir { dir })
    }

    fn part_path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("part-{number:05}"))
    }

    /// Removes the directory and every part in it: the output is committed.
    pub fn remove(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Starts fetching every part with at most `network.jobs` at a time, and returns a reader
/// over the parts in order. `progress` is advanced by each part's size as it arrives.
pub fn fetch_all(
    client: reqwest::Client,
    network: Network,
    index: Index,
    resume: &ResumeDir,
    progress: indicatif::ProgressBar,
) -> (PartsReader, tokio::task::JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel();
    let count = index.parts.len();
    let targets: Vec<(usize, Part, Url, PathBuf)> = index
        .parts
        .iter()
        .zip(index.urls())
        .enumerate()
        .map(|(number, (part, url))| (number, part.clone(), url, resume.part_path(number)))
        .collect();
    let jobs = network.jobs;
    let task = tokio::spawn(async move {
        let fetches = futures_util::stream::iter(targets).map(|(number, part, url, path)| {
            let (client, network, progress) = (client.clone(), network.clone(), progress.clone());
            async move {
                let result =
                    fetch_part(&client, &network, number, &part, &url, &path, &progress).await;
                (number, result.map(|()| path))
            }
        });
        let mut fetches = fetches.buffer_unordered(jobs);
        while let Some(done) = fetches.next().await {
            let failed = done.1.is_err();
            if sender.send(done).is_err() || failed {
                return;
            }
        }
    });
    let reader = PartsReader {
        receiver,
        ready: HashMap::new(),
        next: 0,
        count,
        current: None,
    };
    (reader, task)
}

/// Fetches one part into `path`, unless a copy that matches the index is already there.
async fn fetch_part(
    client: &reqwest::Client,
    network: &Network,
    number: usize,
    part: &Part,
    url: &Url,
    path: &Path,
    progress: &indicatif::ProgressBar,
) -> Result<()> {
    if matches_index(path, part).await {
        progress.inc(part.size);
        return Ok(());
    }
    let partial = path.with_extension("partial");
    let mismatch = || -> anyhow::Error {
        Failure::new(
            Kind::BadPayload,
            format!("part {} of the share does not match its index", number + 1),
        )
        .hint("nothing was written; ask the sender to share it again")
        .into()
    };
    let download = host::download(client, url, network).await?;
    if download
        .content_length
        .is_some_and(|length| length != part.size)
    {
        return Err(mismatch());
    }
    let mut options = crate::private::file_options();
    options.create(true).truncate(true);
    let mut file = tokio::fs::OpenOptions::from(options)
        .open(&partial)
        .await
        .map_err(|err| local_io("create", &partial, &err))?;
    let mut hasher = Sha256::new();
    let mut received = 0u64;
    let mut body = download.body;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(crate::crypto::payload_read_error)?
    {
        received += chunk.len() as u64;
        if received > part.size {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(mismatch());
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|err| local_io("write", &partial, &err))?;
        progress.inc(chunk.len() as u64);
    }
    file.flush()
        .await
        .map_err(|err| local_io("write", &partial, &err))?;
    if received != part.size || hex(&hasher.finalize()) != part.sha256 {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(mismatch());
    }
    tokio::fs::rename(&partial, path)
        .await
        .map_err(|err| local_io("write", path, &err))
}

/// Whether a part kept from an earlier run is complete and matches the index.
async fn matches_index(path: &Path, part: &Part) -> bool {
    let (path, part) = (path.to_owned(), part.clone());
    tokio::task::spawn_blocking(move || {
        let Ok(mut file) = File::open(&path) else {
            return false;
        };
        let mut hasher = Sha256::new();
        let Ok(size) = io::copy(&mut file, &mut hasher) else {
            return false;
        };
        let matches = size == part.size && hex(&hasher.finalize()) == part.sha256;
        if !matches {
            let _ = fs::remove_file(&path);
        }
        matches
    })
    .await
    .unwrap_or(false)
}

/// The parts, in order, as one stream of ciphertext; waits for each part to be fetched.
pub struct PartsReader {
    receiver: mpsc::Receiver<(usize, Result<PathBuf>)>,
    ready: HashMap<usize, PathBuf>,
    next: usize,
    count: usize,
    current: Option<(File, PathBuf)>,
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((file, path)) = &mut self.current {
                let read = file
                    .read(buf)
                    .map_err(|err| into_io(local_io("read", path, &err)))?;
                if read > 0 {
                    return Ok(read);
                }
                self.current = None;
                self.next += 1;
                continue;
            }
            if self.next == self.count {
                return Ok(0);
            }
            if let Some(path) = self.ready.remove(&self.next) {
                let file =
                    File::open(&path).map_err(|err| into_io(local_io("read", &path, &err)))?;
                self.current = Some((file, path));
                continue;
            }
            match self.receiver.recv() {
                Ok((number, Ok(path))) => {
                    self.ready.insert(number, path);
                }
                Ok((_, Err(err))) => return Err(into_io(err)),
                Err(_) => return Err(into_io(anyhow::anyhow!("fetching the parts stopped"))),
            }
        }
    }
}
