//! The archive unpacker on arbitrary plaintext: it may refuse, but it must never write
//! outside its staging directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use share_client::payload::unpack::{Marker, unpack};

fuzz_target!(|data: (u8, &[u8])| {
    let (files, archive) = data;
    let root = tempfile::tempdir().unwrap();
    let staging = root.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    let _ = unpack(
        archive,
        Marker {
            files: u64::from(files % 4),
        },
        &staging,
        &|_, _, _| Ok(()),
    );
    let outside: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
    assert_eq!(
        outside.len(),
        1,
        "something was written beside the staging directory"
    );
});
