//! Shell completions (`completions/`) and man pages (`man/`) are generated from the clap
//! definition. This test fails when the committed files drift from it; set
//! `SHARE_UPDATE_GENERATED=1` to rewrite them.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
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
    let mut pages = vec![("share.1".to_owned(), command.clone())];
    for sub in command.get_subcommands() {
        // clap names are &'static str; a handful of leaked strings in a test is fine.
        let name: &'static str = Box::leak(format!("share-{}", sub.get_name()).into_boxed_str());
        pages.push((format!("{name}.1"), sub.clone().name(name)));
    }
    for (file, page) in pages {
        let mut rendered = Vec::new();
        clap_mangen::Man::new(page).render(&mut rendered).unwrap();
        check_or_write(&root.join("man").join(file), &rendered, &mut drifted);
    }

    assert!(
        drifted.is_empty(),
        "generated files drifted from the CLI: {drifted:?}; run with SHARE_UPDATE_GENERATED=1"
    );
}
