//! The passphrase as a QR code on stderr, for a phone to read off the screen: drawn only on
//! a terminal, and its rendered text zeroed once printed.

use std::io::IsTerminal;

use secrecy::{ExposeSecret, SecretString};

use crate::ui::report;

/// The passphrase as a QR code on stderr. Only on a terminal: a QR code in a log file
/// would be the passphrase in the log.
pub fn show(passphrase: &SecretString, quiet: bool) {
    if !std::io::stderr().is_terminal() {
        report::status(
            quiet,
            "--qr ignored: stderr is not a terminal, and the code would put the passphrase in a log",
        );
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
            let mut rendered = rendered;
            let needed = rendered
                .lines()
                .next()
                .map_or(0, |line| line.chars().count());
            match terminal_size::terminal_size_of(std::io::stderr()) {
                // A wrapped code cannot be scanned: say so instead of drawing it.
                Some((terminal_size::Width(columns), _)) if usize::from(columns) < needed => {
                    report::status(
                        quiet,
                        &format!(
                            "--qr: the terminal is {columns} columns wide and the code needs \
                             {needed}; widen the window (or make the font smaller) to show it \
                             next time, or pass the passphrase on another way"
                        ),
                    );
                }
                _ => eprintln!("{rendered}"),
            }
            zeroize::Zeroize::zeroize(&mut rendered);
        }
        Err(err) => report::status(quiet, &format!("cannot draw the QR code: {err}")),
    }
}
