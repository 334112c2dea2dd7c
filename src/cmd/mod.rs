//! One module per subcommand: orchestration only.

pub mod manage;
pub mod receive;
pub mod send;
