//! `share send`: check everything that can be checked locally (the plan), then encrypt the
//! payload on a blocking thread straight into the upload, and print the link and the
//! passphrase only once the host has confirmed the upload.

use std::fs::{self, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Result;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

use crate::archive::Payload;
use crate::cli::SendArgs;
use crate::error::{Failure, Kind, local_io};
use crate::output::{self, SendFormat, SendReport};
use crate::{crypto, host, names, passphrase, pipe, progress};

/// The environment variables that carry tfLink account credentials.
pub const USER_ID_ENV: &str = "TFLINK_USER_ID";
pub const AUTH_TOKEN_ENV: &str = "TFLINK_AUTH_TOKEN";

/// Everything `send` will do, decided before any network I/O.
pub struct Plan {
    pub payload: std::sync::Arc<Payload>,
    pub network: host::Network,
    pub endpoint: Url,
    pub account: Option<host::Account>,
    /// The user's own passphrase, already read and checked; `None` means generate one.
    pub own_passphrase: Option<SecretString>,
    pub passphrase_out: Option<PathBuf>,
    pub format: SendFormat,
    pub qr: bool,
    pub quiet: bool,
}

/// Validates flags, environment and inputs. Fails with exit 2 (or 7 for unreadable input)
/// before anything is encrypted or sent.
pub fn plan(args: SendArgs) -> Result<Plan> {
    let endpoint = host::upload_endpoint(&host::parse_user_url(&args.host.server, "--server")?);
    let account = account_from_env()?;
    let format = match (args.json, &args.passphrase_out) {
        (true, _) => SendFormat::Json,
        (false, Some(_)) => SendFormat::LinkOnly,
        (false, None) => SendFormat::Labelled,
    };
    let own_passphrase = match passphrase::own_source(args.passphrase_file.as_deref()) {
        Some(source) => {
            let secret = passphrase::read(&source)?;
            passphrase::check_strength(&secret)?;
            Some(secret)
        }
        None => None,
    };
    let network = host::Network::from_args(&args.network)?;
    let payload = Payload::collect(&args.paths)?;
    refuse_if_too_large(crypto::ciphertext_len(0, payload.len()))?;
    Ok(Plan {
        payload: std::sync::Arc::new(payload),
        network,
        endpoint,
        account,
        own_passphrase,
        passphrase_out: args.passphrase_out,
        format,
        qr: args.qr,
        quiet: args.quiet,
    })
}

fn account_from_env() -> Result<Option<host::Account>> {
    let non_empty = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
    match (non_empty(USER_ID_ENV), non_empty(AUTH_TOKEN_ENV)) {
        (Some(user_id), Some(token)) => Ok(Some(host::Account {
            user_id,
            auth_token: SecretString::from(token),
        })),
        (None, None) => Ok(None),
        _ => Err(Failure::new(
            Kind::Usage,
            format!("{USER_ID_ENV} and {AUTH_TOKEN_ENV} must be set together"),
        )
        .hint("set both for an account upload, or neither for an anonymous one")
        .into()),
    }
}

fn refuse_if_too_large(ciphertext_size: u64) -> Result<()> {
    if ciphertext_size > host::MAX_UPLOAD_BYTES {
        return Err(Failure::new(
            Kind::Usage,
            format!(
                "the encrypted share would be {ciphertext_size} bytes, over the host's limit of {} bytes",
                host::MAX_UPLOAD_BYTES
            ),
        )
        .hint("send fewer or smaller files; nothing was uploaded")
        .into());
    }
    Ok(())
}

pub async fn run(args: SendArgs) -> Result<()> {
    let plan = plan(args)?;
    let show_status = !plan.quiet;
    for skipped in &plan.payload.skipped {
        if show_status {
            eprintln!(
                "share: skipped {} (not a regular file or directory)",
                names::escape_for_terminal(&skipped.display().to_string())
            );
        }
    }
    // Created empty (0600, never overwriting) before the upload, so a bad path fails
    // before anything is shared; removed again if the send fails.
    let passphrase_file = match &plan.passphrase_out {
        Some(path) => Some(PassphraseFile::create(path)?),
        None => None,
    };
    let secret = match &plan.own_passphrase {
        Some(own) => Secret {
            passphrase: own.clone(),
            work_factor: crypto::OWN_WORK_FACTOR,
        },
        None => Secret {
            passphrase: passphrase::generate()?,
            work_factor: crypto::GENERATED_WORK_FACTOR,
        },
    };

    let deadline = plan.network.overall_timeout;
    let uploaded = tokio::time::timeout(deadline, upload_with_retries(&plan, &secret))
        .await
        .map_err(|_| {
            Failure::new(
                Kind::Host,
                format!(
                    "the upload did not finish within {} seconds",
                    deadline.as_secs()
                ),
            )
            .hint("nothing was shared; try again, or allow more time with --timeout")
        })??;

    let expires_at = plan.account.is_none().then(|| {
        humantime::format_rfc3339_seconds(SystemTime::now() + host::ANONYMOUS_RETENTION).to_string()
    });
    if let Some(file) = passphrase_file {
        file.write(&secret.passphrase)?;
    }
    let shown_passphrase = plan
        .passphrase_out
        .is_none()
        .then(|| secret.passphrase.expose_secret());
    let report = SendReport {
        version: 1,
        link: uploaded.link.as_str(),
        passphrase: shown_passphrase,
        recipients: Vec::new(),
        expires_at: expires_at.clone(),
        size: plan.payload.len(),
        ciphertext_size: uploaded.ciphertext_size,
        parts: 1,
        sha256: uploaded.sha256,
    };
    output::print_send(&report, plan.format)?;
    if plan.qr {
        show_qr(&secret.passphrase, plan.quiet);
    }
    if show_status {
        let expiry = match &expires_at {
            Some(when) => format!("the link expires in 7 days ({when})"),
            None => "account uploads are kept as long as your tfLink account keeps them".to_owned(),
        };
        let where_passphrase = match &plan.passphrase_out {
            Some(path) => format!(" (the passphrase is in {})", path.display()),
            None => String::new(),
        };
        eprintln!(
            "share: send the link and the passphrase over different channels{where_passphrase}; {expiry}."
        );
    }
    Ok(())
}

/// The passphrase and the scrypt work factor it is used with.
#[derive(Clone)]
struct Secret {
    passphrase: SecretString,
    work_factor: u8,
}

/// A confirmed upload.
struct Uploaded {
    link: Url,
    ciphertext_size: u64,
    sha256: String,
}

/// Uploads, retrying transient host failures with backoff. Every attempt encrypts afresh
/// from the files, so a retry never re-sends part of an earlier body.
async fn upload_with_retries(plan: &Plan, secret: &Secret) -> Result<Uploaded> {
    let client = plan.network.upload_client()?;
    let bar = progress::bytes_bar(None, "Uploading", progress::visible(plan.quiet));
    let mut attempt = 0;
    loop {
        bar.set_position(0);
        match upload_once(plan, secret, &client, &bar).await {
            Ok(uploaded) => {
                bar.finish_and_clear();
                return Ok(uploaded);
            }
            Err(failure) => match failure.retry {
                Some(retry_after) if attempt < plan.network.retries => {
                    let wait = plan.network.backoff(attempt, retry_after);
                    attempt += 1;
                    if !plan.quiet {
                        bar.suspend(|| {
                            eprintln!(
                                "share: {}; retrying in {:.1} s (attempt {} of {})",
                                crate::error::what_happened(&failure.error),
                                wait.as_secs_f64(),
                                attempt + 1,
                                plan.network.retries + 1
                            );
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    bar.finish_and_clear();
                    return Err(failure.error);
                }
            },
        }
    }
}

/// One attempt: encryption on a blocking thread feeding one streamed upload.
async fn upload_once(
    plan: &Plan,
    secret: &Secret,
    client: &reqwest::Client,
    bar: &indicatif::ProgressBar,
) -> Result<Uploaded, host::UploadFailure> {
    let fatal = |error| host::UploadFailure { error, retry: None };
    let (sender, mut receiver) = pipe::channel();
    let encryption = {
        let secret = secret.clone();
        let payload = std::sync::Arc::clone(&plan.payload);
        tokio::task::spawn_blocking(move || {
            encrypt_payload(&payload, secret.passphrase, secret.work_factor, sender)
        })
    };
    let joined = |result: Result<Result<String>, tokio::task::JoinError>| -> Result<String> {
        result.map_err(|err| anyhow::anyhow!("the encryption thread failed: {err}"))?
    };

    // The encryptor sends the age header and nonce first: with them the exact ciphertext
    // length is known, so the upload carries a Content-Length.
    let prefix = match receiver.recv().await {
        Some(Ok(prefix)) => prefix,
        _ => {
            let error = joined(encryption.await)
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("encryption stopped before its header"));
            return Err(fatal(error));
        }
    };
    let ciphertext_size = crypto::ciphertext_len(prefix.len() as u64, plan.payload.len());
    refuse_if_too_large(ciphertext_size).map_err(fatal)?;
    bar.set_length(ciphertext_size);
    let counted = {
        let bar = bar.clone();
        futures_util::stream::once(async { Ok(prefix) })
            .chain(pipe::into_stream(receiver))
            .inspect(move |chunk| {
                if let Ok(chunk) = chunk {
                    bar.inc(chunk.len() as u64);
                }
            })
    };
    let uploaded = host::upload(
        client,
        &plan.endpoint,
        counted,
        ciphertext_size,
        plan.account.as_ref(),
    )
    .await;
    let encrypted = joined(encryption.await);
    match (uploaded, encrypted) {
        // A problem with the input explains a failed upload better than the upload error.
        (_, Err(err)) if crate::error::kind_of(&err).is_some() => Err(fatal(err)),
        (Err(failure), _) => Err(failure),
        (Ok(_), Err(err)) => Err(fatal(err)),
        (Ok(link), Ok(sha256)) => Ok(Uploaded {
            link,
            ciphertext_size,
            sha256,
        }),
    }
}

/// Runs on a blocking thread: scrypt, then the archive through age into the channel.
/// Returns the SHA-256 of the plaintext payload.
fn encrypt_payload(
    payload: &Payload,
    passphrase: SecretString,
    work_factor: u8,
    sender: pipe::Sender,
) -> Result<String> {
    let encryptor = crypto::passphrase_encryptor(passphrase, work_factor)?;
    let mut encrypted = encryptor
        .wrap_output(pipe::ChannelWriter::new(sender))
        .map_err(|err| anyhow::Error::new(err).context("the upload stream closed"))?;
    encrypted.flush()?;
    let mut hashing = HashingWriter {
        inner: &mut encrypted,
        hasher: Sha256::new(),
    };
    payload.write_to(&mut hashing)?;
    let digest = hashing.hasher.finalize();
    encrypted.finish()?.flush()?;
    Ok(crate::unpack::hex(&digest))
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(data)?;
        self.hasher.update(&data[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The `--passphrase-out` file: created empty up front, filled only after a successful
/// upload, and removed if the send fails before that.
struct PassphraseFile {
    path: PathBuf,
    file: Option<fs::File>,
}

impl PassphraseFile {
    fn create(path: &Path) -> Result<PassphraseFile> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AlreadyExists {
                Failure::new(Kind::LocalIo, format!("{} already exists", path.display()))
                    .hint("nothing was sent; choose a new file for --passphrase-out")
                    .into()
            } else {
                local_io("create", path, &err)
            }
        })?;
        Ok(PassphraseFile {
            path: path.to_owned(),
            file: Some(file),
        })
    }

    fn write(mut self, passphrase: &SecretString) -> Result<()> {
        let mut file = self.file.take().expect("written once");
        let line = zeroize::Zeroizing::new(format!("{}\n", passphrase.expose_secret()));
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|err| local_io("write", &self.path, &err))?;
        // Written: no longer ours to remove.
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for PassphraseFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The passphrase as a QR code on stderr. Only on a terminal: a QR code in a log file
/// would be the passphrase in the log.
fn show_qr(passphrase: &SecretString, quiet: bool) {
    if !std::io::stderr().is_terminal() {
        if !quiet {
            eprintln!(
                "share: --qr ignored: stderr is not a terminal, and the code would put the passphrase in a log"
            );
        }
        return;
    }
    match qrcode::QrCode::new(passphrase.expose_secret().as_bytes()) {
        Ok(code) => {
            let rendered = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            eprintln!("{rendered}");
        }
        Err(err) => eprintln!("share: cannot draw the QR code: {err}"),
    }
}
