//! `share receive`: resolve the key (passphrase source or identities) and the destination
//! (the plan), download the link as a stream (or, for a multi-part share, its parts in
//! parallel), decrypt on a blocking thread straight into a staging directory, and move the
//! files into place only once the whole stream has authenticated.

use std::io::{self, Read};
use std::path::PathBuf;

use anyhow::Result;
use bytes::Bytes;
use futures_util::StreamExt;
use secrecy::SecretString;
use url::Url;

use crate::cli::ReceiveArgs;
use crate::error::CliError;
use crate::plan::Environment;
use crate::ui::prompt;
use crate::ui::stdout::{self as output, ReceivedFile};
use crate::ui::{progress, report};
use share_client::crypto::CryptoError;
use share_client::crypto::passphrase::{self, Source};
use share_client::error::Kind;
use share_client::local::LocalError;
use share_client::local::cleanup::{self, Done};
use share_client::local::destination::Destination;
use share_client::local::space;
use share_client::multipart::fetch::{self, ResumeDir};
use share_client::multipart::index::{self, IndexChecks};
use share_client::payload::PayloadError;
use share_client::payload::unpack::{self, Unpacked, Written};
use share_client::stream::StreamError;
use share_client::stream::digest::{HashingReader, PayloadDigest};
use share_client::transport::reach::PartRule;
use share_client::transport::relay;
use share_client::{crypto, payload::names, transport as host};

/// The name given to an arbitrary age file when its link has no usable one.
const FALLBACK_NAME: &str = "download";

/// Where decrypted bytes go.
#[derive(Debug)]
pub(crate) enum Output {
    Stdout,
    /// Files: into `-o PATH`, or the current directory when `None`.
    Files(Option<PathBuf>),
}

/// Everything `receive` will do, decided from the arguments and the captured environment
/// alone: the passphrase, identity files and CA roots are read afterwards, in [`run`].
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) link: Url,
    /// Where the passphrase comes from; `None` when identities are given instead.
    pub(crate) passphrase: Option<Source>,
    pub(crate) identities: Vec<PathBuf>,
    pub(crate) output: Output,
    pub(crate) force: bool,
    pub(crate) json: bool,
    pub(crate) quiet: bool,
    pub(crate) max_work_factor: u8,
    pub(crate) network: crate::plan::NetworkPlan,
}

pub(crate) fn plan(args: ReceiveArgs, env: &Environment) -> Result<Plan> {
    let link = host::parse_user_url(&args.link, "the link")?;
    let source = env.passphrase_source(args.passphrase_file.as_deref());
    if source.is_none() && args.identities.is_empty() {
        return Err(CliError::NoPassphraseSource.into());
    }
    let output = match args.output {
        Some(path) if path.as_os_str() == "-" => Output::Stdout,
        other => Output::Files(other),
    };
    if args.json && matches!(output, Output::Stdout) {
        return Err(CliError::JsonWithStdout.into());
    }
    Ok(Plan {
        link,
        passphrase: if args.identities.is_empty() {
            source
        } else {
            None
        },
        identities: args.identities,
        output,
        force: args.force,
        json: args.json,
        quiet: args.quiet,
        max_work_factor: args.max_work_factor,
        network: crate::plan::network_plan(&args.network, args.quiet),
    })
}

/// The passphrase, read up front when it comes from a file or the environment, so a bad
/// source fails before the download; a prompt waits until the file is known to need one.
pub(crate) enum Key {
    Ready(SecretString),
    Prompt,
    /// Identities from `-i` files, for shares sent to public keys.
    Identities(Vec<crypto::BoxedIdentity>),
}

pub(crate) async fn run(args: ReceiveArgs, env: &Environment) -> Result<()> {
    let plan = plan(args, env)?;
    let network = plan.network.connect()?;
    let key = match &plan.passphrase {
        None => {
            let mut identities = Vec::new();
            for path in &plan.identities {
                identities.extend(crypto::read_identity_file(path)?);
            }
            Key::Identities(identities)
        }
        Some(Source::Prompt) => Key::Prompt,
        Some(source) => {
            env.check_passphrase_text(source)?;
            Key::Ready(passphrase::read(
                source,
                env.passphrase.as_ref(),
                &mut prompt::passphrase,
            )?)
        }
    };
    let destination = match &plan.output {
        Output::Files(path) => Some(Destination::prepare(path.as_deref(), plan.force)?),
        Output::Stdout => None,
    };
    let deadline = network.overall_timeout;
    let received = match tokio::time::timeout(
        deadline,
        download_and_decrypt(&plan, &network, key, destination),
    )
    .await
    {
        Ok(received) => received?,
        Err(_) => {
            // Stop the decryption thread and wait for it before saying what was written.
            cleanup::remove_all();
            return Err(past_deadline(deadline, cleanup::done()).into());
        }
    };

    for line in wrote_lines(&received.files) {
        report::status(plan.quiet, &line);
    }
    if plan.json {
        let sha256 = received.sha256.ok_or(CliError::DigestMissing)?;
        output::print_receive(&received.files, &sha256)?;
    }
    Ok(())
}

/// More `wrote` lines than this are summarised: a screenful, not one line per file of a
/// share of thousands (`--json` still lists every one).
const WROTE_LINES_SHOWN: usize = 20;

/// One `wrote` line per file, or the first few and a summary of the rest.
fn wrote_lines(files: &[ReceivedFile]) -> Vec<String> {
    let line = |file: &ReceivedFile| {
        let place = if file.path == "-" {
            "standard output"
        } else {
            file.path.as_str()
        };
        format!("wrote {place} ({} bytes)", file.size)
    };
    if files.len() <= WROTE_LINES_SHOWN {
        return files.iter().map(line).collect();
    }
    let shown = WROTE_LINES_SHOWN - 1;
    let rest = &files[shown..];
    let mut lines: Vec<String> = files[..shown].iter().map(line).collect();
    lines.push(format!(
        "wrote {} more files ({} bytes; {} files, {} bytes in all; --json lists each)",
        rest.len(),
        rest.iter().map(|file| file.size).sum::<u64>(),
        files.len(),
        files.iter().map(|file| file.size).sum::<u64>(),
    ));
    lines
}

/// The error for a receive that ran past `--timeout`, saying truthfully what it left.
fn past_deadline(deadline: std::time::Duration, done: Done) -> CliError {
    let seconds = deadline.as_secs();
    match done {
        Done::Committed => CliError::DownloadTimedOutCommitted { seconds },
        Done::PartialStdout => CliError::DownloadTimedOutPartialStdout { seconds },
        Done::Resumable => CliError::DownloadTimedOutResumable { seconds },
        Done::Nothing => CliError::DownloadTimedOut { seconds },
    }
}

/// Downloads the link and decrypts what arrives on a blocking thread: one age file
/// streamed straight through, or, when the link holds an index, its parts in order.
async fn download_and_decrypt(
    plan: &Plan,
    network: &host::Network,
    key: Key,
    destination: Option<Destination>,
) -> Result<Received> {
    if relay::is_relay_link(&plan.link) {
        return receive_from_relay(plan, network, key, destination).await;
    }
    let client = network.download_client()?;
    let mut download = host::download(&client, &plan.link, network).await?;
    let first = match download.body.next().await {
        Some(chunk) => chunk.map_err(crypto::payload_read_error)?,
        None => Bytes::new(),
    };
    let show = progress::visible(plan.quiet);
    let show_now = show && !matches!(key, Key::Prompt);
    if index::looks_like_index(&first) {
        let (served_from, peer) = (download.served_from.clone(), download.peer);
        let text = read_index(first, download.body).await?;
        let index = index::parse(&text, host::MAX_DOWNLOAD_BYTES)?;
        let rule = PartRule::for_index(&plan.link, &served_from, peer);
        index.check_part_links(&rule)?;
        let part_client = network.part_client(&rule)?;
        let resume = ResumeDir::open(&plan.link)?;
        // The parts still to come must fit where they are kept, or nothing is fetched.
        if let Err(err) = space::ensure_parts(resume.path(), resume.missing_bytes(&index)) {
            if !resume.holds_parts() {
                resume.remove();
            }
            return Err(err.into());
        }
        let _leftover = cleanup::register_resume(resume.path(), fetch::holds_parts);
        let bar = progress::bytes_bar(Some(index.size), "Downloading", show_now);
        let destination = destination.map(|place| place.bounded_by(Some(index.size)));
        let (reader, fetching) = fetch::fetch_all(
            part_client,
            network.clone(),
            index,
            &resume,
            progress::as_callback(&bar),
        );
        let received = decrypt_on_thread(plan, key, destination, reader, &bar, show).await;
        fetching.abort();
        // Kept for the next attempt unless the parts themselves are bad, or none is kept.
        let parts_are_bad = received
            .as_ref()
            .is_err_and(|err| err.kind() == Kind::BadPayload);
        if received.is_ok() || parts_are_bad || !resume.holds_parts() {
            resume.remove();
        } else {
            cleanup::mark(Done::Resumable);
        }
        return Ok(received?);
    }
    let bar = progress::bytes_bar(download.content_length, "Downloading", show_now);
    let destination = destination.map(|place| place.bounded_by(download.content_length));
    // A stop request ends the stream, so the decryption thread never waits on the network.
    let body = futures_util::stream::once(std::future::ready(Ok(first)))
        .chain(download.body)
        .take_until(Box::pin(cleanup::stopped()));
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(body));
    Ok(decrypt_on_thread(plan, key, destination, bar.wrap_read(reader), &bar, show).await?)
}

/// A relay link: view it (consuming nothing), claim one download unless a ticket from an
/// earlier run is still valid, keep the ticket in the resume directory until the share has
/// been received, stream the content through decryption, and confirm completion.
async fn receive_from_relay(
    plan: &Plan,
    network: &host::Network,
    key: Key,
    destination: Option<Destination>,
) -> Result<Received> {
    // API calls never follow redirects; the content may (the download policy applies).
    let api = network.upload_client()?;
    let resume = ResumeDir::open(&plan.link)?;
    let claim = match relay::load_ticket(resume.path()) {
        Some(claim) => {
            report::status(
                plan.quiet,
                "downloading again with the ticket of the previous attempt (no second download is used)",
            );
            claim
        }
        None => {
            // The view says why a link cannot be used before anything is consumed.
            relay::view(&api, &plan.link).await?;
            let claim = relay::claim(&api, &plan.link).await?;
            relay::save_ticket(resume.path(), &claim)?;
            claim
        }
    };
    let _leftover = cleanup::register_resume(resume.path(), relay::holds_ticket);
    let content_url =
        Url::parse(&claim.content_url).map_err(|source| CliError::TicketUnusable {
            path: resume.path().to_owned(),
            source,
        })?;
    let client = network.download_client()?;
    let download =
        match host::download::download_limited(&client, &content_url, network, claim.size).await {
            Ok(download) => download,
            Err(err) => {
                if err.kind() == Kind::NotFound {
                    resume.remove();
                }
                return Err(err.into());
            }
        };
    let show = progress::visible(plan.quiet);
    let bar = progress::bytes_bar(
        Some(claim.size),
        "Downloading",
        show && !matches!(key, Key::Prompt),
    );
    let body = download.body.take_until(Box::pin(cleanup::stopped()));
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(body));
    let destination = destination.map(|place| place.bounded_by(Some(claim.size)));
    let received =
        decrypt_on_thread(plan, key, destination, bar.wrap_read(reader), &bar, show).await;
    match received {
        Ok(received) => {
            resume.remove();
            if let Err(err) = relay::complete(&api, &claim).await {
                report::status(
                    plan.quiet,
                    &format!(
                        "the relay was not told the download is complete ({err}); it deletes the content when the ticket expires"
                    ),
                );
            }
            Ok(received)
        }
        Err(err) => {
            let kind = err.kind();
            if matches!(kind, Kind::NotFound | Kind::BadPayload) {
                resume.remove();
                return Err(err.into());
            }
            cleanup::mark(Done::Resumable);
            // An unexpected error, or a closed stdout, is told as it is.
            if matches!(kind, Kind::Internal | Kind::StdoutClosed) {
                return Err(err.into());
            }
            Err(CliError::TicketKept {
                source: err,
                retry_before: claim.ticket_expires_at.clone(),
            }
            .into())
        }
    }
}

/// The rest of an index whose first chunk has arrived, up to its size limit.
async fn read_index(
    first: Bytes,
    mut rest: std::pin::Pin<Box<dyn futures_util::Stream<Item = io::Result<Bytes>> + Send>>,
) -> Result<Vec<u8>> {
    let mut text = first.to_vec();
    while let Some(chunk) = rest.next().await {
        text.extend_from_slice(&chunk.map_err(crypto::payload_read_error)?);
        if text.len() > index::MAX_INDEX_BYTES {
            return Err(CliError::IndexTooLarge.into());
        }
    }
    Ok(text)
}

/// Runs [`decrypt_and_write`] on a blocking thread, revealing the progress bar once a
/// typed passphrase has been read.
async fn decrypt_on_thread<R: Read + Send + 'static>(
    plan: &Plan,
    key: Key,
    destination: Option<Destination>,
    reader: R,
    bar: &indicatif::ProgressBar,
    show: bool,
) -> share_client::Result<Received> {
    let fallback_name = link_file_name(&plan.link);
    let max_work_factor = plan.max_work_factor;
    let digest = plan.json;
    let bar_for_prompt = bar.clone();
    let received = tokio::task::spawn_blocking(move || {
        decrypt_and_write(
            reader,
            key,
            max_work_factor,
            destination,
            &fallback_name,
            PayloadDigest::new(digest),
            || {
                if show {
                    progress::reveal(&bar_for_prompt);
                }
            },
        )
    })
    .await
    .map_err(|err| StreamError::thread("decryption", &err))?;
    bar.finish_and_clear();
    received
}

/// The whole receive pipeline after the download starts, on a blocking thread: check
/// the age header, get the passphrase (calling `after_prompt` if one was typed), decrypt,
/// and write the payload, hashing it into `digest`. Everything it reads is untrusted.
pub(crate) fn decrypt_and_write<R: Read>(
    input: R,
    key: Key,
    max_work_factor: u8,
    destination: Option<Destination>,
    fallback_name: &str,
    digest: PayloadDigest,
    after_prompt: impl FnOnce(),
) -> share_client::Result<Received> {
    let opened = crypto::open(input)?;
    let passphrase = match (key, opened.is_passphrase()) {
        (Key::Identities(identities), false) => {
            let decrypted = opened.decrypt_with_identities(&identities)?;
            return write_payload(decrypted, destination, fallback_name, digest);
        }
        (Key::Identities(_), true) => return Err(CryptoError::NeedsPassphrase.into()),
        (_, false) => return Err(CryptoError::NeedsIdentity.into()),
        (Key::Ready(secret), true) => secret,
        (Key::Prompt, true) => {
            let secret =
                passphrase::read(&Source::Prompt, None, &mut crate::ui::prompt::passphrase)?;
            after_prompt();
            secret
        }
    };
    let decrypted = opened.decrypt_with_passphrase(passphrase, max_work_factor)?;
    write_payload(decrypted, destination, fallback_name, digest)
}

/// What a receive produced.
pub(crate) struct Received {
    pub(crate) files: Vec<ReceivedFile>,
    /// The plaintext payload's SHA-256, computed only for the JSON report.
    pub sha256: Option<String>,
}

/// Turns the decrypted stream into output: a share payload is unpacked, any other age
/// payload is written as one file; with no destination, bytes go to stdout.
fn write_payload<R: Read>(
    decrypted: R,
    destination: Option<Destination>,
    fallback_name: &str,
    digest: PayloadDigest,
) -> share_client::Result<Received> {
    // Plaintext is written from here on: cleanup waits for this thread to stop first.
    let _busy = cleanup::busy();
    let (prefix, decrypted) =
        crypto::peek(decrypted, unpack::MARKER_PEEK).map_err(crypto::payload_read_error)?;
    let marker = unpack::read_marker(&prefix)?;
    let mut hashing = HashingReader::new(decrypted, digest);
    let files = match (marker, destination) {
        (Some(marker), None) => {
            if marker.files != 1 {
                return Err(PayloadError::NotSingleFile {
                    files: marker.files,
                }
                .into());
            }
            let size = unpack::unpack_single_to(&mut hashing, &mut output::payload_writer())?;
            vec![ReceivedFile {
                path: "-".to_owned(),
                size,
            }]
        }
        (None, None) => {
            cleanup::mark(Done::PartialStdout);
            let size = unpack::copy_raw(
                &mut hashing,
                &mut output::payload_writer(),
                LocalError::output,
            )?;
            vec![ReceivedFile {
                path: "-".to_owned(),
                size,
            }]
        }
        (Some(marker), Some(destination)) => {
            let unpacked = unpack::unpack(
                &mut hashing,
                marker,
                destination.staging(),
                &|name, is_dir, size| destination.check_entry(name, is_dir, size),
            )?;
            placed(destination.commit(&unpacked)?)
        }
        (None, Some(destination)) => {
            let size = unpack::write_raw(&mut hashing, &destination.staging().join(fallback_name))?;
            let unpacked = Unpacked {
                files: vec![Written {
                    name: fallback_name.to_owned(),
                    size,
                }],
                top_level: vec![(fallback_name.to_owned(), false)],
            };
            placed(destination.commit(&unpacked)?)
        }
    };
    Ok(Received {
        files,
        sha256: hashing.finish_hex(),
    })
}

fn placed(placed: Vec<share_client::local::destination::Placed>) -> Vec<ReceivedFile> {
    placed
        .into_iter()
        .map(|file| ReceivedFile {
            path: output::path_text(&file.path),
            size: file.size,
        })
        .collect()
}

/// The file name for an arbitrary age file: the link's last segment without `.age`, if it
/// is a safe name, else a fixed fallback.
pub(crate) fn link_file_name(link: &Url) -> String {
    // A relay link ends in its token, which must never become a file name.
    if relay::is_relay_link(link) {
        return FALLBACK_NAME.to_owned();
    }
    let last = link
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default();
    let decoded = percent_decode(last);
    let name = decoded.strip_suffix(".age").unwrap_or(&decoded);
    if name.is_empty() || names::problem_with_component(name).is_some() || name.starts_with('.') {
        FALLBACK_NAME.to_owned()
    } else {
        name.to_owned()
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_names_are_sanitised() {
        let name = |link: &str| link_file_name(&Url::parse(link).unwrap());
        assert_eq!(
            name("https://d.tmpfile.link/public/2026/u/report.pdf.age"),
            "report.pdf"
        );
        assert_eq!(
            name("https://d.tmpfile.link/public/2026/u/a%20b.age"),
            "a b"
        );
        assert_eq!(
            name("https://d.tmpfile.link/public/2026/u/..%2Fetc"),
            "download"
        );
        assert_eq!(
            name("https://d.tmpfile.link/public/2026/u/.age"),
            "download"
        );
        assert_eq!(name("https://d.tmpfile.link/"), "download");
        assert_eq!(name("https://d.tmpfile.link/x/.bashrc"), "download");
    }

    fn args(line: &[&str]) -> ReceiveArgs {
        use clap::Parser;
        let mut full = vec!["share", "receive"];
        full.extend_from_slice(line);
        match crate::cli::Cli::try_parse_from(full)
            .expect("parses")
            .command
        {
            crate::cli::Command::Receive(args) => args,
            _ => unreachable!("a receive"),
        }
    }

    fn refused(line: &[&str], env: &Environment) -> String {
        let err = plan(args(line), env).expect_err("refused");
        assert_eq!(crate::error::kind_of(&err), Some(Kind::Usage), "{line:?}");
        crate::error::one_line(&err)
    }

    const LINK: &str = "http://127.0.0.1:9/d/share.age";

    #[test]
    fn every_usage_error_is_found_by_the_plan_which_reads_nothing() {
        let none = Environment::default();
        assert!(refused(&[LINK], &none).starts_with("no passphrase"));
        let env = Environment {
            passphrase: Some(SecretString::from("given")),
            ..Environment::default()
        };
        assert!(
            refused(&["--json", "-o", "-", LINK], &env)
                .starts_with("--json and -o - both want standard output")
        );
        assert!(
            refused(&["tmpfile.link/d/share.age"], &env)
                .starts_with("the link does not start with http:// or https://")
        );
        // Files named by the flags are read later, by `run`.
        let plan = plan(
            args(&[
                "--ca-file",
                "/nonexistent/ca.pem",
                "--passphrase-file",
                "/nonexistent/pass.txt",
                LINK,
            ]),
            &none,
        )
        .expect("nothing is read while planning");
        assert_eq!(
            plan.passphrase,
            Some(Source::File(PathBuf::from("/nonexistent/pass.txt")))
        );
        let with_identity = plan_of(&["-i", "/nonexistent/key.txt", LINK], &env);
        assert!(
            with_identity.passphrase.is_none(),
            "identities, not the passphrase"
        );
        assert!(matches!(
            plan_of(&["-o", "-", LINK], &env).output,
            Output::Stdout
        ));
    }

    fn plan_of(line: &[&str], env: &Environment) -> Plan {
        plan(args(line), env).expect("planned")
    }
}
