//! One module per subcommand: orchestration only.

pub(crate) mod doctor;
pub(crate) mod manage;
pub(crate) mod receive;
pub(crate) mod send;
