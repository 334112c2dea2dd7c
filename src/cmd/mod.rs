//! One module per subcommand: orchestration only.

pub mod receive;
pub mod send;
