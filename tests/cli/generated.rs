//! Shell completions (`completions/`) and man pages (`man/`) are generated from the clap
//! definition. This test fails when the committed files drift from it; set
//! `SHARE_UPDATE_GENERATED=1` to rewrite them.

use std::path::{Path, PathBuf};

use clap::{Command, CommandFactory};
use clap_complete::Shell;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};
use share::cli::Cli;

fn check_or_write(path: &Path, rendered: &[u8], drifted: &mut Vec<String>) {
    if std::env::var_os("SHARE_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, rendered).unwrap();
    } else if std::fs::read(path).ok().as_deref() != Some(rendered) {
        drifted.push(path.display().to_string());
    }
}

#[test]
fn completions_and_man_pages_match_the_cli_definition() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut drifted = Vec::new();

    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut rendered = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "share", &mut rendered);
        let name = match shell {
            Shell::Bash => "share.bash",
            Shell::Zsh => "_share",
            Shell::Fish => "share.fish",
            Shell::PowerShell => "_share.ps1",
            _ => "share.elv",
        };
        check_or_write(
            &root.join("completions").join(name),
            &rendered,
            &mut drifted,
        );
    }

    let command = Cli::command();
    let mut pages = vec![("share.1".to_owned(), "share".to_owned(), command.clone())];
    for sub in command.get_subcommands() {
        // clap names are &'static str; a handful of leaked strings in a test is fine.
        let name: &'static str = Box::leak(format!("share-{}", sub.get_name()).into_boxed_str());
        let invoked = format!("share {}", sub.get_name());
        pages.push((format!("{name}.1"), invoked, sub.clone().name(name)));
    }
    for (file, invoked, page) in pages {
        check_or_write(
            &root.join("man").join(file),
            &man_page(page, &invoked),
            &mut drifted,
        );
    }

    assert!(
        drifted.is_empty(),
        "generated files drifted from the CLI: {drifted:?}; run with SHARE_UPDATE_GENERATED=1"
    );
}

/// One man page: clap_mangen's title, name, description, options and subcommands, with a
/// synopsis that shows every option's placeholder and the positional arguments, and the
/// help's trailing text split into its own sections (EXAMPLES, ENVIRONMENT, EXIT STATUS)
/// instead of clap_mangen's single "EXTRA".
fn man_page(page: Command, invoked: &str) -> Vec<u8> {
    // `share help` exists on the command line, but it has no page of its own.
    let mut page = page
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true);
    page.build();
    let after_help = page
        .get_after_long_help()
        .or_else(|| page.get_after_help())
        .map(|text| text.to_string())
        .unwrap_or_default();
    let man = clap_mangen::Man::new(
        page.clone()
            .after_help(None::<&str>)
            .after_long_help(None::<&str>),
    );

    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    let mut roff = Roff::default();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(synopsis(&page, invoked));
    roff.to_writer(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();

    let mut sections = Roff::default();
    for block in after_help.split("\n\n") {
        let mut lines = block.lines();
        let Some(first) = lines.next() else { continue };
        match first {
            "Examples:" => {
                sections.control("SH", ["EXAMPLES"]);
                sections.control("nf", []);
                for line in lines {
                    sections.text([roman(line.trim_start())]);
                }
                sections.control("fi", []);
            }
            "Environment:" => {
                sections.control("SH", ["ENVIRONMENT"]);
                term_list(&mut sections, lines, true);
            }
            "Exit codes:" => {
                sections.control("SH", ["EXIT STATUS"]);
                term_list(&mut sections, lines, false);
            }
            // A paragraph without a heading belongs to the description.
            _ => {
                let mut paragraph = Roff::default();
                paragraph.control("PP", []);
                paragraph.text([roman(
                    block.split_whitespace().collect::<Vec<_>>().join(" "),
                )]);
                paragraph.to_writer(&mut out).unwrap();
            }
        }
    }
    if page.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut out).unwrap();
    }
    if page.has_subcommands() {
        man.render_subcommands_section(&mut out).unwrap();
    }
    sections.to_writer(&mut out).unwrap();
    man.render_version_section(&mut out).unwrap();
    // Each render call starts with the same two-line preamble; the page needs it once.
    let text = String::from_utf8(out).unwrap();
    let preamble = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let body = text.strip_prefix(preamble).unwrap().replace(preamble, "");
    format!("{preamble}{body}").into_bytes()
}

/// `share send [-r|--recipient KEY]... <PATH>...`: every visible option with its
/// placeholder, repeatable ones marked with `...`, then the positional arguments.
fn synopsis(page: &Command, invoked: &str) -> Vec<Inline> {
    let mut line = vec![bold(invoked)];
    let repeated = |arg: &clap::Arg| matches!(arg.get_action(), clap::ArgAction::Append);
    for arg in page
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !arg.is_positional())
    {
        line.push(roman(" ["));
        let names: Vec<String> = arg
            .get_short()
            .map(|short| format!("-{short}"))
            .into_iter()
            .chain(arg.get_long().map(|long| format!("--{long}")))
            .collect();
        line.push(bold(names.join("|")));
        if arg.get_action().takes_values() {
            let value = arg
                .get_value_names()
                .map(|names| names.join(" "))
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            line.push(roman(" "));
            line.push(italic(value));
        }
        line.push(roman(if repeated(arg) { "]..." } else { "]" }));
    }
    for arg in page.get_positionals().filter(|arg| !arg.is_hide_set()) {
        let value = arg
            .get_value_names()
            .map(|names| names.join(" "))
            .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
        let (open, close) = if arg.is_required_set() {
            ("<", ">")
        } else {
            ("[", "]")
        };
        line.push(roman(format!(" {open}")));
        line.push(italic(value));
        line.push(roman(if repeated(arg) {
            format!("{close}...")
        } else {
            close.to_owned()
        }));
    }
    if page.has_subcommands() {
        line.push(roman(" "));
        line.push(italic("COMMAND"));
        line.push(roman(" ["));
        line.push(italic("ARGS"));
        line.push(roman("]"));
    }
    line
}

/// `  TERM   description` lines (with more-indented continuation lines) as a .TP list; the
/// term is bold when it names something to type or set.
fn term_list<'a>(roff: &mut Roff, lines: impl Iterator<Item = &'a str>, bold_term: bool) {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in lines {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        match (indent > 2, entries.last_mut()) {
            (true, Some((_, description))) => {
                description.push(' ');
                description.push_str(text);
            }
            _ => {
                let (term, description) = text.split_once("  ").unwrap_or((text, ""));
                entries.push((term.trim().to_owned(), description.trim().to_owned()));
            }
        }
    }
    for (term, description) in entries {
        roff.control("TP", []);
        roff.text([if bold_term { bold(term) } else { roman(term) }]);
        roff.text([roman(description)]);
    }
}

#[test]
fn man_pages_are_whole_and_point_only_at_pages_that_exist() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("man");
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
    for entry in std::fs::read_dir(&root).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!page.contains(".SH EXTRA"), "a stray EXTRA heading");
        // Every page another page refers to is shipped.
        for word in page.split_whitespace() {
            if let Some(name) = word.strip_suffix("(1)") {
                let file = format!("{}.1", name.replace("\\-", "-"));
                assert!(
                    root.join(&file).exists(),
                    "{file} is referred to but missing"
                );
            }
        }
    }
    let top = read("share.1");
    let name_line = top.lines().skip_while(|l| *l != ".SH NAME").nth(1).unwrap();
    assert!(name_line.len() < 80, "NAME is one short line: {name_line}");

    let send = read("share-send.1");
    assert!(
        send.contains(r"<\fIPATH\fR>..."),
        "synopsis shows the paths"
    );
    assert!(
        send.contains(r"[\fB\-\-name\fR \fINAME\fR]"),
        "synopsis shows placeholders"
    );
    let environment = send
        .split(".SH ENVIRONMENT")
        .nth(1)
        .expect("share-send(1) has an ENVIRONMENT section");
    for variable in [
        "SHARE_PASSPHRASE",
        "SHARE_SERVER",
        "TFLINK_USER_ID",
        "TFLINK_AUTH_TOKEN",
    ] {
        assert!(
            environment.contains(variable),
            "{variable} is in ENVIRONMENT"
        );
    }
    assert!(read("share-receive.1").contains(".SH ENVIRONMENT"));
    assert!(send.contains(r#".SH "EXIT STATUS""#));
}
