//! The share marker (the pax global header that starts every payload).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|prefix: &[u8]| {
    let _ = share_client::payload::unpack::read_marker(prefix);
});
