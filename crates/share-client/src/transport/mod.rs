//! Everything that crosses the network: the settings and clients ([`network`]), the one
//! retry policy ([`retry`]), downloads that resume ([`download`]), where the parts of an
//! index may lead ([`reach`]), and the hosts a share can be stored on ([`host`], with
//! [`tflink`] as one implementation).

pub mod download;
mod error;
pub mod host;
pub mod network;
pub mod probe;
pub mod reach;
pub mod relay;
pub mod retry;
pub mod tflink;

pub use download::{Download, MAX_DOWNLOAD_BYTES, download};
pub use error::{RelayError, RelayErrorVariant, TransportError, TransportErrorVariant};
pub use network::{LazyUploadClient, Network, host_of, parse_user_url, transport_error};
/// The HTTP status type of the errors above.
pub use reqwest::StatusCode;
pub use retry::AttemptFailure;
pub use tflink::{
    ANONYMOUS_RETENTION, Account, MAX_UPLOAD_BYTES, NEUTRAL_NAME, Upload, parse_reply, upload,
    upload_endpoint,
};

/// The HTTP client every request goes through (built by [`Network`]).
pub type HttpClient = reqwest::Client;
