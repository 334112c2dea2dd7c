//! The hidden passphrase prompt on the terminal: the one place share reads from it. The
//! library asks for a passphrase through a callback; this is the callback.

use secrecy::SecretString;

/// Asks for the passphrase without echoing it.
pub fn passphrase() -> std::io::Result<SecretString> {
    rpassword::prompt_password("Passphrase: ").map(SecretString::from)
}
