//! The only writer to standard output: the results of `send` (two labelled lines, the bare
//! link, or one JSON object) and of `receive --json`. Everything else goes to stderr.
//! A closed stdout (a broken pipe) is reported as [`LocalError::StdoutClosed`], which is
//! not an error (`main` exits 0 without a message).

use std::io::{self, Write};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use share_client::local::LocalError;

use crate::error::CliError;

fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|source| CliError::Json { source }.into())
}

/// What `send` reports, as the README's JSON object (version 1). No `Debug`: it holds the
/// passphrase.
#[derive(Serialize)]
pub struct SendReport<'a> {
    pub version: u32,
    pub link: &'a str,
    pub passphrase: Option<&'a str>,
    pub recipients: Vec<String>,
    pub expires_at: Option<String>,
    pub size: u64,
    pub ciphertext_size: u64,
    pub parts: u32,
    /// Computed only when the report is printed as JSON.
    pub sha256: Option<String>,
    /// The host that holds the share (of several given, the one it went to).
    pub host: &'a str,
    /// A relay share's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    /// A relay share's download limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<u32>,
    /// A relay share's manage token (to revoke it, or see its status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manage_token: Option<&'a str>,
}

/// How `send` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFormat {
    /// `Link:` and `Passphrase:` lines.
    Labelled,
    /// The link alone (the passphrase went to a file).
    LinkOnly,
    Json,
}

pub fn print_send(report: &SendReport<'_>, format: SendFormat) -> Result<()> {
    let mut text = match format {
        SendFormat::Json => json(report)?,
        SendFormat::LinkOnly => report.link.to_owned(),
        SendFormat::Labelled => match report.passphrase {
            Some(passphrase) => format!("Link:       {}\nPassphrase: {passphrase}", report.link),
            None => format!("Link:       {}", report.link),
        },
    };
    text.push('\n');
    let result = write_stdout(text.as_bytes());
    zeroize::Zeroize::zeroize(&mut text);
    result
}

/// One file `receive` wrote.
#[derive(Debug, Serialize)]
pub struct ReceivedFile {
    pub path: String,
    pub size: u64,
}

#[derive(Debug, Serialize)]
struct ReceiveReport<'a> {
    version: u32,
    files: &'a [ReceivedFile],
    sha256: &'a str,
}

pub fn print_receive(files: &[ReceivedFile], sha256: &str) -> Result<()> {
    let mut text = json(&ReceiveReport {
        version: 1,
        files,
        sha256,
    })?;
    text.push('\n');
    write_stdout(text.as_bytes())
}

/// A path as JSON text (lossy only for names that are not UTF-8, which share never writes).
pub fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|err| LocalError::output(err).into())
}

/// Prints a result as one JSON document.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut text = json(value)?;
    text.push('\n');
    let result = write_stdout(text.as_bytes());
    zeroize::Zeroize::zeroize(&mut text);
    result
}

/// Prints lines of a result for people, each escaped: they may quote what a relay said.
pub fn print_lines(lines: &[String]) -> Result<()> {
    let mut text = String::new();
    for line in lines {
        text.push_str(&crate::ui::report::printable(line));
        text.push('\n');
    }
    write_stdout(text.as_bytes())
}

/// Where `receive -o -` writes the decrypted payload: standard output, through this module
/// like every other result.
pub fn payload_writer() -> io::StdoutLock<'static> {
    io::stdout().lock()
}
