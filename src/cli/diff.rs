//! The args of `poolsync diff`: two templates side by side, each from a pool (on the
//! connection's server or another profile's) or a file; or every pool of two servers.

use super::connection::ConnectionArgs;
use clap::{Args, ValueEnum};

/// `poolsync diff`'s help footer: what a side is, the exit codes, examples.
pub(super) const AFTER_HELP: &str = "\
Sides:
  POOL              a pool on the server of the connection flags (env, active profile)
  PROFILE:POOL      a pool on the server of that Prefect profile (profiles.toml);
                    :POOL names a pool holding a colon, or ending in .json, on the default
  -                 stdin
  file:PATH         a file; so is anything starting with ./ ../ or / or ending in .json
  A side that names a profile reads its url and credentials from that profile only.

Exit codes (as diff(1)):
  0  the templates are the same (key order ignored)
  1  they differ (with --all: some pair differs, or a pool is on one side only)
  2  trouble: a side could not be read, or the command line was wrong

Examples:
  poolsync diff dev:k8s-pool prod:k8s-pool
  poolsync diff k8s-pool ./pools/k8s-pool.json --only variables
  poolsync diff --all --left-profile dev --right-profile prod --output markdown";

/// Arguments of `poolsync diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The left side: POOL, PROFILE:POOL, a file (./x.json, file:PATH) or - (stdin).
    #[arg(
        value_name = "LEFT",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub left: Option<String>,

    /// The right side, as LEFT.
    #[arg(value_name = "RIGHT", required_unless_present = "all")]
    pub right: Option<String>,

    /// Compare every pool of the two sides' servers, paired by name.
    #[arg(long)]
    pub all: bool,

    /// With --all: only pools whose name matches this glob (repeatable).
    #[arg(long = "name", value_name = "GLOB", requires = "all")]
    pub names: Vec<String>,

    /// The Prefect profile the left side's pools are read from.
    #[arg(long, value_name = "PROFILE")]
    pub left_profile: Option<String>,

    /// The Prefect profile the right side's pools are read from.
    #[arg(long, value_name = "PROFILE")]
    pub right_profile: Option<String>,

    /// Compare only this section of the templates.
    #[arg(long, value_name = "SECTION")]
    pub only: Option<SectionArg>,

    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: DiffFormat,

    /// How to reach the Prefect API (for the sides that name no profile).
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// A section of a base job template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SectionArg {
    /// `variables`: the pool's form (the JSON Schema of its settings).
    Variables,
    /// `job_configuration`: what a worker builds from the variables.
    #[value(name = "job_configuration", alias = "job-configuration")]
    JobConfiguration,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff (with --all: one line per pool that differs or is on one side only).
    Text,
    /// One JSON object (with --all: one per pool, then a summary object).
    Json,
    /// The RFC 6902 JSON Patch from left to right (one pair only).
    JsonPatch,
    /// GitHub-flavoured Markdown: a table, then each differing pair's diff.
    Markdown,
}
