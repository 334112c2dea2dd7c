//! The host's JSON reply to an upload: only an http(s) download link may come out.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|reply: &[u8]| {
    if let Ok(link) = share_client::transport::parse_reply(reply) {
        assert!(matches!(link.scheme(), "http" | "https"));
        assert!(link.host().is_some());
    }
});
