//! `share-relay`: parse, run, print the error once, map it to an exit status (2 for usage
//! and configuration, 1 otherwise).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use share_relay::admin::{self, RevokeScope};
use share_relay::cli::{Cli, Command, KeyCommand, SharesCommand};
use share_relay::{ConfigError, Relay, open_backends};

fn init_logging() {
    let level = match std::env::var("RUST_LOG")
        .ok()
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("trace") => tracing::Level::TRACE,
        Some("debug") => tracing::Level::DEBUG,
        Some("warn") => tracing::Level::WARN,
        Some("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
}

async fn wait_for_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(t) => { t.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Serve(args) = &cli.command {
        if args.s3_endpoint.is_some()
            && args
                .storage
                .as_deref()
                .is_none_or(|s| !s.starts_with("s3://"))
        {
            return Err(ConfigError("--s3-endpoint needs --storage s3://BUCKET".into()).into());
        }
        let config = cli.serve_config(args);
        let relay = Relay::start(config).await?;
        eprintln!(
            "share-relay: listening on {} (links: {})",
            relay.url(),
            relay.public_url()
        );
        wait_for_signal().await;
        eprintln!("share-relay: shutting down");
        relay.shutdown().await;
        return Ok(());
    }
    let target = cli
        .audit_target()
        .unwrap_or_else(|| share_relay::AuditTarget::File(cli.data.join("audit.ndjson")));
    let b = open_backends(&cli.data, cli.database_url.as_deref(), None, &target).await?;
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::Serve(_) => unreachable!("handled above"),
        Command::Key(KeyCommand::Create { name }) => {
            let key = admin::create_key(b.store.as_ref(), &b.audit, name)
                .await
                .map_err(|e| ConfigError(e.to_string()))?;
            writeln!(out, "{key}")?;
            eprintln!("share-relay: API key `{name}` created; it is shown only this once");
        }
        Command::Key(KeyCommand::List) => {
            for line in admin::list_keys(b.store.as_ref()).await? {
                writeln!(out, "{line}")?;
            }
        }
        Command::Key(KeyCommand::Revoke { name }) => {
            admin::revoke_key(b.store.as_ref(), &b.audit, name)
                .await
                .map_err(|e| ConfigError(e.to_string()))?;
            eprintln!("share-relay: API key `{name}` revoked");
        }
        Command::Shares(SharesCommand::List { json }) => {
            let shares = admin::list_shares(b.store.as_ref()).await?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&shares)?)?;
            } else {
                for s in shares {
                    writeln!(
                        out,
                        "{}\t{}\t{}/{} left\t{} bytes\tcreated {}\texpires {}\tkey {}",
                        s.id,
                        s.state.as_str(),
                        s.downloads_left,
                        s.max_downloads,
                        s.size,
                        s.created_at,
                        s.expires_at,
                        s.key.as_deref().unwrap_or("-")
                    )?;
                }
            }
        }
        Command::Shares(SharesCommand::Revoke(args)) => {
            let scope = match (&args.id, &args.key, args.all) {
                (Some(id), _, _) => RevokeScope::One(id.clone()),
                (_, Some(k), _) => RevokeScope::Key(k.clone()),
                _ => RevokeScope::All,
            };
            let n = admin::revoke_shares(b.store.as_ref(), b.blobs.as_ref(), &b.audit, &scope)
                .await
                .context("cannot revoke")?;
            eprintln!("share-relay: {n} share(s) revoked");
        }
        Command::Audit(args) => {
            let events = admin::events(b.store.as_ref(), args.share.as_deref(), args.since).await?;
            for e in events {
                if args.json {
                    writeln!(out, "{}", serde_json::to_string(&e)?)?;
                } else {
                    writeln!(out, "{}", admin::event_line(&e))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("share-relay: error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let broken_pipe = e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("share-relay: error: {e:#}");
            if e.downcast_ref::<ConfigError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
