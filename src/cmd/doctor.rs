//! `share doctor`: why sharing would fail, found before a real file is at stake. Each check
//! says what it saw; a problem is either the configuration's (exit 2) or a host's (exit 6).
//! Nothing is uploaded, created or changed: the relay's API key is tested with a request
//! the relay refuses after authentication and before it stores or audits anything.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use share_client::error::Kind;
use share_client::local::private::{self, DirState};
use share_client::transport::probe::{Answer, KeyCheck, Prober, Unanswered};
use share_client::transport::{self as host, relay};
use share_proto::relay::{INFO_PATH, Info, RELAY_NAME};
use url::Url;

use crate::cli::DoctorArgs;
use crate::error::CliError;
use crate::plan::{AUTH_TOKEN_ENV, Environment, RELAY_KEY_ENV, USER_ID_ENV};
use crate::ui::stdout;

/// A clock further than this from the host's makes expiry times misleading.
const CLOCK_SKEW_WARNING_SECONDS: i64 = 60;

/// The variables that exempt hosts from the proxy, reported beside the proxies.
const NO_PROXY_VARIABLES: [&str; 2] = ["NO_PROXY", "no_proxy"];

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    /// Worth knowing, not a failure (for example: no terminal in CI).
    Info,
    /// Sharing works, but something is off (for example: the clock).
    Warning,
    /// Sharing would fail.
    Problem,
}

/// One line of the report.
#[derive(Debug, Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    /// For a problem: whose it is, which decides the exit code.
    #[serde(skip)]
    blame: Option<Kind>,
}

impl Check {
    fn new(check: &'static str, status: Status, detail: impl Into<String>) -> Check {
        Check {
            check,
            status,
            detail: detail.into(),
            hint: None,
            blame: None,
        }
    }

    fn problem(check: &'static str, blame: Kind, detail: impl Into<String>, hint: &str) -> Check {
        Check {
            blame: Some(blame),
            hint: Some(hint.to_owned()),
            ..Check::new(check, Status::Problem, detail)
        }
    }

    /// A host that did not answer (exit 6).
    fn unanswered(check: &'static str, why: Unanswered) -> Check {
        Check::problem(check, Kind::Host, why.what, &why.hint)
    }

    fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    ok: bool,
    checks: &'a [Check],
}

/// `share doctor [--server URL] [--relay URL] [--json]`.
pub(crate) async fn run(args: DoctorArgs, env: &Environment) -> Result<()> {
    let mut checks = Vec::new();
    // The network settings first: an unreadable --ca-file is a configuration problem that
    // every other check would only repeat.
    let network = match crate::plan::network(&args.network, true) {
        Ok(network) => Some(network),
        Err(err) => {
            checks.push(Check::problem(
                "network",
                Kind::Usage,
                err.to_string(),
                "fix or drop --ca-file (SHARE_CA_FILE)",
            ));
            None
        }
    };
    let prober = match network.as_ref().map(Prober::new) {
        Some(Ok(prober)) => Some(prober),
        Some(Err(why)) => {
            checks.push(Check::problem(
                "network",
                Kind::Usage,
                why,
                "check --ca-file (SHARE_CA_FILE)",
            ));
            None
        }
        None => None,
    };
    let roots = match network.as_ref().map(|n| n.extra_root_count()) {
        Some(0) | None => "the system's roots".to_owned(),
        Some(count) => format!("the system's roots and {count} from --ca-file"),
    };
    // `None`: no host answered; `Some(None)`: one did, without a Date header.
    let mut skew: Option<Option<i64>> = None;

    let relays = crate::plan::addresses(&args.relays);
    if relays.is_empty() {
        check_account(&mut checks, env);
        let mut servers = crate::plan::addresses(&args.host.servers);
        if servers.is_empty() {
            servers.push(crate::cli::DEFAULT_SERVER);
        }
        // Every host a send may fall back on is checked, in order.
        for server in servers {
            let answer = check_host(
                &mut checks,
                prober.as_ref(),
                "host",
                server,
                args.host.servers_from,
                &roots,
            )
            .await;
            if skew.is_none() {
                skew = answer.map(|answer| answer.clock_skew_seconds);
            }
        }
    } else {
        for relay in relays {
            check_relay(
                &mut checks,
                prober.as_ref(),
                relay,
                &args,
                env,
                &roots,
                &mut skew,
            )
            .await;
        }
    }
    checks.push(clock_check(skew));
    checks.push(proxy_check());
    checks.push(terminal_check(env));
    checks.push(resume_check());

    let ok = !checks.iter().any(|check| check.status == Status::Problem);
    if args.json {
        stdout::print_json(&Report {
            version: 1,
            ok,
            checks: &checks,
        })?;
    } else {
        let lines: Vec<String> = checks
            .iter()
            .map(|check| {
                let status = match check.status {
                    Status::Ok => "ok",
                    Status::Info => "info",
                    Status::Warning => "warning",
                    Status::Problem => "PROBLEM",
                };
                match &check.hint {
                    Some(hint) => {
                        format!("{status:<8} {:<9} {}; {hint}", check.check, check.detail)
                    }
                    None => format!("{status:<8} {:<9} {}", check.check, check.detail),
                }
            })
            .collect();
        stdout::print_lines(&lines)?;
    }

    let problems: Vec<&Check> = checks.iter().filter(|c| c.blame.is_some()).collect();
    // A configuration problem outranks a host problem: fixing it may fix the rest.
    let kind = if problems.iter().any(|c| c.blame == Some(Kind::Usage)) {
        Kind::Usage
    } else {
        Kind::Host
    };
    match problems.as_slice() {
        [] => Ok(()),
        [only] => Err(CliError::DoctorProblem {
            kind,
            detail: only.detail.clone(),
            hint: only.hint.clone().unwrap_or_default(),
        }
        .into()),
        many => Err(CliError::DoctorProblems {
            kind,
            count: many.len(),
        }
        .into()),
    }
}

/// The tfLink account variables: both or neither.
fn check_account(checks: &mut Vec<Check>, env: &Environment) {
    checks.push(match env.account() {
        Ok(Some(_)) => Check::new(
            "account",
            Status::Ok,
            format!("{USER_ID_ENV} and {AUTH_TOKEN_ENV} are set: uploads go to your account"),
        ),
        Ok(None) => Check::new(
            "account",
            Status::Info,
            "anonymous uploads (no tfLink account set)",
        ),
        Err(err) => Check::problem(
            "account",
            Kind::Usage,
            err.to_string(),
            "set both for an account upload, or neither for an anonymous one",
        ),
    });
}

/// Parses a host URL and checks that a TLS and HTTP exchange with it completes.
async fn check_host(
    checks: &mut Vec<Check>,
    prober: Option<&Prober>,
    name: &'static str,
    text: &str,
    source: &'static str,
    roots: &str,
) -> Option<Answer> {
    let url = match host::parse_user_url(text, source) {
        Ok(url) => url,
        Err(err) => {
            checks.push(Check::problem(
                name,
                Kind::Usage,
                err.to_string(),
                &format!("give a full http:// or https:// address with {source}"),
            ));
            return None;
        }
    };
    let prober = prober?;
    match prober.get(&url).await {
        Ok(answer) => {
            let transport = if url.scheme() == "https" {
                format!("TLS verified with {roots}")
            } else {
                "plain HTTP: the ciphertext and the link travel unencrypted".to_owned()
            };
            checks.push(Check::new(
                name,
                Status::Ok,
                format!(
                    "{url} answered {} in {} ms; {transport}",
                    answer.status,
                    answer.elapsed.as_millis()
                ),
            ));
            Some(answer)
        }
        Err(why) => {
            checks.push(Check::unanswered(name, why));
            None
        }
    }
}

/// A relay: it answers, it is a share relay, it is ready, and it takes the API key.
async fn check_relay(
    checks: &mut Vec<Check>,
    prober: Option<&Prober>,
    text: &str,
    args: &DoctorArgs,
    env: &Environment,
    roots: &str,
    skew: &mut Option<Option<i64>>,
) {
    let key = match &args.relay_key_file {
        Some(path) => {
            match relay::read_secret_file(path, "--relay-key-file", "the relay's API key") {
                Ok(key) => Some((key, "--relay-key-file")),
                Err(err) => {
                    checks.push(Check::problem(
                        "relay",
                        Kind::Usage,
                        err.to_string(),
                        "give a file holding the API key on its first line",
                    ));
                    return;
                }
            }
        }
        None => env.relay_key.clone().map(|key| (key, RELAY_KEY_ENV)),
    };
    let from = args.relays_from;
    let base = match host::parse_user_url(text, from) {
        Ok(base) => base,
        Err(err) => {
            checks.push(Check::problem(
                "relay",
                Kind::Usage,
                err.to_string(),
                &format!("give {from} the relay's full http:// or https:// address"),
            ));
            return;
        }
    };
    let info_url = relay::endpoint(&base, INFO_PATH);
    let Some(answer) = check_host(checks, prober, "relay", info_url.as_str(), from, roots).await
    else {
        return;
    };
    *skew = Some(answer.clock_skew_seconds);
    let Some(prober) = prober else { return };
    let info = serde_json::from_slice::<Info>(&answer.body)
        .ok()
        .filter(|info| answer.status == 200 && info.relay == RELAY_NAME);
    let Some(info) = info else {
        checks.push(Check::problem(
            "relay",
            Kind::Usage,
            format!("{base} is not a share relay (its {INFO_PATH} did not describe one)"),
            &format!("check {from}: it is the relay's base address"),
        ));
        return;
    };
    checks.push(Check::new(
        "limits",
        Status::Ok,
        format!(
            "a share relay: shares up to {} bytes, expiry up to {} s, up to {} downloads",
            info.max_size, info.max_expiry_seconds, info.max_downloads
        ),
    ));
    checks.push(match prober.get(&relay::endpoint(&base, "/readyz")).await {
        Ok(answer) if answer.status == 200 => Check::new(
            "ready",
            Status::Ok,
            "the relay's database and storage answer",
        ),
        Ok(answer) => Check::problem(
            "ready",
            Kind::Host,
            format!(
                "the relay is not ready (/readyz answered {})",
                answer.status
            ),
            "its database or storage is down; tell whoever runs it",
        ),
        Err(why) => Check::unanswered("ready", why),
    });
    checks.push(match (&key, info.anonymous) {
        (None, true) => Check::new(
            "api key",
            Status::Info,
            "none given; the relay takes anonymous shares",
        ),
        (None, false) => Check::problem(
            "api key",
            Kind::Usage,
            "no API key, and the relay needs one",
            &format!("set {RELAY_KEY_ENV} or give --relay-key-file"),
        ),
        (Some((key, source)), _) => match prober.relay_key(&base, key).await {
            Ok(KeyCheck::Accepted) => Check::new(
                "api key",
                Status::Ok,
                format!("the relay accepts the key from {source}"),
            ),
            Ok(KeyCheck::Refused) => Check::problem(
                "api key",
                Kind::Usage,
                format!("the relay refused the key from {source}"),
                "check the key, or ask whoever runs the relay for a new one",
            ),
            Ok(KeyCheck::Unclear(status)) => Check::new(
                "api key",
                Status::Warning,
                format!("the key check was answered {status}, which says nothing about the key"),
            ),
            Err(why) => Check::unanswered("api key", why),
        },
    });
}

/// Link expiry is computed from our clock: say when it is far from the host's.
fn clock_check(skew: Option<Option<i64>>) -> Check {
    match skew {
        None => Check::new("clock", Status::Info, "not compared: no host answered"),
        Some(None) => Check::new(
            "clock",
            Status::Info,
            "the host sent no Date header to compare with",
        ),
        Some(Some(seconds)) if seconds.abs() <= CLOCK_SKEW_WARNING_SECONDS => Check::new(
            "clock",
            Status::Ok,
            format!("within {} s of the host's", seconds.abs()),
        ),
        Some(Some(seconds)) => Check::new(
            "clock",
            Status::Warning,
            format!(
                "{} s {} the host's: expiry times shown will be off by as much",
                seconds.abs(),
                if seconds > 0 { "behind" } else { "ahead of" }
            ),
        )
        .hint("set the system clock (for example with NTP)"),
    }
}

/// The proxy variables in effect, with any password in them hidden.
fn proxy_check() -> Check {
    let set: Vec<String> = share_client::transport::reach::PROXY_VARIABLES
        .iter()
        .chain(&NO_PROXY_VARIABLES)
        .filter_map(|name| {
            let value = std::env::var(name).ok().filter(|value| !value.is_empty())?;
            Some(format!("{name}={}", without_password(&value)))
        })
        .collect();
    if set.is_empty() {
        Check::new("proxy", Status::Info, "none (no *_PROXY variable is set)")
    } else {
        Check::new(
            "proxy",
            Status::Info,
            format!("in effect: {}", set.join(", ")),
        )
    }
}

/// A proxy URL without its password (`http://user:***@proxy:3128`).
fn without_password(value: &str) -> String {
    match Url::parse(value) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => value.to_owned(),
        // Not a URL (NO_PROXY is a list of names): nothing secret in it.
        Err(_) if !value.contains('@') => value.to_owned(),
        Err(_) => "(set, not shown)".to_owned(),
    }
}

/// Whether a prompt is possible: information, since CI has no terminal by design.
fn terminal_check(env: &Environment) -> Check {
    if env.stdin_is_terminal {
        Check::new(
            "terminal",
            Status::Info,
            "standard input is a terminal: share can ask for a passphrase",
        )
    } else {
        Check::new(
            "terminal",
            Status::Info,
            "no terminal on standard input: give passphrases with --passphrase-file or SHARE_PASSPHRASE",
        )
    }
}

/// Where an interrupted multi-part download keeps its parts, and whether that is private.
fn resume_check() -> Check {
    let Some(root) = share_client::multipart::fetch::resume_root() else {
        return Check::problem(
            "resume",
            Kind::Usage,
            "no cache directory for resume state (HOME is not set)",
            "set HOME or XDG_CACHE_HOME",
        );
    };
    let shown = root.display().to_string();
    // The two levels share creates: .../share and .../share/resume.
    let levels = [root.parent().unwrap_or(&root), root.as_path()];
    let mut worst = DirState::Private;
    for level in levels {
        match private::inspect_dir(level) {
            Ok(DirState::Private) => {}
            Ok(state) => {
                worst = state;
                if matches!(
                    state,
                    DirState::NotOurs | DirState::NotADirectory | DirState::Missing
                ) {
                    return resume_verdict(state, level, &shown);
                }
            }
            Err(err) => {
                return Check::problem(
                    "resume",
                    Kind::Usage,
                    format!(
                        "cannot inspect {}: {}",
                        level.display(),
                        share_client::error::io_text(&err)
                    ),
                    "set XDG_CACHE_HOME to a directory of your own",
                );
            }
        }
    }
    resume_verdict(worst, &root, &shown)
}

fn resume_verdict(state: DirState, level: &Path, shown: &str) -> Check {
    match state {
        DirState::Private => Check::new(
            "resume",
            Status::Ok,
            format!("{shown}, private (0700, yours)"),
        ),
        DirState::Missing => Check::new(
            "resume",
            Status::Ok,
            format!("{shown}, created private (0700) when first needed"),
        ),
        DirState::TooOpen => Check::new(
            "resume",
            Status::Warning,
            format!(
                "{} is open to other users; share empties it and makes it private before use",
                level.display()
            ),
        )
        .hint(format!("chmod 700 {}", level.display())),
        DirState::NotADirectory => Check::problem(
            "resume",
            Kind::Usage,
            format!("{} is not a directory", level.display()),
            "remove it, or set XDG_CACHE_HOME to a directory of your own",
        ),
        DirState::NotOurs => Check::problem(
            "resume",
            Kind::Usage,
            format!(
                "{} belongs to another user; receive would refuse it",
                level.display()
            ),
            "remove it, or set XDG_CACHE_HOME to a directory of your own",
        ),
    }
}
