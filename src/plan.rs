//! The environment, captured once at start-up, and the checks that turn raw arguments plus
//! that environment into plain decisions before anything is read or sent (ripgrep's
//! low-level/high-level split). Nothing here touches a file or the network, so unit tests
//! call it for every usage error; the commands then act on the result (reading key
//! files, CA roots and standard input in a separate step, like [`NetworkPlan::connect`]).

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use secrecy::SecretString;
use share_client::crypto::passphrase::{self, PASSPHRASE_ENV, Source};
use share_client::transport::{self, Account, Network, network::Timeouts};

use crate::cli::NetworkArgs;
use crate::error::CliError;

/// The environment variables that carry tfLink account credentials.
pub const USER_ID_ENV: &str = "TFLINK_USER_ID";
/// See [`USER_ID_ENV`].
pub const AUTH_TOKEN_ENV: &str = "TFLINK_AUTH_TOKEN";

/// The environment variable with a relay's API key (never a flag value).
pub const RELAY_KEY_ENV: &str = "SHARE_RELAY_KEY";
/// The environment variable with a relay share's manage token.
pub const MANAGE_TOKEN_ENV: &str = "SHARE_MANAGE_TOKEN";

/// Everything share reads from its environment, read once. Secrets stay secret types.
#[derive(Default)]
pub struct Environment {
    /// `SHARE_PASSPHRASE`, when set (an empty value counts as set, and is refused later).
    pub passphrase: Option<SecretString>,
    /// Whether `SHARE_PASSPHRASE` was set but is not UTF-8.
    pub passphrase_not_utf8: bool,
    /// `TFLINK_USER_ID`, when set and not empty.
    pub tflink_user_id: Option<String>,
    /// `TFLINK_AUTH_TOKEN`, when set and not empty.
    pub tflink_auth_token: Option<SecretString>,
    /// `SHARE_RELAY_KEY`, the relay's API key, when set and not empty.
    pub relay_key: Option<SecretString>,
    /// `SHARE_MANAGE_TOKEN`, a relay share's manage token, when set and not empty.
    pub manage_token: Option<SecretString>,
    /// `GITHUB_ACTIONS=true`: the passphrase is masked in the job log.
    pub github_actions: bool,
    /// Whether standard input is a terminal (a prompt is possible).
    pub stdin_is_terminal: bool,
    /// Whether standard error is a terminal (progress bars, QR codes).
    pub stderr_is_terminal: bool,
}

impl Environment {
    /// Reads the process environment.
    pub fn capture() -> Environment {
        let non_empty = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
        let raw_passphrase = std::env::var_os(PASSPHRASE_ENV);
        Environment {
            passphrase: raw_passphrase
                .as_ref()
                .and_then(|value| value.to_str())
                .map(SecretString::from),
            passphrase_not_utf8: raw_passphrase.is_some_and(|value| value.to_str().is_none()),
            tflink_user_id: non_empty(USER_ID_ENV),
            tflink_auth_token: non_empty(AUTH_TOKEN_ENV).map(SecretString::from),
            relay_key: non_empty(RELAY_KEY_ENV).map(SecretString::from),
            manage_token: non_empty(MANAGE_TOKEN_ENV).map(SecretString::from),
            github_actions: std::env::var_os("GITHUB_ACTIONS").is_some_and(|value| value == "true"),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Whether `SHARE_PASSPHRASE` is present at all.
    pub fn passphrase_is_set(&self) -> bool {
        self.passphrase.is_some() || self.passphrase_not_utf8
    }

    /// Refuses a `SHARE_PASSPHRASE` that cannot be a passphrase (not UTF-8).
    pub fn check_passphrase_text(&self, source: &Source) -> Result<()> {
        if *source == Source::Env && self.passphrase_not_utf8 {
            return Err(CliError::PassphraseEnvNotUtf8.into());
        }
        Ok(())
    }

    /// The tfLink account, when both of its variables are set (exit 2 when only one is).
    pub fn account(&self) -> Result<Option<Account>> {
        match (&self.tflink_user_id, &self.tflink_auth_token) {
            (Some(user_id), Some(token)) => Ok(Some(Account {
                user_id: user_id.clone(),
                auth_token: token.clone(),
            })),
            (None, None) => Ok(None),
            _ => Err(CliError::AccountIncomplete.into()),
        }
    }

    /// Where a receiver's passphrase comes from (see [`passphrase::source`]).
    pub fn passphrase_source(&self, file: Option<&std::path::Path>) -> Option<Source> {
        passphrase::source(file, self.passphrase_is_set(), self.stdin_is_terminal)
    }
}

/// Refuses the relay-only flags without a relay: tfLink can do none of them.
pub fn check_relay_flags(args: &crate::cli::RelayArgs) -> Result<()> {
    if args.relays.iter().any(|relay| !relay.trim().is_empty()) {
        return Ok(());
    }
    let given = [
        ("--expires", args.expires.is_some()),
        ("--downloads", args.downloads.is_some()),
        ("--allow-ip", !args.allow_ips.is_empty()),
        ("--relay-key-file", args.relay_key_file.is_some()),
        ("--no-receipt", args.no_receipt),
    ];
    if let Some(&(flag, _)) = given.iter().find(|(_, given)| *given) {
        return Err(CliError::RelayFlagWithoutRelay { flag }.into());
    }
    Ok(())
}

/// The addresses of a list given by flags or a space-separated variable, blanks dropped.
pub fn addresses(list: &[String]) -> Vec<&str> {
    list.iter()
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
        .collect()
}

/// Checks one `--allow-ip` value: an IP address, or an address and a prefix length.
pub fn check_cidr(text: &str) -> Result<String> {
    let text = text.trim();
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let valid = match address.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let most = if ip.is_ipv4() { 32 } else { 128 };
            prefix.is_none_or(|prefix| {
                prefix.bytes().all(|byte| byte.is_ascii_digit())
                    && prefix.parse::<u8>().is_ok_and(|length| length <= most)
            })
        }
        Err(_) => false,
    };
    if !valid {
        return Err(CliError::NotACidr {
            text: text.to_owned(),
        }
        .into());
    }
    Ok(text.to_owned())
}

/// The timeouts, retries and parallelism of the network flags.
pub fn timeouts(args: &NetworkArgs) -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(args.connect_timeout),
        idle: Duration::from_secs(args.idle_timeout),
        overall: Duration::from_secs(args.timeout),
    }
}

/// The network flags as plain values; [`NetworkPlan::connect`] reads `--ca-file`.
#[derive(Debug, Clone)]
pub struct NetworkPlan {
    pub timeouts: Timeouts,
    pub retries: u32,
    pub jobs: usize,
    /// Extra CA certificates to trust (read when connecting).
    pub ca_file: Option<std::path::PathBuf>,
    /// Whether retry notices are silenced (`-q`).
    pub quiet: bool,
}

impl NetworkPlan {
    /// The network settings, with the roots of `--ca-file` read (exit 2 if unreadable).
    pub fn connect(&self) -> Result<Network> {
        let extra_roots = match &self.ca_file {
            Some(path) => transport::network::read_ca_file(path)?,
            None => Vec::new(),
        };
        let quiet = self.quiet;
        Ok(
            Network::new(self.timeouts, self.retries, self.jobs, extra_roots)
                .with_notices(move |text| crate::ui::report::notice_over_progress(quiet, text)),
        )
    }
}

/// The network flags as a plan: nothing is read yet.
pub fn network_plan(args: &NetworkArgs, quiet: bool) -> NetworkPlan {
    NetworkPlan {
        timeouts: timeouts(args),
        retries: args.retries,
        jobs: usize::from(args.jobs),
        ca_file: args.ca_file.clone(),
        quiet,
    }
}

/// The network settings at once, for the commands without a separate plan step.
pub fn network(args: &NetworkArgs, quiet: bool) -> Result<Network> {
    network_plan(args, quiet).connect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_ip_takes_addresses_and_ranges_only() {
        for good in ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "::1"] {
            assert_eq!(check_cidr(good).unwrap(), good);
        }
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "example.com",
            "10.0.0.0/+8",
            "",
            "::/129",
        ] {
            assert!(check_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relay_flags_without_a_relay_are_usage_errors() {
        let mut args = crate::cli::RelayArgs {
            relays: Vec::new(),
            relays_from: "--relay",
            relay_key_file: None,
            expires: None,
            downloads: Some(3),
            allow_ips: Vec::new(),
            no_receipt: false,
        };
        let err = check_relay_flags(&args).unwrap_err();
        assert!(err.to_string().starts_with("--downloads needs a relay"));
        args.relays = vec!["http://127.0.0.1:8080".into()];
        check_relay_flags(&args).unwrap();
    }

    #[test]
    fn an_account_needs_both_variables() {
        let env = Environment {
            tflink_user_id: Some("user".into()),
            ..Environment::default()
        };
        let err = env.account().err().unwrap();
        assert_eq!(
            crate::error::kind_of(&err),
            Some(share_client::error::Kind::Usage)
        );
        assert!(Environment::default().account().unwrap().is_none());
    }

    #[test]
    fn the_passphrase_file_wins_and_a_prompt_needs_a_terminal() {
        let env = Environment {
            passphrase: Some("x".into()),
            ..Environment::default()
        };
        let file = std::path::Path::new("pass.txt");
        assert_eq!(
            env.passphrase_source(Some(file)),
            Some(Source::File(file.to_owned()))
        );
        assert_eq!(env.passphrase_source(None), Some(Source::Env));
        assert_eq!(Environment::default().passphrase_source(None), None);
        let terminal = Environment {
            stdin_is_terminal: true,
            ..Environment::default()
        };
        assert_eq!(terminal.passphrase_source(None), Some(Source::Prompt));
    }
}
