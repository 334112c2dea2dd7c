//! tfLink's documented API, as far as share relies on it (<https://tmpfile.link>): its
//! limits, how long it keeps anonymous uploads, the neutral name every upload goes by, and
//! the one field of its upload reply that share reads.

use std::time::Duration;

use serde::Deserialize;

/// tfLink's per-file limit, "100 MB", read conservatively as 10^8 bytes.
pub const MAX_UPLOAD_BYTES: u64 = 100_000_000;

/// How long anonymous uploads are kept by tfLink.
pub const ANONYMOUS_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The multipart filename of every upload: it becomes the link's last segment, so it must
/// say nothing about what is inside.
pub const NEUTRAL_NAME: &str = "share.age";

/// The part of tfLink's upload reply that share relies on (the rest is ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReply {
    /// The download link, on tfLink's separate download host.
    pub download_link: String,
}
