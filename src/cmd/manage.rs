//! `share revoke`, `share status` and `share list`: a sender's control over relay shares.
//! The share is found in the local receipts by its link or id, or named by a link (the relay
//! is the link's origin) or an id with `--relay`, with the manage token from
//! `SHARE_MANAGE_TOKEN` or `--manage-token-file`. tfLink links cannot be managed: exit 2.

use anyhow::Result;
use secrecy::SecretString;
use serde::Serialize;
use share_client::local::receipts;
use share_client::transport::{self as host, relay};
use url::Url;

use crate::cli::{ListArgs, ManageArgs, StatusArgs};
use crate::error::CliError;
use crate::plan::Environment;
use crate::ui::{report, stdout};

/// The share a command works on.
struct Target {
    relay: Url,
    id: String,
    manage_token: SecretString,
    link: Option<String>,
}

/// `share revoke LINK|ID`.
pub(crate) async fn revoke(args: ManageArgs, env: &Environment) -> Result<()> {
    let network = crate::plan::network(&args.network, args.quiet)?;
    let client = network.upload_client()?;
    let target = resolve(&args, env, &client).await?;
    relay::revoke(&client, &target.relay, &target.id, &target.manage_token).await?;
    report::status(
        args.quiet,
        &format!(
            "revoked share {}: its link no longer works, downloads in progress included",
            target.id
        ),
    );
    Ok(())
}

/// `share status LINK|ID [--json]`.
pub(crate) async fn status(args: StatusArgs, env: &Environment) -> Result<()> {
    let network = crate::plan::network(&args.manage.network, args.manage.quiet)?;
    let client = network.upload_client()?;
    let target = resolve(&args.manage, env, &client).await?;
    let share = relay::status(&client, &target.relay, &target.id, &target.manage_token).await?;
    if args.json {
        let mut value = serde_json::to_value(&share).map_err(|source| CliError::Json { source })?;
        if let (Some(link), Some(object)) = (&target.link, value.as_object_mut()) {
            object.insert("link".to_owned(), link.clone().into());
        }
        return stdout::print_json(&value);
    }
    let mut lines = vec![
        format!("share:      {}", share.id),
        format!("state:      {}", share.state.as_str()),
        format!(
            "downloads:  {} of {} left",
            share.downloads_left, share.max_downloads
        ),
        format!("expires:    {}", share.expires_at),
        format!("created:    {}", share.created_at),
    ];
    if let Some(link) = &target.link {
        lines.insert(1, format!("link:       {link}"));
    }
    if !share.allow_ips.is_empty() {
        lines.push(format!("addresses:  {}", share.allow_ips.join(", ")));
    }
    lines.push("events:".to_owned());
    for event in &share.events {
        let mut line = format!("  {}  {}", event.at, event.event.as_str());
        if let Some(reason) = &event.reason {
            line.push_str(&format!(" ({reason})"));
        }
        if let Some(ip) = &event.ip {
            line.push_str(&format!(" from {ip}"));
        }
        lines.push(line);
    }
    stdout::print_lines(&lines)
}

/// One receipt as `share list --json` shows it: never the manage token.
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    link: &'a str,
    relay: &'a str,
    created_at: &'a str,
    expires_at: &'a str,
    max_downloads: u32,
}

/// `share list [--json]`.
pub(crate) fn list(args: &ListArgs) -> Result<()> {
    let receipts = receipts::list()?;
    if args.json {
        let listed: Vec<Listed<'_>> = receipts
            .iter()
            .map(|receipt| Listed {
                id: &receipt.id,
                link: &receipt.link,
                relay: &receipt.relay,
                created_at: &receipt.created_at,
                expires_at: &receipt.expires_at,
                max_downloads: receipt.max_downloads,
            })
            .collect();
        return stdout::print_json(&listed);
    }
    let lines: Vec<String> = receipts
        .iter()
        .map(|receipt| {
            format!(
                "{}  {}  expires {}  {} download(s)  {}",
                receipt.created_at,
                receipt.id,
                receipt.expires_at,
                receipt.max_downloads,
                receipt.link
            )
        })
        .collect();
    stdout::print_lines(&lines)
}

/// Finds the relay, the id and the manage token of the share `args` names.
async fn resolve(
    args: &ManageArgs,
    env: &Environment,
    client: &host::HttpClient,
) -> Result<Target> {
    let given_token = match &args.manage_token_file {
        Some(path) => Some(relay::read_secret_file(
            path,
            "--manage-token-file",
            "the share's manage token",
        )?),
        None => env.manage_token.clone(),
    };
    let named = args.share.trim();
    let link = if named.contains("://") {
        let link = host::parse_user_url(named, "the link")?;
        if !relay::is_relay_link(&link) {
            return Err(CliError::NotARelayLink.into());
        }
        Some(link)
    } else {
        None
    };
    if given_token.is_none()
        && let Some(receipt) = receipts::find(named)?
    {
        return Ok(Target {
            relay: host::parse_user_url(&receipt.relay, "the receipt's relay")?,
            id: receipt.id,
            manage_token: SecretString::from(receipt.manage_token),
            link: Some(receipt.link),
        });
    }
    let Some(manage_token) = given_token else {
        return Err(CliError::NoReceipt.into());
    };
    match link {
        Some(link) => {
            let view = relay::view(client, &link).await?;
            Ok(Target {
                relay: relay::relay_of(&link),
                id: view.id,
                manage_token,
                link: Some(link.to_string()),
            })
        }
        None => {
            // SHARE_RELAY may list the relays a send falls back on: an id belongs to the
            // first unless --relay says otherwise.
            let Some(base) = args
                .relay
                .as_deref()
                .and_then(|list| list.split_whitespace().next())
            else {
                return Err(CliError::IdWithoutRelay.into());
            };
            Ok(Target {
                relay: host::parse_user_url(base, args.relay_from)?,
                id: named.to_owned(),
                manage_token,
                link: None,
            })
        }
    }
}
