//! The sender's receipts of relay shares: one JSON file per share in
//! `$XDG_STATE_HOME/share/receipts/` (directory 0700, files 0600), holding what `share
//! revoke`, `share status` and `share list` need: the link, the id, the relay, the manage
//! token and the expiry. Never the passphrase: a receipt lets its owner end a share, not
//! open it.

use std::fs;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::local::{LocalError, private};

/// One share's receipt.
#[derive(Clone, Serialize, Deserialize)]
pub struct Receipt {
    /// The share's id on the relay.
    pub id: String,
    /// The link the sender handed out.
    pub link: String,
    /// The relay's base URL.
    pub relay: String,
    /// The token that lets the sender see and revoke the share.
    pub manage_token: String,
    /// When the share was created (RFC 3339).
    pub created_at: String,
    /// When the link expires (RFC 3339, the relay's clock).
    pub expires_at: String,
    /// How many downloads the link allows.
    pub max_downloads: u32,
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipt")
            .field("id", &self.id)
            .field("relay", &self.relay)
            .field("manage_token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The directory receipts live in, if the platform has a place for state.
pub fn receipts_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|state| state.join("share").join("receipts"))
}

/// Writes a receipt (0600, in a 0700 directory checked to be this user's alone).
pub fn save(receipt: &Receipt) -> Result<PathBuf> {
    let dir = receipts_dir().ok_or(LocalError::NoReceiptPlace)?;
    let share_dir = dir.parent().expect("the receipts directory has a parent");
    if let Some(state) = share_dir.parent() {
        fs::create_dir_all(state).map_err(|err| LocalError::io("create directory", state, err))?;
    }
    for level in [share_dir, dir.as_path()] {
        // Made 0700 if it was more open; a directory of someone else's is refused.
        private::ensure_dir(level).map_err(|_| LocalError::NotPrivate {
            path: level.to_owned(),
        })?;
    }
    let path = dir.join(format!("{}.json", file_stem(&receipt.id)?));
    let mut text = serde_json::to_vec_pretty(receipt)
        .map_err(|source| LocalError::ReceiptEncoding { source })?;
    text.push(b'\n');
    let _ = fs::remove_file(&path);
    let written = private::create_new_file(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, &text));
    zeroize::Zeroize::zeroize(&mut text);
    written.map_err(|err| LocalError::io("write the receipt", &path, err))?;
    Ok(path)
}

/// An id as a file name: the relay's ids are base64url, anything else is refused.
fn file_stem(id: &str) -> Result<&str> {
    let safe = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if safe {
        Ok(id)
    } else {
        Err(LocalError::UnusableShareId.into())
    }
}

/// Every readable receipt, newest first.
pub fn list() -> Result<Vec<Receipt>> {
    let Some(dir) = receipts_dir() else {
        return Ok(Vec::new());
    };
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(LocalError::io("read", &dir, err)),
    };
    let mut receipts: Vec<Receipt> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
        .filter_map(|entry| {
            let file = private::open_regular_file(&entry.path()).ok()?;
            serde_json::from_reader(std::io::BufReader::new(file)).ok()
        })
        .collect();
    receipts.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(receipts)
}

/// The receipt of the share with this link or id.
pub fn find(link_or_id: &str) -> Result<Option<Receipt>> {
    let wanted = link_or_id.trim();
    Ok(list()?
        .into_iter()
        .find(|receipt| receipt.link == wanted || receipt.id == wanted))
}
