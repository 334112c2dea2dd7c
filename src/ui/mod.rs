//! Everything the user sees: results on standard output ([`stdout`], the only writer
//! there), messages on stderr ([`report`], which escapes every line once), progress bars
//! ([`progress`]), the passphrase prompt ([`prompt`]) and the QR code ([`qr`]).

pub mod progress;
pub mod prompt;
pub mod qr;
pub mod report;
pub mod stdout;
