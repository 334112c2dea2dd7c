//! Integration tests: real HTTP against in-process relays (and the real binary), SQLite in
//! temporary directories.

mod binary;
mod flows;
mod security;
mod support;
