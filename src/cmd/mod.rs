//! One module per subcommand: orchestration only.

pub(crate) mod manage;
pub(crate) mod receive;
pub(crate) mod send;
