//! poolsync upgrades the base job templates of Prefect work pools to the latest default
//! for their type, keeping every value the user customised.
//!
//! Module map:
//! - [`cli`]: the command line (clap derive).
//! - [`config`]: flags + environment + Prefect profile -> one [`config::Config`].
//! - [`api`]: the REST client: requests, retries, CSRF, response types.
//! - [`merge`]: pure: jq-compatible and schema-aware merges.
//! - [`template`]: pure: the server's placeholder and section checks.
//! - [`identity`]: pure: the federated identity type, its schema, validation.
//! - [`job_variables`]: pure: a deployment's job variables checked against a template.
//! - [`prefect_yaml`]: pure: the deployments of a prefect.yaml, with their pools and job variables.
//! - [`trust`]: pure: the AWS IAM trust policy Prefect Cloud needs: generate and lint it.
//! - [`diff`]: pure: unified text diff and JSON Patch.
//! - [`display`]: pure: escaping untrusted names for the terminal.
//! - [`markdown`]: pure: reports as GitHub-flavoured Markdown (table, details, capped).
//! - [`violation`]: the report type of every blocking check.
//! - [`history`]: pure: the released default templates (embedded) and base inference.
//! - [`backup`]: backup files written before every write, found again for rollback.
//! - [`commands`]: one runner per subcommand.
//! - [`input`]: reading JSON files and stdin with clear errors.
//! - [`big_integers`]: pure: integers beyond 64 bits in JSON text, refused by pointer.
//! - [`error`]: the one error type.

pub mod api;
pub mod backup;
pub mod big_integers;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diff;
pub mod display;
pub mod error;
pub mod history;
pub mod identity;
pub mod input;
pub mod job_variables;
pub mod markdown;
pub mod merge;
pub mod prefect_yaml;
pub mod template;
pub mod trust;
pub mod violation;

pub use error::{Error, Result};

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
}
