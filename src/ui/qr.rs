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
            eprintln!("{rendered}");
            zeroize::Zeroize::zeroize(&mut rendered);
        }
        Err(err) => report::status(quiet, &format!("cannot draw the QR code: {err}")),
    }
}
