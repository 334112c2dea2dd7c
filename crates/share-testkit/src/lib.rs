//! Servers for testing share on 127.0.0.1, with no internet: a tfLink stand-in that follows
//! tfLink's documented API ([`tflink`]: its separate download host, its 100 MB limit, its
//! error replies) and records what it was sent, and raw servers that misbehave on purpose
//! ([`raw`]). Used by the integration tests and by the `tflink-standin` binary.
#![allow(missing_docs, unreachable_pub)]

pub mod raw;
pub mod tflink;
