//! `share send`: check everything that can be checked locally (the plan), then encrypt the
//! payload on a blocking thread straight into the upload (or, past the part size, into a
//! spool uploaded as parts plus an index), and print the link and the passphrase only once
//! the host has confirmed every upload.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use anyhow::Result;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::cli::SendArgs;
use crate::error::CliError;
use crate::plan::Environment;
use crate::ui::prompt;
use crate::ui::stdout::{self as output, SendFormat, SendReport};
use crate::ui::{progress, report};
use share_client::error::Kind;
use share_client::local::LocalError;
use share_client::local::receipts::{self, Receipt};
use share_client::multipart::index::{self, Index};
use share_client::payload::PayloadError;
use share_client::payload::pack::Payload;
use share_client::stream::StreamError;
use share_client::stream::digest::{HashingWriter, PayloadDigest};
use share_client::transport::host::{Host, TfLink};
use share_client::transport::relay::{self, RelayTarget, ShareOptions};
use share_client::transport::retry::with_retries;
use share_client::{crypto, crypto::passphrase, multipart::spool, stream::pipe, transport as host};
use share_proto::relay::CreatedShare;

/// What to send: files and directories, or standard input under a name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PayloadSource {
    Paths(Vec<PathBuf>),
    Stdin { name: String },
}

/// Everything `send` will do, decided from the arguments and the captured environment
/// alone: no file, key, CA root or standard input has been read yet ([`prepare`] does
/// that), so every usage error is found here, and unit-tested here.
pub(crate) struct Plan {
    pub(crate) payload: PayloadSource,
    /// Whether the payload is padded (Padmé) before encryption.
    pub(crate) pad: bool,
    /// The largest ciphertext one upload carries; more is split into parts.
    pub(crate) part_size: u64,
    pub(crate) network: crate::plan::NetworkPlan,
    /// Where the ciphertext goes, in order: tfLink-compatible hosts or relays. A share
    /// that cannot be uploaded to one goes whole to the next. A relay's API key is
    /// still to be read when it comes from `--relay-key-file`.
    pub(crate) hosts: Vec<Host>,
    /// Where the hosts' addresses came from (`--server`, `SHARE_SERVER`, …).
    pub(crate) hosts_from: &'static str,
    /// `--relay-key-file`, read by [`prepare`].
    pub(crate) relay_key_file: Option<PathBuf>,
    /// Whether a relay share's receipt is kept.
    pub(crate) keep_receipt: bool,
    /// Where the user's own passphrase comes from; `None` means generate one (or
    /// recipients are given).
    pub(crate) own_source: Option<passphrase::Source>,
    /// Public keys given with `-r`, parsed, with their text for the report.
    pub(crate) recipients: Vec<(String, crypto::BoxedRecipient)>,
    /// Files of public keys given with `-R`, read by [`prepare`].
    pub(crate) recipients_files: Vec<PathBuf>,
    pub(crate) passphrase_out: Option<PathBuf>,
    pub(crate) format: SendFormat,
    pub(crate) qr: bool,
    pub(crate) quiet: bool,
}

/// A plan with its inputs read and checked: what the send acts on.
pub(crate) struct Prepared {
    pub(crate) payload: Arc<Payload>,
    pub(crate) part_size: u64,
    pub(crate) network: host::Network,
    pub(crate) hosts: Vec<Host>,
    pub(crate) hosts_from: &'static str,
    pub(crate) keep_receipt: bool,
    /// The user's own passphrase, already read and checked; `None` means generate one.
    pub(crate) own_passphrase: Option<SecretString>,
    /// Whether that passphrase came from `SHARE_PASSPHRASE` (said on stderr: it may be
    /// left over from a receive).
    pub(crate) passphrase_from_env: bool,
    /// Public keys to encrypt to instead of a passphrase (none: a passphrase share).
    pub(crate) recipients: Arc<Vec<crypto::BoxedRecipient>>,
    /// The recipients as given, for the report.
    pub(crate) recipient_texts: Vec<String>,
    pub(crate) passphrase_out: Option<PathBuf>,
    pub(crate) format: SendFormat,
    pub(crate) qr: bool,
    pub(crate) quiet: bool,
}

/// Checks flags and environment and decides what to do (exit 2 for a usage error),
/// reading nothing.
pub(crate) fn plan(args: SendArgs, env: &Environment) -> Result<Plan> {
    crate::plan::check_relay_flags(&args.relay)?;
    let hosts = hosts(&args, env)?;
    let format = match (args.json, &args.passphrase_out) {
        (true, _) => SendFormat::Json,
        (false, Some(_)) => SendFormat::LinkOnly,
        (false, None) => SendFormat::Labelled,
    };
    let mut recipients = Vec::new();
    for text in &args.recipients {
        recipients.push((text.trim().to_owned(), crypto::parse_recipient(text)?));
    }
    let has_recipients = !recipients.is_empty() || !args.recipients_files.is_empty();
    // With recipients there is no passphrase: SHARE_PASSPHRASE in the environment is ignored.
    let own_source =
        passphrase::own_source(args.passphrase_file.as_deref(), env.passphrase_is_set())
            .filter(|_| !has_recipients);
    let payload = payload_source(&args.paths, args.name.as_deref())?;
    if let Some(source) = &own_source {
        if *source == passphrase::Source::Stdin {
            if is_stdin(&payload) {
                return Err(CliError::StdinWantedTwice.into());
            }
            if env.stdin_is_terminal {
                return Err(CliError::PassphraseStdinIsTerminal.into());
            }
        }
        env.check_passphrase_text(source)?;
    }
    if let Some(largest) = hosts
        .iter()
        .filter_map(|host| host.profile().largest_upload)
        .min()
        .filter(|largest| args.part_size > *largest)
    {
        return Err(CliError::PartSizeOverLimit {
            part_size: args.part_size,
            largest,
        }
        .into());
    }
    Ok(Plan {
        payload,
        pad: !args.no_pad,
        part_size: args.part_size,
        network: crate::plan::network_plan(&args.network, args.quiet),
        hosts_from: if args.relay.relays.is_empty() {
            args.host.servers_from
        } else {
            args.relay.relays_from
        },
        hosts,
        relay_key_file: args.relay.relay_key_file,
        keep_receipt: !args.relay.no_receipt,
        own_source,
        recipients,
        recipients_files: args.recipients_files,
        passphrase_out: args.passphrase_out,
        format,
        qr: args.qr,
        quiet: args.quiet,
    })
}

fn is_stdin(payload: &PayloadSource) -> bool {
    matches!(payload, PayloadSource::Stdin { .. })
}

/// Reads what the plan names, in the order a user fixes things: the relay's key file,
/// the recipients files, the passphrase (prompting if need be), the CA roots, then the
/// payload (standard input is read to its end here). Fails with exit 2, or 7 for an
/// unreadable input, before anything is encrypted or sent.
pub(crate) fn prepare(plan: Plan, env: &Environment) -> Result<Prepared> {
    let mut hosts = plan.hosts;
    if let Some(path) = &plan.relay_key_file {
        let key = relay::read_secret_file(path, "--relay-key-file", "the relay's API key")?;
        for host in &mut hosts {
            if let Host::Relay(relay) = host {
                relay.key = Some(key.clone());
            }
        }
    }
    let mut recipients = plan.recipients;
    for path in &plan.recipients_files {
        recipients.extend(crypto::read_recipients_file(path)?);
    }
    if !recipients.is_empty() {
        let keys: Vec<_> = recipients.iter().map(|(_, key)| key).collect();
        crypto::check_header_fits(&keys)?;
    }
    let own_passphrase = match &plan.own_source {
        Some(source) => {
            let secret =
                passphrase::read(source, env.passphrase.as_ref(), &mut prompt::passphrase)?;
            passphrase::check_strength(&secret)?;
            Some(secret)
        }
        None => None,
    };
    let network = plan.network.connect()?;
    let mut payload = match &plan.payload {
        PayloadSource::Stdin { name } => {
            Payload::from_stdin(name, spool::StdinSpool::read_stdin()?)?
        }
        PayloadSource::Paths(paths) => Payload::collect(paths)?,
    };
    if plan.pad {
        payload.pad();
    }
    Ok(Prepared {
        payload: Arc::new(payload),
        part_size: plan.part_size,
        network,
        hosts,
        hosts_from: plan.hosts_from,
        keep_receipt: plan.keep_receipt,
        own_passphrase,
        passphrase_from_env: plan.own_source == Some(passphrase::Source::Env),
        recipient_texts: recipients.iter().map(|(text, _)| text.clone()).collect(),
        recipients: Arc::new(recipients.into_iter().map(|(_, key)| key).collect()),
        passphrase_out: plan.passphrase_out,
        format: plan.format,
        qr: plan.qr,
        quiet: plan.quiet,
    })
}

/// The hosts to try in order: the relays when `--relay` (or `SHARE_RELAY`) names any,
/// otherwise the tfLink-compatible servers (`--server`, `SHARE_SERVER`, or tfLink). A
/// relay's key is `SHARE_RELAY_KEY`'s here; `--relay-key-file` replaces it in [`prepare`].
fn hosts(args: &SendArgs, env: &Environment) -> Result<Vec<Host>> {
    let relays = crate::plan::addresses(&args.relay.relays);
    if relays.is_empty() {
        let account = env.account()?;
        let mut servers = crate::plan::addresses(&args.host.servers);
        if servers.is_empty() {
            servers.push(crate::cli::DEFAULT_SERVER);
        }
        return servers
            .iter()
            .map(|text| {
                let base = host::parse_user_url(text, args.host.servers_from)?;
                Ok(Host::TfLink(TfLink {
                    endpoint: host::upload_endpoint(&base),
                    base,
                    account: account.clone(),
                }))
            })
            .collect();
    }
    let key = match &args.relay.relay_key_file {
        Some(_) => None,
        None => env.relay_key.clone(),
    };
    let allow_ips = args
        .relay
        .allow_ips
        .iter()
        .map(|text| crate::plan::check_cidr(text))
        .collect::<Result<Vec<_>>>()?;
    relays
        .iter()
        .map(|text| {
            Ok(Host::Relay(RelayTarget::new(
                host::parse_user_url(text, args.relay.relays_from)?,
                key.clone(),
                ShareOptions {
                    expires_in: args.relay.expires,
                    max_downloads: args.relay.downloads.unwrap_or(1),
                    allow_ips: allow_ips.clone(),
                },
            )))
        })
        .collect()
}

/// The files to send, or standard input for `-` (alone, with an optional `--name`).
fn payload_source(paths: &[PathBuf], name: Option<&str>) -> Result<PayloadSource> {
    let stdin = paths.iter().any(|path| path.as_os_str() == "-");
    match (stdin, paths.len(), name) {
        (true, 1, name) => Ok(PayloadSource::Stdin {
            name: name.unwrap_or("stdin").to_owned(),
        }),
        (true, _, _) => Err(CliError::StdinNotAlone.into()),
        (false, _, Some(_)) => Err(CliError::NameWithoutStdin.into()),
        (false, _, None) => Ok(PayloadSource::Paths(paths.to_vec())),
    }
}

pub(crate) async fn run(args: SendArgs, env: &Environment) -> Result<()> {
    let plan = prepare(plan(args, env)?, env)?;
    let show_status = !plan.quiet;
    for skipped in &plan.payload.skipped {
        report::status(
            plan.quiet,
            &format!(
                "skipped {} (not a regular file or directory)",
                skipped.display()
            ),
        );
    }
    // Created empty (0600, never overwriting) before the upload, so a bad path fails
    // before anything is shared; removed again if the send fails.
    let passphrase_file = match &plan.passphrase_out {
        Some(path) => Some(PassphraseFile::create(path)?),
        None => None,
    };
    let secret = if !plan.recipients.is_empty() {
        Secret::Recipients(Arc::clone(&plan.recipients))
    } else {
        match &plan.own_passphrase {
            Some(own) => Secret::Passphrase {
                passphrase: own.clone(),
                work_factor: crypto::OWN_WORK_FACTOR,
            },
            None => Secret::Passphrase {
                passphrase: passphrase::generate()?,
                work_factor: crypto::GENERATED_WORK_FACTOR,
            },
        }
    };

    let deadline = plan.network.overall_timeout;
    let (host, uploaded) = tokio::time::timeout(deadline, upload_with_failover(&plan, &secret))
        .await
        .map_err(|_| CliError::UploadTimedOut {
            seconds: deadline.as_secs(),
        })??;

    // Said once the share exists, so a failed send still prints one line only.
    if let (true, Some(own)) = (plan.passphrase_from_env, &plan.own_passphrase) {
        let notice = if passphrase::looks_generated(own) {
            "encrypting with the passphrase in SHARE_PASSPHRASE, which looks like one share \
             generated (left over from a receive?); unset SHARE_PASSPHRASE to get a new one"
        } else {
            "encrypting with your own passphrase from SHARE_PASSPHRASE \
             (unset it to get a generated one)"
        };
        report::status(plan.quiet, notice);
    }
    let expires_at = host.expires_at();
    let created = match host {
        Host::Relay(relay) => relay.created().cloned(),
        Host::TfLink(_) => None,
    };
    let address = host.address().to_string();
    if let (Some(created), Host::Relay(relay)) = (&created, host) {
        if env.github_actions {
            crate::ui::report::mask_in_github_actions(&SecretString::from(
                created.manage_token.as_str(),
            ));
        }
        if plan.keep_receipt {
            keep_receipt(created, &relay.base, plan.quiet);
        }
    }
    if let (Some(file), Some(passphrase)) = (passphrase_file, secret.passphrase()) {
        file.write(passphrase)?;
    }
    // With --passphrase-out the passphrase goes to its file only: it never reaches the
    // output, so there is nothing to mask.
    let shown_passphrase = secret
        .passphrase()
        .filter(|_| plan.passphrase_out.is_none());
    if let Some(passphrase) = shown_passphrase
        && env.github_actions
    {
        crate::ui::report::mask_in_github_actions(passphrase);
    }
    let shown_passphrase = shown_passphrase.map(ExposeSecret::expose_secret);
    let report = SendReport {
        version: 1,
        link: uploaded.link.as_str(),
        passphrase: shown_passphrase,
        recipients: plan.recipient_texts.clone(),
        expires_at: expires_at.clone(),
        size: plan.payload.archive_len(),
        ciphertext_size: uploaded.ciphertext_size,
        parts: uploaded.parts,
        sha256: uploaded.sha256,
        host: &address,
        id: created.as_ref().map(|created| created.id.as_str()),
        max_downloads: created.as_ref().map(|created| created.max_downloads),
        manage_token: created
            .as_ref()
            .map(|created| created.manage_token.as_str()),
    };
    output::print_send(&report, plan.format)?;
    if let (true, Some(passphrase)) = (plan.qr, secret.passphrase()) {
        crate::ui::qr::show(passphrase, plan.quiet);
    }
    if show_status {
        let expiry = match (&created, &expires_at) {
            (Some(created), _) => format!(
                "the link works for {} until {}; `share revoke {}` ends it sooner",
                downloads_text(created.max_downloads),
                created.expires_at,
                created.link
            ),
            (None, Some(when)) => format!("the link expires in 7 days ({when})"),
            (None, None) => {
                "account uploads are kept as long as your tfLink account keeps them".to_owned()
            }
        };
        let where_passphrase = match &plan.passphrase_out {
            Some(path) => format!(" (the passphrase is in {})", path.display()),
            None => String::new(),
        };
        if secret.passphrase().is_some() {
            report::status(
                plan.quiet,
                &format!(
                    "send the link and the passphrase over different channels{where_passphrase}; {expiry}."
                ),
            );
        } else {
            report::status(
                plan.quiet,
                &format!("only the holders of the recipients' private keys can open it; {expiry}."),
            );
        }
    }
    Ok(())
}

/// "1 download", "3 downloads".
fn downloads_text(count: u32) -> String {
    if count == 1 {
        "1 download".to_owned()
    } else {
        format!("{count} downloads")
    }
}

/// Keeps the receipt of a relay share, so `share revoke` and `share status` find it. A
/// receipt that cannot be written is reported, not fatal: the share exists either way.
fn keep_receipt(created: &CreatedShare, relay: &Url, quiet: bool) {
    let receipt = Receipt {
        id: created.id.clone(),
        link: created.link.clone(),
        relay: relay.to_string(),
        manage_token: created.manage_token.clone(),
        created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        expires_at: created.expires_at.clone(),
        max_downloads: created.max_downloads,
    };
    if let Err(err) = receipts::save(&receipt) {
        report::status(
            quiet,
            &format!(
                "warning: {}; without it, revoke with the manage token that --json prints",
                crate::error::one_line(&err.into())
            ),
        );
    }
}

/// What the share is encrypted to: a passphrase (with its scrypt work factor) or public keys.
#[derive(Clone)]
enum Secret {
    Passphrase {
        passphrase: SecretString,
        work_factor: u8,
    },
    Recipients(Arc<Vec<crypto::BoxedRecipient>>),
}

impl Secret {
    fn passphrase(&self) -> Option<&SecretString> {
        match self {
            Secret::Passphrase { passphrase, .. } => Some(passphrase),
            Secret::Recipients(_) => None,
        }
    }

    /// A fresh encryptor (a new file key) for one encryption of the payload.
    fn encryptor(&self) -> share_client::Result<crypto::Encryptor> {
        match self {
            Secret::Passphrase {
                passphrase,
                work_factor,
            } => crypto::passphrase_encryptor(passphrase.clone(), *work_factor),
            Secret::Recipients(recipients) => crypto::recipients_encryptor(recipients),
        }
    }
}

/// A confirmed upload.
struct Uploaded {
    link: Url,
    ciphertext_size: u64,
    parts: u32,
    /// The plaintext payload's SHA-256, computed only for the JSON report.
    sha256: Option<String>,
}

/// The largest age header with its nonce that a passphrase share can have: with it, a
/// payload whose ciphertext fits one part is known before encrypting.
const MAX_PREFIX: u64 = 1024;

/// Sends the share to the first host that takes it. When a host fails in a way another
/// may not (unreachable, 5xx or 429 after the retries, an unusable reply), the whole
/// share, parts and index alike, starts again on the next, and stderr names both; any
/// other failure, or one on the last host, ends the send. A share never spans two hosts.
async fn upload_with_failover<'p>(
    plan: &'p Prepared,
    secret: &Secret,
) -> Result<(&'p Host, Uploaded)> {
    let mut hosts = plan.hosts.iter().peekable();
    while let Some(host) = hosts.next() {
        let failure = match upload_share(plan, host, secret).await {
            Ok(uploaded) => return Ok((host, uploaded)),
            Err(failure) => failure,
        };
        let unusable = failure
            .downcast_ref::<share_client::Error>()
            .is_some_and(share_client::Error::host_unusable);
        match (hosts.peek(), failure.downcast::<share_client::Error>()) {
            (Some(next), Ok(error)) if unusable => report::status(
                plan.quiet,
                &format!(
                    "could not upload to {}: {error}; sending the whole share to {} instead",
                    host.address(),
                    next.address()
                ),
            ),
            (_, Ok(error)) => {
                return Err(CliError::HostFailed {
                    source: error,
                    from: plan.hosts_from,
                }
                .into());
            }
            (_, Err(other)) => return Err(other),
        }
    }
    unreachable!("a send always has at least one host")
}

/// Sends the payload to one host: streamed straight into one upload when its ciphertext
/// fits one part, otherwise encrypted once into a spool file and uploaded as parts plus
/// an index.
async fn upload_share(plan: &Prepared, host: &Host, secret: &Secret) -> Result<Uploaded> {
    let client = host::LazyUploadClient::new(&plan.network);
    // The size is known up front (to within the header, corrected once it is written),
    // so the upload bar shows a total, a percentage and the time left, like downloads.
    let estimate = crypto::ciphertext_len(MAX_PREFIX, plan.payload.len());
    let bar = progress::bytes_bar(Some(estimate), "Uploading", progress::visible(plan.quiet));
    let fits_one_upload = !host.profile().splits
        || crypto::ciphertext_len(MAX_PREFIX, plan.payload.len()) <= plan.part_size;
    let result = if fits_one_upload {
        with_retries(&plan.network, || {
            upload_streaming(plan, host, secret, &client, &bar)
        })
        .await
        .map_err(Into::into)
    } else {
        upload_in_parts(plan, host, secret, &client, &bar).await
    };
    bar.finish_and_clear();
    result
}

/// A chunk stream that advances the progress bar, and takes its bytes back from the bar
/// if the attempt fails, so a retry does not count twice.
struct Counted {
    bar: indicatif::ProgressBar,
    sent: Arc<AtomicU64>,
}

impl Counted {
    fn new(bar: &indicatif::ProgressBar) -> Self {
        Counted {
            bar: bar.clone(),
            sent: Arc::new(AtomicU64::new(0)),
        }
    }

    fn wrap<S>(
        &self,
        stream: S,
    ) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + use<S>
    where
        S: futures_util::Stream<Item = std::io::Result<Bytes>>,
    {
        let (bar, sent) = (self.bar.clone(), Arc::clone(&self.sent));
        stream.inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                bar.inc(chunk.len() as u64);
                sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        })
    }

    fn settle<T>(self, result: Result<T, host::AttemptFailure>) -> Result<T, host::AttemptFailure> {
        if result.is_err() {
            let sent = self.sent.load(Ordering::Relaxed);
            self.bar
                .set_position(self.bar.position().saturating_sub(sent));
        }
        result
    }
}

/// One attempt at a single-part share: encryption on a blocking thread feeding the upload.
/// Every attempt encrypts afresh, so a retry never re-sends part of an earlier body.
async fn upload_streaming(
    plan: &Prepared,
    host: &Host,
    secret: &Secret,
    client: &host::LazyUploadClient,
    bar: &indicatif::ProgressBar,
) -> Result<Uploaded, host::AttemptFailure> {
    let fatal = |error| host::AttemptFailure { error, retry: None };
    let (sender, mut receiver) = pipe::channel();
    let wants_digest = plan.format == SendFormat::Json;
    let encryption = {
        let secret = secret.clone();
        let payload = Arc::clone(&plan.payload);
        tokio::task::spawn_blocking(move || {
            encrypt_payload(
                &payload,
                &secret,
                PayloadDigest::new(wants_digest),
                pipe::ChannelWriter::new(sender),
            )
            .map(|(sha256, _)| sha256)
        })
    };

    let client = client.get().await.map_err(fatal)?;
    // The encryptor sends the age header and nonce first: with them the exact ciphertext
    // length is known, so the upload carries a Content-Length.
    let prefix = match receiver.recv().await {
        Some(Ok(prefix)) => prefix,
        _ => {
            let error = joined(encryption.await)
                .err()
                .unwrap_or_else(|| StreamError::NoHeader.into());
            return Err(fatal(error));
        }
    };
    let ciphertext_size = crypto::ciphertext_len(prefix.len() as u64, plan.payload.len());
    bar.set_length(ciphertext_size);
    let counted = Counted::new(bar);
    let body = counted
        .wrap(futures_util::stream::once(async { Ok(prefix) }).chain(pipe::into_stream(receiver)));
    let upload = host::Upload {
        body,
        length: ciphertext_size,
        name: host::NEUTRAL_NAME,
        mime: "application/octet-stream",
    };
    let uploaded = counted.settle(host.upload(client, upload).await);
    let encrypted = joined(encryption.await);
    match (uploaded, encrypted) {
        // A problem with the input explains a failed upload better than the upload error;
        // an unexpected one (the stream closing because the upload stopped) does not.
        (_, Err(err)) if err.kind() != Kind::Internal => Err(fatal(err)),
        (Err(failure), _) => Err(failure),
        (Ok(_), Err(err)) => Err(fatal(err)),
        (Ok(link), Ok(sha256)) => Ok(Uploaded {
            link,
            ciphertext_size,
            parts: 1,
            sha256,
        }),
    }
}

fn joined<T>(
    result: Result<share_client::Result<T>, tokio::task::JoinError>,
) -> share_client::Result<T> {
    result.map_err(|err| StreamError::thread("encryption", &err))?
}

/// A multi-part share: encrypt once into an unlinked spool file (ciphertext only, gone
/// when the process ends however it ends), upload its parts with bounded parallelism,
/// each retried on its own, then the index that the link will point to.
async fn upload_in_parts(
    plan: &Prepared,
    host: &Host,
    secret: &Secret,
    client: &host::LazyUploadClient,
    bar: &indicatif::ProgressBar,
) -> Result<Uploaded> {
    let wants_digest = plan.format == SendFormat::Json;
    let spooled = {
        let secret = secret.clone();
        let payload = Arc::clone(&plan.payload);
        let part_size = plan.part_size;
        joined(
            tokio::task::spawn_blocking(move || {
                spool::encrypt_to_spool::<share_client::Error>(part_size, |out| {
                    encrypt_payload(&payload, &secret, PayloadDigest::new(wants_digest), out)
                })
            })
            .await,
        )?
    };
    let client = client.get().await?;
    bar.set_length(spooled.size);
    let spool = Arc::new(spooled.file);
    let links: Vec<Url> = futures_util::stream::iter(spooled.parts.iter())
        .map(|part| {
            let spool = Arc::clone(&spool);
            with_retries(&plan.network, move || {
                let counted = Counted::new(bar);
                let upload = host::Upload {
                    body: counted.wrap(spool::read_range(
                        Arc::clone(&spool),
                        part.offset,
                        part.size,
                    )),
                    length: part.size,
                    name: host::NEUTRAL_NAME,
                    mime: "application/octet-stream",
                };
                async move { counted.settle(host.upload(client, upload).await) }
            })
        })
        .buffered(plan.network.jobs)
        .try_collect()
        .await?;

    let index = Index {
        share_index: index::VERSION,
        size: spooled.size,
        parts: spooled
            .parts
            .iter()
            .zip(&links)
            .map(|(part, link)| index::Part {
                url: link.to_string(),
                size: part.size,
                sha256: part.sha256.clone(),
            })
            .collect(),
    };
    let text = Bytes::from(index.to_text());
    let link = with_retries(&plan.network, || {
        let upload = host::Upload {
            body: futures_util::stream::once(std::future::ready(Ok(text.clone()))),
            length: text.len() as u64,
            name: index::NEUTRAL_NAME,
            mime: "application/json",
        };
        host.upload(client, upload)
    })
    .await?;
    Ok(Uploaded {
        link,
        ciphertext_size: spooled.size,
        parts: u32::try_from(links.len()).unwrap_or(u32::MAX),
        sha256: spooled.sha256,
    })
}

/// Runs on a blocking thread: scrypt, then the archive through age into `output`.
/// Returns the SHA-256 of the plaintext payload (when `digest` asks for it) and the
/// output, finished.
fn encrypt_payload<W: Write>(
    payload: &Payload,
    secret: &Secret,
    digest: PayloadDigest,
    output: W,
) -> share_client::Result<(Option<String>, W)> {
    // The output is the upload (or the spool): it fails only when that stopped.
    let closed = |source| PayloadError::SinkClosed { source };
    let encryptor = secret.encryptor()?;
    let mut encrypted = encryptor.wrap_output(output).map_err(closed)?;
    // Hands the header and nonce on at once (see `upload_streaming`).
    encrypted.flush().map_err(closed)?;
    let mut hashing = HashingWriter::new(&mut encrypted, digest);
    payload.write_to(&mut hashing)?;
    let sha256 = hashing.finish_hex();
    let mut output = encrypted.finish().map_err(closed)?;
    output.flush().map_err(closed)?;
    Ok((sha256, output))
}

/// The `--passphrase-out` file: created empty up front, filled only after a successful
/// upload, and removed if the send fails before that.
struct PassphraseFile {
    path: PathBuf,
    file: Option<fs::File>,
}

impl PassphraseFile {
    fn create(path: &Path) -> Result<PassphraseFile> {
        let file = share_client::local::private::create_new_file(path).map_err(
            |err| -> anyhow::Error {
                if err.kind() == std::io::ErrorKind::AlreadyExists {
                    CliError::PassphraseOutExists {
                        path: path.to_owned(),
                    }
                    .into()
                } else {
                    LocalError::io("create", path, err).into()
                }
            },
        )?;
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
            .map_err(|err| LocalError::io("write", &self.path, err))?;
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

#[cfg(test)]
mod tests {
    //! Every usage error of `send` comes from [`plan`], which reads nothing: these tests
    //! give it paths, key files and CA files that do not exist, and it must not care.

    use clap::Parser;
    use share_client::error::Kind;

    use super::*;
    use crate::cli::{Cli, Command};

    fn args(line: &[&str]) -> SendArgs {
        let mut full = vec!["share", "send"];
        full.extend_from_slice(line);
        match Cli::try_parse_from(full).expect("parses").command {
            Command::Send(args) => args,
            _ => unreachable!("a send"),
        }
    }

    /// The one line shown for a plan's error, and its exit code.
    fn refused(line: &[&str], env: &Environment) -> (String, u8) {
        let err = plan(args(line), env).err().expect("refused");
        let kind = crate::error::kind_of(&err).expect("a typed error");
        (crate::error::one_line(&err), kind.exit_code())
    }

    fn assert_usage(line: &[&str], env: &Environment, starts: &str) {
        let (text, code) = refused(line, env);
        assert_eq!(code, Kind::Usage.exit_code(), "{line:?}: {text}");
        assert!(text.starts_with(starts), "{line:?}: {text}");
    }

    #[test]
    fn a_plan_reads_nothing() {
        let plan = plan(
            args(&[
                "--ca-file",
                "/nonexistent/ca.pem",
                "-R",
                "/nonexistent/team.txt",
                "--json",
                "/nonexistent/payload.bin",
            ]),
            &Environment::default(),
        )
        .expect("nothing is read while planning");
        assert_eq!(
            plan.payload,
            PayloadSource::Paths(vec![PathBuf::from("/nonexistent/payload.bin")])
        );
        assert_eq!(plan.recipients_files.len(), 1);
        assert!(plan.own_source.is_none(), "recipients mean no passphrase");
        assert_eq!(plan.format, SendFormat::Json);
        let to_file = plan_with(&["--passphrase-out", "/nonexistent/pass.txt", "x"]);
        assert_eq!(to_file.format, SendFormat::LinkOnly);

        let relay = plan_of_relay(&["--relay-key-file", "/nonexistent/key", "a.txt"]);
        assert_eq!(
            relay.relay_key_file.as_deref(),
            Some(Path::new("/nonexistent/key"))
        );
        assert!(matches!(&relay.hosts[..], [Host::Relay(target)] if target.key.is_none()));
    }

    fn plan_of_relay(line: &[&str]) -> Plan {
        let mut full = vec!["--relay", "http://127.0.0.1:9"];
        full.extend_from_slice(line);
        plan(args(&full), &Environment::default()).expect("planned")
    }

    #[test]
    fn hosts_come_in_order_and_name_their_source() {
        let plan = plan(
            args(&[
                "--server",
                "http://a.test",
                "--server",
                "http://b.test/",
                "x",
            ]),
            &Environment::default(),
        )
        .unwrap();
        let addresses: Vec<String> = plan
            .hosts
            .iter()
            .map(|host| host.address().to_string())
            .collect();
        assert_eq!(addresses, ["http://a.test/", "http://b.test/"]);
        assert_eq!(plan.hosts_from, "--server");
        let default = plan_with(&["x"]);
        assert_eq!(default.hosts[0].address().as_str(), "https://tmpfile.link/");
    }

    fn plan_with(line: &[&str]) -> Plan {
        plan(args(line), &Environment::default()).expect("planned")
    }

    #[test]
    fn every_usage_error_is_found_by_the_plan() {
        let env = Environment::default();
        assert_usage(
            &["--downloads", "2", "x"],
            &env,
            "--downloads needs a relay",
        );
        assert_usage(&["--no-receipt", "x"], &env, "--no-receipt needs a relay");
        assert_usage(
            &[
                "--relay",
                "http://127.0.0.1:9",
                "--allow-ip",
                "10.0.0.0/33",
                "x",
            ],
            &env,
            "--allow-ip 10.0.0.0/33 is not an address",
        );
        assert_usage(
            &["--part-size", "200M", "x"],
            &env,
            "--part-size 200000000 is over the host's limit",
        );
        assert_usage(
            &["-", "x"],
            &env,
            "`-` (standard input) must be the only PATH",
        );
        assert_usage(&["--name", "n.txt", "x"], &env, "--name only applies");
        assert_usage(
            &["--passphrase-file", "-", "-"],
            &env,
            "--passphrase-file - and the path - both want standard input",
        );
        let terminal = Environment {
            stdin_is_terminal: true,
            ..Environment::default()
        };
        assert_usage(
            &["--passphrase-file", "-", "x"],
            &terminal,
            "--passphrase-file - reads standard input, which is a terminal",
        );
        assert_usage(
            &["--server", "tmpfile.link", "x"],
            &env,
            "--server does not start with http:// or https://",
        );
        assert_usage(
            &["--server", "ftp://tmpfile.link", "x"],
            &env,
            "--server must be an http:// or https:// address",
        );
        assert_usage(
            &["--relay", "relay.example", "x"],
            &env,
            "--relay does not start with http:// or https://",
        );
        assert_usage(&["-r", "age1notakey", "x"], &env, "the value given to -r");
        assert_usage(
            &[
                "-r",
                "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",
                "x",
            ],
            &env,
            "-r was given a private key",
        );
        let half_account = Environment {
            tflink_user_id: Some("user".into()),
            ..Environment::default()
        };
        assert_usage(
            &["x"],
            &half_account,
            "TFLINK_USER_ID and TFLINK_AUTH_TOKEN must be set together",
        );
        let not_utf8 = Environment {
            passphrase_not_utf8: true,
            ..Environment::default()
        };
        assert_usage(&["x"], &not_utf8, "SHARE_PASSPHRASE is not valid UTF-8");
    }

    #[test]
    fn where_the_passphrase_comes_from_is_decided_without_reading_it() {
        let env = Environment {
            passphrase: Some(SecretString::from("from the environment")),
            ..Environment::default()
        };
        assert_eq!(
            plan(args(&["x"]), &env).unwrap().own_source,
            Some(passphrase::Source::Env)
        );
        assert_eq!(
            plan(args(&["--passphrase-file", "/nonexistent", "x"]), &env)
                .unwrap()
                .own_source,
            Some(passphrase::Source::File(PathBuf::from("/nonexistent")))
        );
        assert!(
            plan(args(&["-r", RECIPIENT, "x"]), &env)
                .unwrap()
                .own_source
                .is_none()
        );
        assert_eq!(plan_with(&["x"]).own_source, None);
    }

    const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
}
