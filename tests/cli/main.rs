//! The one integration test binary: the real `share` against the in-process tfLink
//! stand-in, and against the reference `age` CLI where the tests check interoperability.

#![allow(unreachable_pub)]

mod core;
mod doctor;
mod environment;
mod errors;
mod failover;
mod generated;
mod help;
mod hints;
mod hostile;
mod interop;
mod parts;
mod receive_safety;
mod recipients;
mod relay;
mod space;
mod support;
mod terminal;
mod transport;
