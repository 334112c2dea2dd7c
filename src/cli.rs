//! The command-line definition: clap derive structs only. Doc comments are the help text;
//! checking flag combinations and resolving defaults happens in `cmd::*::plan`.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

/// The default tfLink-compatible API base.
pub const DEFAULT_SERVER: &str = "https://tmpfile.link";

/// The exit-code table, shown in every help text and man page (a macro so `concat!` can
/// join it to the other help texts).
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  success
  1  unexpected internal error
  2  usage or configuration error
  3  wrong passphrase, or no identity matches
  4  not an age file or share payload, tampered, truncated, or work factor above the cap
  5  link not found or expired
  6  network, TLS, timeout or host error
  7  local I/O error: output exists, permission denied, disk full
  130, 143  interrupted by SIGINT or SIGTERM"
    };
}

/// The environment variables every network command reads, as defaults for its Network flags.
macro_rules! network_environment {
    () => {
        "  SHARE_CONNECT_TIMEOUT  --connect-timeout
  SHARE_IDLE_TIMEOUT     --idle-timeout
  SHARE_TIMEOUT          --timeout
  SHARE_RETRIES          --retries
  SHARE_JOBS             --jobs
  SHARE_CA_FILE          --ca-file"
    };
}

/// The environment variables `share send` reads (the man page's ENVIRONMENT section).
macro_rules! send_environment {
    () => {
        concat!(
            "Environment:
  SHARE_PASSPHRASE       your own passphrase instead of a generated one
  SHARE_SERVER           --server: tfLink-compatible API bases, tried in order (space-separated)
  TFLINK_USER_ID         your tfLink account's user id: uploads are kept longer
  TFLINK_AUTH_TOKEN      your tfLink account's token (set both or neither)
  SHARE_RELAY            --relay: share relays instead of tfLink, tried in order (space-separated)
  SHARE_RELAY_KEY        the relay's API key (or --relay-key-file)
  XDG_STATE_HOME         where relay receipts are kept (default ~/.local/state)
  GITHUB_ACTIONS         when `true`, a printed passphrase is also masked in the job's log
",
            network_environment!()
        )
    };
}

/// The environment variables `share receive` reads.
macro_rules! receive_environment {
    () => {
        concat!(
            "Environment:
  SHARE_PASSPHRASE       the passphrase, instead of asking on the terminal
  XDG_CACHE_HOME         where an interrupted multi-part download keeps its resume state
                         (default ~/.cache)
",
            network_environment!()
        )
    };
}

/// The environment variables `share revoke` and `share status` read.
macro_rules! manage_environment {
    () => {
        concat!(
            "Environment:
  SHARE_MANAGE_TOKEN     the share's manage token, instead of a receipt
  SHARE_RELAY            --relay, the relay an ID belongs to
  XDG_STATE_HOME         where receipts are kept (default ~/.local/state)
",
            network_environment!()
        )
    };
}

/// Encrypted file handoff through a host nobody has to trust.
///
/// Hand confidential files to someone through a public temporary-file host without trusting
/// the host: files are encrypted locally with age, only ciphertext is uploaded, and the link
/// and the passphrase are printed separately so they can travel over two channels.
#[derive(Debug, Parser)]
#[command(
    name = "share",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = concat!("\
Examples:
  share send contract.pdf                 print a link and a passphrase
  share receive LINK                      ask for the passphrase, write contract.pdf
  share send -r age1... build/            encrypt to a public key instead

Each command's --help lists the environment variables it reads.

", exit_codes!()))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments (exiting with clap's message on a usage error) and
    /// notes where the host addresses came from, flag or variable, so that a message about
    /// a bad one names the place to fix it.
    pub fn parse_args() -> Cli {
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
        if let Some((_, sub)) = matches.subcommand() {
            cli.command.note_origins(sub);
        }
        cli
    }
}

/// The name to give in messages for a value: the environment variable when it came from
/// there, otherwise the flag (its default is the flag's too).
fn origin(matches: &ArgMatches, id: &str, flag: &'static str, env: &'static str) -> &'static str {
    match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => env,
        _ => flag,
    }
}

impl Command {
    fn note_origins(&mut self, matches: &ArgMatches) {
        match self {
            Command::Send(args) => {
                args.host.servers_from = origin(matches, "servers", "--server", "SHARE_SERVER");
                args.relay.relays_from = origin(matches, "relays", "--relay", "SHARE_RELAY");
            }
            Command::Doctor(args) => {
                args.host.servers_from = origin(matches, "servers", "--server", "SHARE_SERVER");
                args.relays_from = origin(matches, "relays", "--relay", "SHARE_RELAY");
            }
            Command::Revoke(args) => {
                args.relay_from = origin(matches, "relay", "--relay", "SHARE_RELAY");
            }
            Command::Status(args) => {
                args.manage.relay_from = origin(matches, "relay", "--relay", "SHARE_RELAY");
            }
            Command::Receive(_) | Command::List(_) => {}
        }
    }
}

#[derive(Debug, Subcommand)]
// Parsed once per process: boxing the larger argument sets would save nothing worth it.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Encrypt files locally, upload the ciphertext, print the link and the passphrase.
    Send(SendArgs),
    /// Download a share, decrypt it and write the original files.
    Receive(ReceiveArgs),
    /// Revoke a relay share: its link stops working at once, downloads in progress included.
    Revoke(ManageArgs),
    /// Show a relay share: its state, downloads left, expiry and what happened to it.
    Status(StatusArgs),
    /// List the relay shares sent from this account on this machine (from the receipts).
    List(ListArgs),
    /// Check the host, the relay, TLS, proxies, the clock and local state before sharing.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
The passphrase can also come from the environment variable SHARE_PASSPHRASE; it is never
accepted as a command-line value. --passphrase-file wins when both are given.

Examples:
  share send contract.pdf
  share send --qr photos/ notes.txt
  share send --passphrase-out pass.txt build.tar.gz

", send_environment!(), "

", exit_codes!()))]
pub struct SendArgs {
    /// Files or directories to share; several are sent as one bundle. `-` alone reads
    /// standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// With `-`: the file name the receiver gets [default: stdin].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Print one JSON object on stdout instead of the two labelled lines.
    #[arg(long)]
    pub json: bool,

    /// Write the passphrase to FILE (mode 0600, never overwritten); stdout then carries the link alone.
    #[arg(long, value_name = "FILE")]
    pub passphrase_out: Option<PathBuf>,

    /// Encrypt with your own passphrase, read from the first line of FILE (`-`: standard
    /// input), instead of a generated one.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Also show the passphrase as a QR code on the terminal (stderr).
    #[arg(long)]
    pub qr: bool,

    /// Do not pad the payload: the host then learns its size to within a few hundred bytes
    /// instead of a size bucket (padding adds at most 12 %).
    #[arg(long)]
    pub no_pad: bool,

    /// Encrypt to this age (age1…) or SSH (ssh-ed25519, ssh-rsa) public key instead of a
    /// passphrase; repeatable.
    // Hyphen values are taken as values so that a pasted private key ("-----BEGIN …") is
    // refused by share without being repeated, rather than echoed by the argument parser.
    #[arg(short = 'r', long = "recipient", value_name = "KEY", allow_hyphen_values = true,
          conflicts_with_all = ["passphrase_file", "passphrase_out", "qr"])]
    pub recipients: Vec<String>,

    /// Encrypt to every public key in FILE (one per line, # comments); repeatable.
    #[arg(short = 'R', long = "recipients-file", value_name = "FILE",
          conflicts_with_all = ["passphrase_file", "passphrase_out", "qr"])]
    pub recipients_files: Vec<PathBuf>,

    /// Split ciphertext larger than BYTES into parts of at most BYTES, linked by an index
    /// (suffixes k, M, G: powers of 1000).
    #[arg(long, value_name = "BYTES", default_value = "99M", value_parser = parse_size)]
    pub part_size: u64,

    #[command(flatten)]
    pub host: HostArgs,

    #[command(flatten)]
    pub relay: RelayArgs,

    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub network: NetworkArgs,
}

/// A share relay instead of tfLink, and what it should allow.
#[derive(Debug, Args)]
#[command(next_help_heading = "Relay")]
pub struct RelayArgs {
    /// Store the share on this share relay instead of tfLink: a link limited in downloads,
    /// time and addresses, that you can revoke. The API key comes from SHARE_RELAY_KEY or
    /// --relay-key-file. Repeat it (or list several in SHARE_RELAY, separated by spaces)
    /// for relays to fall back on, in order.
    #[arg(
        long = "relay",
        value_name = "URL",
        env = "SHARE_RELAY",
        hide_env_values = true,
        value_delimiter = ' '
    )]
    pub relays: Vec<String>,

    /// Where the relays came from (`--relay` or `SHARE_RELAY`), for messages.
    #[arg(skip = "--relay")]
    pub relays_from: &'static str,

    /// Read the relay's API key from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub relay_key_file: Option<PathBuf>,

    /// The link expires after DUR (like 90s, 30m, 24h, 7d) [default: the relay's].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub expires: Option<std::time::Duration>,

    /// The link works for N downloads [default: 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub downloads: Option<u32>,

    /// Only clients whose address is in CIDR may use the link; repeatable.
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allow_ips: Vec<String>,

    /// Keep no local receipt; `share revoke` and `share status` then need the manage token
    /// that --json prints.
    #[arg(long)]
    pub no_receipt: bool,
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
The share is found in the receipts that `share send --relay` keeps, or, with
SHARE_MANAGE_TOKEN or --manage-token-file, given by its LINK (or its ID and --relay).

Examples:
  share revoke https://relay.example/s/…
  SHARE_MANAGE_TOKEN=… share revoke --relay https://relay.example ID

", manage_environment!(), "

", exit_codes!()))]
pub struct ManageArgs {
    /// The share's link, or its id.
    #[arg(value_name = "LINK|ID")]
    pub share: String,

    /// Read the share's manage token from the first line of FILE instead of a receipt.
    #[arg(long, value_name = "FILE")]
    pub manage_token_file: Option<PathBuf>,

    /// The relay the ID belongs to (with a LINK it is the link's own; of several in
    /// SHARE_RELAY, the first).
    #[arg(long, value_name = "URL", env = "SHARE_RELAY", hide_env_values = true)]
    pub relay: Option<String>,

    /// Where the relay came from (`--relay` or `SHARE_RELAY`), for messages.
    #[arg(skip = "--relay")]
    pub relay_from: &'static str,

    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
Examples:
  share status https://relay.example/s/…
  share status --json ID

", manage_environment!(), "

", exit_codes!()))]
pub struct StatusArgs {
    #[command(flatten)]
    pub manage: ManageArgs,

    /// Print the relay's share object as JSON (with "link" when known).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
Examples:
  share list
  share list --json | jq -r '.[].link'

Environment:
  XDG_STATE_HOME         where receipts are kept (default ~/.local/state)

", exit_codes!()))]
pub struct ListArgs {
    /// Print a JSON array instead of one line per share.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
The passphrase comes from --passphrase-file, the environment variable SHARE_PASSPHRASE, or a
hidden prompt on the terminal; without a terminal and without either, receive fails at once.

Examples:
  share receive https://d.tmpfile.link/public/2026-11-22/1b2c.../share.age
  share receive -o contract.pdf LINK
  share receive -o - LINK > contract.pdf

", receive_environment!(), "

", exit_codes!()))]
pub struct ReceiveArgs {
    /// The link printed by `share send`, or a link to any age file.
    #[arg(value_name = "LINK")]
    pub link: String,

    /// Where to write: a file name for a single file, a directory otherwise (a PATH ending in
    /// `/` is always a directory, created if missing); `-` for stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Read the passphrase from the first line of FILE (`-`: standard input; on a terminal,
    /// the hidden prompt).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Decrypt with the age identities or unencrypted SSH private key in FILE, for shares
    /// sent to public keys; repeatable.
    #[arg(
        short = 'i',
        long = "identity",
        value_name = "FILE",
        conflicts_with = "passphrase_file"
    )]
    pub identities: Vec<PathBuf>,

    /// Overwrite existing files. Without it, an existing file is never touched.
    #[arg(long)]
    pub force: bool,

    /// Refuse passphrase-encrypted files whose scrypt work factor (log2 N) is above this.
    #[arg(long, value_name = "LOG_N", default_value_t = 20,
          value_parser = clap::value_parser!(u8).range(1..=22))]
    pub max_work_factor: u8,

    /// Print one JSON object on stdout describing what was written.
    #[arg(long)]
    pub json: bool,

    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub network: NetworkArgs,
}

#[derive(Debug, Args)]
#[command(after_help = concat!("\
Nothing is uploaded, created or changed. A host answers when a TLS and HTTP exchange with it
completes, whatever the status; a relay must also describe itself at /api/v1/info, be ready
(/readyz) and accept the API key. The report goes to stdout, one check per line: ok, info,
warning or PROBLEM. Exit 0 when sharing should work, 2 for a configuration problem, 6 for a
host problem.

Examples:
  share doctor
  share doctor --relay https://relay.example --json

Environment:
  SHARE_SERVER           --server (several: space-separated, each checked)
  SHARE_RELAY            --relay (several: space-separated, each checked)
  SHARE_RELAY_KEY        the relay's API key (or --relay-key-file)
  TFLINK_USER_ID         checked together with TFLINK_AUTH_TOKEN (both or neither)
  TFLINK_AUTH_TOKEN      see TFLINK_USER_ID
  HTTPS_PROXY            and the other *_PROXY variables: reported, and used as curl does
  XDG_CACHE_HOME         where resume state is kept (default ~/.cache)
", network_environment!(), "

", exit_codes!()))]
pub struct DoctorArgs {
    #[command(flatten)]
    pub host: HostArgs,

    /// Check this share relay (and its API key) instead of the tfLink host; repeat it (or
    /// list several in SHARE_RELAY) to check each.
    #[arg(
        long = "relay",
        value_name = "URL",
        env = "SHARE_RELAY",
        hide_env_values = true,
        value_delimiter = ' '
    )]
    pub relays: Vec<String>,

    /// Where the relays came from (`--relay` or `SHARE_RELAY`), for messages.
    #[arg(skip = "--relay")]
    pub relays_from: &'static str,

    /// Read the relay's API key from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub relay_key_file: Option<PathBuf>,

    /// Print one JSON object on stdout instead of one line per check.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub network: NetworkArgs,
}

/// Where the tfLink-compatible host lives.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// The tfLink-compatible API base URL. Repeat it (or list several in SHARE_SERVER,
    /// separated by spaces) for hosts to fall back on, in order: a share that cannot be
    /// uploaded to one goes whole to the next.
    #[arg(long = "server", value_name = "URL", env = "SHARE_SERVER", hide_env_values = true,
          default_value = DEFAULT_SERVER, value_delimiter = ' ')]
    pub servers: Vec<String>,

    /// Where the servers came from (`--server` or `SHARE_SERVER`), for messages.
    #[arg(skip = "--server")]
    pub servers_from: &'static str,
}

/// How patient to be with the network.
#[derive(Debug, Args)]
#[command(next_help_heading = "Network")]
pub struct NetworkArgs {
    /// Give up connecting to a host after SECS seconds.
    #[arg(long, value_name = "SECS", env = "SHARE_CONNECT_TIMEOUT", hide_env_values = true, default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,

    /// Give up when no data arrives for SECS seconds.
    #[arg(long, value_name = "SECS", env = "SHARE_IDLE_TIMEOUT", hide_env_values = true, default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Give up when the whole transfer, retries included, takes longer than SECS seconds.
    #[arg(long, value_name = "SECS", env = "SHARE_TIMEOUT", hide_env_values = true, default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Retry a failed upload or an interrupted download up to N times.
    #[arg(long, value_name = "N", env = "SHARE_RETRIES", hide_env_values = true, default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// Transfer up to N parts of a multi-part share at once.
    #[arg(long, value_name = "N", env = "SHARE_JOBS", hide_env_values = true, default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,

    /// Also trust the CA certificates in this PEM file (for a host with a private CA).
    #[arg(
        long,
        value_name = "FILE",
        env = "SHARE_CA_FILE",
        hide_env_values = true
    )]
    pub ca_file: Option<PathBuf>,
}

/// A byte count with an optional decimal suffix: `95M` is 95 000 000.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1_000),
        Some((at, 'm' | 'M')) => (&text[..at], 1_000_000),
        Some((at, 'g' | 'G')) => (&text[..at], 1_000_000_000),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(multiplier))
        .filter(|bytes| *bytes >= 1024)
        .ok_or_else(|| {
            format!("`{text}` is not a size of at least 1024 bytes (like 95M or 500000)")
        })
}

/// A duration like `90s`, `30m`, `24h` or `7d`.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    share_proto::units::parse_duration(text).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_decimal_suffixes() {
        assert_eq!(parse_size("95M"), Ok(95_000_000));
        assert_eq!(parse_size("100000"), Ok(100_000));
        assert_eq!(parse_size("2k"), Ok(2_000));
        assert!(parse_size("12").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
