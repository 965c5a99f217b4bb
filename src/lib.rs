//! poolsync upgrades the base job templates of Prefect work pools to the latest default
//! for their type, keeping every value the user customised.
//!
//! poolsync is three workspace members; the arrows are the only dependencies:
//!
//! ```text
//! poolsync (this crate: CLI, config, API client, commands, backups)
//!   ├──> poolsync-engine (crates/engine: merge, inference, checks, diff; pure)
//!   └──> iam-trust (crates/iam-trust: the IAM trust policy linter) ──> poolsync-engine
//! ```
//!
//! Module map of this crate:
//! - [`cli`]: the command line (clap derive).
//! - [`config`]: flags + environment + Prefect profile -> one [`config::Config`].
//! - [`api`]: the REST client: `transport` (one send loop), `endpoints` (pools, defaults,
//!   deployments, CSRF), `pacing` (pace, pushback, write limit, retries).
//! - [`backup`]: backup files written before every write, found again for rollback.
//! - [`commands`]: one folder (or file) per subcommand, and the stages they share.
//! - [`markdown`]: reports as GitHub-flavoured Markdown (table, details, capped).
//! - [`input`]: reading JSON files and stdin with clear errors.
//! - [`error`]: the one error type.

pub(crate) mod api;
pub mod backup;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub mod error;
pub(crate) mod input;
pub(crate) mod markdown;

/// Percent-encodes one URL path segment as poolsync does (examples/floor.rs uses it).
pub use api::encode;
pub use error::{Error, Result, Signal};

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: cli::Cli) -> Result<u8> {
    commands::run(cli).await
}

/// Process exit codes, documented in README.md and `--help`.
pub mod exit {
    /// Everything worked; for a dry run, nothing would change.
    pub const SUCCESS: u8 = 0;
    /// Something failed: a request, a file, or a check that blocked a push.
    pub const ERROR: u8 = 1;
    /// The command line was wrong.
    pub const USAGE: u8 = 2;
    /// With `--detailed-exitcode`: the run succeeded and changes are pending (dry run).
    pub const CHANGES_PENDING: u8 = 3;
    /// The command was understood but refused: acting would lose or misplace data (a
    /// rollback over later edits without `--force`, a backup of another pool or server).
    pub const REFUSED: u8 = 4;
    /// Interrupted by SIGINT (128 + 2): the report so far was printed.
    pub const INTERRUPTED: u8 = 130;
    /// Interrupted by SIGTERM (128 + 15): the report so far was printed.
    pub const TERMINATED: u8 = 143;
}
