//! Receiving a multi-part share: fetching the parts its index lists into a private resume
//! directory, checking each against the index before it is used, and reading them back in
//! order as one age stream.
//!
//! The resume directory lives in the user's cache (`$XDG_CACHE_HOME/share/resume/` or
//! `~/.cache/share/resume/`, the platform's cache directory elsewhere), one per link,
//! every level mode 0700 and owned by the user: a directory that belongs to someone else
//! is refused, and one whose mode let others in is emptied before use. It holds only
//! ciphertext parts that passed their check (mode 0600); a part still being fetched is
//! `part-NNNNN.partial`, created new and never through a link, and is never reused. A later
//! receive of the same link reuses checked parts instead of downloading them again. The
//! directory is removed once the output is committed, when the parts turn out to be bad,
//! and whenever a run ends with no checked part in it.
//!
//! Fetching runs at most `--jobs` parts ahead of decryption: a host (which can rewrite
//! the unauthenticated index at will) can make the receiver store no more than that
//! before the ciphertext has to authenticate.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use url::Url;

use crate::error::{Error, Result};
use crate::local::LocalError;
use crate::local::private::{self, NotPrivate};
use crate::multipart::MultipartError;
use crate::multipart::index::{Index, IndexChecks, Part};
use crate::stream::digest::hex;
use crate::transport::{self, Network};

/// How often a reader waiting for a part looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(50);

/// The resume directory of one link.
pub struct ResumeDir {
    dir: PathBuf,
    /// Kept for this run only (there is no cache directory): removed on drop.
    _temporary: Option<tempfile::TempDir>,
}

/// The per-user directory that holds resume directories, if the platform has a cache.
pub fn resume_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|cache| cache.join("share").join("resume"))
}

impl ResumeDir {
    /// Opens (or creates) the resume directory for `link` in the user's cache, checking
    /// every level it creates or reuses. Without a cache directory (no HOME), parts go to
    /// a private temporary directory and cannot be resumed by a later run.
    pub fn open(link: &Url) -> Result<ResumeDir> {
        let digest = hex(&Sha256::digest(link.as_str().as_bytes()));
        let Some(root) = resume_root() else {
            let temporary = tempfile::Builder::new()
                .prefix("share-resume-")
                .tempdir()
                .map_err(|err| {
                    LocalError::io("create a directory in", &std::env::temp_dir(), err)
                })?;
            return Ok(ResumeDir {
                dir: temporary.path().to_owned(),
                _temporary: Some(temporary),
            });
        };
        let share_dir = root.parent().expect("the root has a parent");
        if let Some(cache) = share_dir.parent() {
            fs::create_dir_all(cache)
                .map_err(|err| LocalError::io("create directory", cache, err))?;
        }
        private_level(share_dir)?;
        private_level(&root)?;
        let dir = root.join(&digest[..32]);
        if !private_level(&dir)? {
            // It existed but others could write to it: what is inside is not ours to trust.
            fs::remove_dir_all(&dir).map_err(|err| LocalError::io("clear", &dir, err))?;
            private::create_dir(&dir)
                .map_err(|err| LocalError::io("create directory", &dir, err))?;
        }
        Ok(ResumeDir {
            dir,
            _temporary: None,
        })
    }

    /// The directory itself, where the checked parts (`part-NNNNN`) are kept.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn part_path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("part-{number:05}"))
    }

    /// The bytes of the index's parts that are not kept here yet (a kept part has its
    /// full size; one of another size is fetched again).
    pub fn missing_bytes(&self, index: &Index) -> u64 {
        index
            .parts
            .iter()
            .enumerate()
            .filter(|(number, part)| {
                fs::metadata(self.part_path(*number)).map_or(true, |meta| meta.len() != part.size)
            })
            .map(|(_, part)| part.size)
            .sum()
    }

    /// Whether any checked part is kept.
    pub fn holds_parts(&self) -> bool {
        holds_parts(&self.dir)
    }

    /// Removes the directory and every part in it.
    pub fn remove(self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Whether the resume directory `dir` keeps any checked part (a `.partial` file does not
/// count).
pub fn holds_parts(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("part-") && !name.ends_with(".partial")
        })
    })
}

/// Makes one level of the resume path private; `Ok(false)` if it was not already.
fn private_level(path: &Path) -> Result<bool> {
    private::ensure_dir(path).map_err(|problem| match problem {
        NotPrivate::Io(err) => LocalError::io("create directory", path, err),
        NotPrivate::NotADirectory => MultipartError::ResumeNotADirectory {
            path: path.to_owned(),
        }
        .into(),
        NotPrivate::NotOurs => MultipartError::ResumeNotOurs {
            path: path.to_owned(),
        }
        .into(),
    })
}

/// Starts fetching the parts, at most `network.jobs` at a time and never more than
/// `network.jobs` parts ahead of what the reader has consumed, and returns a reader over
/// the parts in order. `progress` is advanced by each part's size as it arrives.
pub fn fetch_all(
    client: reqwest::Client,
    network: Network,
    index: Index,
    resume: &ResumeDir,
    progress: crate::events::Progress,
) -> (PartsReader, tokio::task::JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel();
    let (consumed_sender, consumed) = watch::channel(0usize);
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
            let mut consumed = consumed.clone();
            async move {
                // The window: part `number` waits until fewer than `jobs` parts before it
                // are fetched but not yet read.
                if consumed
                    .wait_for(|&read| number < read + jobs)
                    .await
                    .is_err()
                {
                    return None;
                }
                let result =
                    fetch_part(&client, &network, number, &part, &url, &path, &progress).await;
                Some((number, result.map(|()| path)))
            }
        });
        let mut fetches = fetches.buffer_unordered(jobs);
        let forward = async {
            while let Some(done) = fetches.next().await {
                let Some(done) = done else { return };
                let failed = done.1.is_err();
                if sender.send(done).is_err() || failed {
                    return;
                }
            }
        };
        tokio::select! {
            () = forward => {}
            () = crate::local::cleanup::stopped() => {}
        }
    });
    let reader = PartsReader {
        receiver,
        consumed: consumed_sender,
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
    progress: &crate::events::Progress,
) -> Result<()> {
    if matches_index(path, part).await {
        progress(part.size);
        return Ok(());
    }
    let partial = path.with_extension("partial");
    let mismatch = || -> Error { MultipartError::PartMismatch { part: number + 1 }.into() };
    let download = transport::download(client, url, network).await?;
    if download
        .content_length
        .is_some_and(|length| length != part.size)
    {
        return Err(mismatch());
    }
    // A leftover of an interrupted run is never appended to or written through.
    match tokio::fs::remove_file(&partial).await {
        Err(err) if err.kind() != io::ErrorKind::NotFound => {
            return Err(LocalError::io("replace", &partial, err));
        }
        _ => {}
    }
    let file = private::create_new_file(&partial)
        .map_err(|err| LocalError::io("create", &partial, err))?;
    let mut file = tokio::fs::File::from_std(file);
    let mut hasher = Sha256::new();
    let mut received = 0u64;
    let mut body = download.body;
    let written: Result<()> = async {
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(crate::crypto::payload_read_error)?
        {
            received += chunk.len() as u64;
            if received > part.size {
                return Err(mismatch());
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|err| LocalError::io("write", &partial, err))?;
            progress(chunk.len() as u64);
        }
        file.flush()
            .await
            .map_err(|err| LocalError::io("write", &partial, err))?;
        if received != part.size || hex(&hasher.finalize()) != part.sha256 {
            return Err(mismatch());
        }
        Ok(())
    }
    .await;
    if let Err(err) = written {
        // Only parts that passed their check stay.
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(err);
    }
    tokio::fs::rename(&partial, path)
        .await
        .map_err(|err| LocalError::io("write", path, err))
}

/// Whether a part kept from an earlier run is complete and matches the index.
async fn matches_index(path: &Path, part: &Part) -> bool {
    let (path, part) = (path.to_owned(), part.clone());
    tokio::task::spawn_blocking(move || {
        let Ok(mut file) = private::open_regular_file(&path) else {
            let _ = fs::remove_file(&path);
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

/// The parts, in order, as one stream of ciphertext; waits for each part to be fetched,
/// and tells the fetcher how far it has read.
pub struct PartsReader {
    receiver: mpsc::Receiver<(usize, Result<PathBuf>)>,
    consumed: watch::Sender<usize>,
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
                    .map_err(|err| LocalError::io("read", path, err).into_io())?;
                if read > 0 {
                    return Ok(read);
                }
                self.current = None;
                self.next += 1;
                self.consumed.send_replace(self.next);
                continue;
            }
            if self.next == self.count {
                return Ok(0);
            }
            if let Some(path) = self.ready.remove(&self.next) {
                let file = private::open_regular_file(&path)
                    .map_err(|err| LocalError::io("read", &path, err).into_io())?;
                self.current = Some((file, path));
                continue;
            }
            crate::local::cleanup::check_stop().map_err(Error::into_io)?;
            match self.receiver.recv_timeout(STOP_POLL) {
                Ok((number, Ok(path))) => {
                    self.ready.insert(number, path);
                }
                Ok((_, Err(err))) => return Err(err.into_io()),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::from(MultipartError::FetchStopped).into_io());
                }
            }
        }
    }
}
