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
//! - [`exit`]: the process exit codes.

pub(crate) mod api;
pub mod backup;
pub mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub mod error;
pub mod exit;
pub(crate) mod input;
pub(crate) mod markdown;

/// Percent-encodes one URL path segment as poolsync does (examples/floor.rs uses it).
pub use api::encode;
pub use error::{Error, Result, Signal};

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: cli::Cli) -> Result<u8> {
    commands::run(cli).await
}
