//! The whole receive pipeline, from downloaded bytes to files in a temporary directory,
//! with a fixed passphrase: the age header, the work-factor cap, decryption, the marker
//! and the unpacker. Nothing may appear in the destination unless the stream authenticated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use share_client::local::destination::Destination;

/// The passphrase the seed corpus was made with.
const PASSPHRASE: &str = "fuzzing-passphrase";

fuzz_target!(|download: &[u8]| {
    let root = tempfile::tempdir().unwrap();
    let destination = Destination::prepare(Some(root.path()), false).unwrap();
    // A low cap keeps each run cheap; the cap is checked before scrypt runs.
    let result = share::fuzzing::receive(download, PASSPHRASE, 4, destination);
    let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    if result.is_err() {
        assert!(left.is_empty(), "a failed receive left {left:?}");
    }
});
