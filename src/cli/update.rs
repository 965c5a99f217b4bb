//! The args of `poolsync update`: which pools, how to merge them, how fast, what to print.

use super::connection::ConnectionArgs;
use super::merging::{BaseArg, HistoryArgs, StrategyArg};
use crate::config::MIN_MAX_RPS;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Arguments of `poolsync update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Pools to update.
    #[arg(
        value_name = "POOL",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub pools: Vec<String>,

    /// Update every pool on the server (narrow with --type, --name, --exclude).
    #[arg(long)]
    pub all: bool,

    /// With --all: only pools of this type (repeatable).
    #[arg(long = "type", value_name = "TYPE", requires = "all")]
    pub types: Vec<String>,

    /// With --all: only pools whose name matches this glob (repeatable).
    #[arg(long = "name", value_name = "GLOB", requires = "all")]
    pub names: Vec<String>,

    /// With --all: skip pools whose name matches this glob (repeatable).
    #[arg(long, value_name = "GLOB", requires = "all")]
    pub exclude: Vec<String>,

    /// How many pools to work on at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// At most this many requests per second (your Prefect Cloud plan's budget: Hobby 625/min
    /// is 10.4). Without it poolsync learns the rate from the server's 429 answers.
    #[arg(long, value_name = "N", env = "POOLSYNC_MAX_RPS", value_parser = rate)]
    pub max_rps: Option<f64>,

    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Also check the deployments on each pool against the merged template: their
    /// job_variables as the server will at flow-run creation, and their federated identity.
    /// An upgrade that breaks a deployment (valid before, invalid after) makes the pool
    /// invalid (nothing pushed); ignored, unwired and changed keys are warnings.
    #[arg(long)]
    pub check_deployments: bool,

    /// With --check-deployments: push an upgrade even if it breaks deployments (the findings
    /// are still reported).
    #[arg(long, requires = "check_deployments")]
    pub allow_breaking_deployments: bool,

    /// With --dry-run: exit 3 when changes are pending (like `terraform plan -detailed-exitcode`).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Merge this template file instead of the server's default (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// How to merge the current template into the default.
    #[arg(long, value_name = "STRATEGY", default_value = "schema")]
    pub strategy: StrategyArg,

    /// The base of the three-way merge, the default the pool was last synced from: values
    /// the user never changed (current == base) take the new default, keys removed upstream
    /// go. `auto`: the default recorded in the pool's newest backup, else the released
    /// default that best explains the pool; `backup`: only a backup; `none`: two-way;
    /// else a template FILE [default: auto]
    #[arg(long, value_name = "auto|backup|none|FILE", conflicts_with = "no_base")]
    pub base: Option<BaseArg>,

    /// Merge two-way (the same as `--base none`).
    #[arg(long)]
    pub no_base: bool,

    /// Where inferred bases come from.
    #[command(flatten)]
    pub history: HistoryArgs,

    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: OutputFormat,

    /// Where to write a backup of each pool before changing it
    /// [default: $XDG_STATE_HOME/poolsync/backups, i.e. ~/.local/state/poolsync/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Output formats of `update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A unified diff, warnings, and a summary line (a table for batches).
    Text,
    /// One JSON object per pool (JSON lines for batches, then a summary object).
    Json,
    /// RFC 6902 JSON Patch operations (single pool only).
    JsonPatch,
    /// GitHub-flavoured Markdown for a pull-request comment: a summary table, then each
    /// changed pool's diff in a collapsible section (capped at 65,536 characters).
    Markdown,
}

/// A request rate: a finite number from [`MIN_MAX_RPS`] (one request every 100 s) to 100,000.
fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && (MIN_MAX_RPS..=100_000.0).contains(&n) => Ok(n),
        _ => Err(format!(
            "give requests per second from {MIN_MAX_RPS} (one request every 100 s) to 100000 \
             (e.g. 10 for 600/min)"
        )),
    }
}
