//! The hidden passphrase prompt on the terminal: the one place share reads from it. The
//! library asks for a passphrase through a callback; this is the callback.

use secrecy::{ExposeSecret, SecretString};

/// How many times an empty answer is asked again before the prompt gives up.
const ATTEMPTS: usize = 3;

/// Asks for the passphrase without echoing it. An empty answer (a stray Enter) is asked
/// again, up to three times; the last empty answer is returned for the caller to refuse.
/// End of input (Ctrl-D) ends the prompt's line first, so the error starts a line of its own.
pub fn passphrase() -> std::io::Result<SecretString> {
    let mut answer = SecretString::from("");
    for attempt in 1..=ATTEMPTS {
        answer = match rpassword::prompt_password("Passphrase: ") {
            Ok(text) => SecretString::from(text),
            Err(err) => {
                eprintln!();
                return Err(err);
            }
        };
        if !answer.expose_secret().is_empty() {
            break;
        }
        if attempt < ATTEMPTS {
            crate::ui::report::status(
                false,
                &format!(
                    "the passphrase is empty; type it again (try {} of {ATTEMPTS})",
                    attempt + 1
                ),
            );
        }
    }
    Ok(answer)
}
