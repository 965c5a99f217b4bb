//! The args of the commands that read a pool's or a file's template and write nothing:
//! `default`, `validate` and `explain`.

use super::backups::BackupDirArgs;
use super::connection::ConnectionArgs;
use super::merging::{BaseArg, HistoryArgs};
use super::update::OutputFormat;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The pool `validate` and `explain` read, unless given their `--file` instead. Each command
/// words the pool's help in its own terms (`mut_arg`).
#[derive(Debug, Args)]
pub struct PoolArg {
    /// The pool to read.
    #[arg(
        value_name = "POOL",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub pool: Option<String>,
}

/// Arguments of `poolsync default`.
#[derive(Debug, Args)]
pub struct DefaultArgs {
    /// Work pool type, e.g. kubernetes, ecs, docker, process, prefect:managed.
    #[arg(long = "type", value_name = "TYPE")]
    pub pool_type: String,

    /// List the released defaults poolsync knows for the type (offline): one line per
    /// distinct template with its prefect releases.
    #[arg(long, conflicts_with = "release")]
    pub history: bool,

    /// Print the default that this prefect release shipped (offline), e.g. 2.19.0, or a
    /// worker package's, e.g. prefect-kubernetes==0.8.0.
    #[arg(long, value_name = "VERSION")]
    pub release: Option<String>,

    /// Output format of --history: text or json.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "text",
        requires = "history"
    )]
    pub output: OutputFormat,

    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `poolsync validate`.
#[derive(Debug, Args)]
#[command(mut_arg("pool", |pool| pool.help("The pool whose stored template to check")))]
pub struct ValidateArgs {
    /// The pool to read.
    #[command(flatten)]
    pub target: PoolArg,

    /// Template files to check instead (`-` reads stdin); takes several, as pre-commit passes
    /// them, and fails if any fails.
    #[arg(long, value_name = "FILE", num_args = 1.., action = clap::ArgAction::Append)]
    pub file: Vec<PathBuf>,

    /// Also check the pool's deployments against its template: their job_variables as the
    /// server will when a flow run is created (exit 1 on an invalid one; ignored and unwired
    /// keys are warnings), and their federated identity overrides.
    #[arg(long, conflicts_with = "file")]
    pub deployments: bool,

    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: ReportFormat,

    /// Offline: check the deployments of these prefect.yaml files (`work_pool.job_variables`)
    /// against the template of --file, as `validate POOL --deployments` does. Put it last:
    /// it takes every file after it (pre-commit passes them).
    #[arg(long, value_name = "PREFECT_YAML", num_args = 1.., requires = "file", action = clap::ArgAction::Append)]
    pub prefect_yaml: Vec<PathBuf>,

    /// With --prefect-yaml: check only the deployments on this work pool (needed when the
    /// file's deployments run on several pools).
    #[arg(long = "pool", value_name = "NAME", requires = "prefect_yaml")]
    pub deployment_pool: Option<String>,

    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `poolsync explain`.
#[derive(Debug, Args)]
#[command(mut_arg("pool", |pool| pool.help("The pool whose customisations to show")))]
pub struct ExplainArgs {
    /// The pool to read.
    #[command(flatten)]
    pub target: PoolArg,

    /// A template file instead (`-` reads stdin); needs --type. Works offline.
    #[arg(long, value_name = "FILE", requires = "pool_type")]
    pub file: Option<PathBuf>,

    /// The work pool type of --file.
    #[arg(long = "type", value_name = "TYPE")]
    pub pool_type: Option<String>,

    /// Compare with this base: `auto` (a backup of the pool, else the inferred released
    /// default), `backup`, or a template FILE [default: auto]
    #[arg(long, value_name = "auto|backup|FILE")]
    pub base: Option<BaseArg>,

    /// Where inferred bases come from.
    #[command(flatten)]
    pub history: HistoryArgs,

    /// Where backups are.
    #[command(flatten)]
    pub backups: BackupDirArgs,

    /// Output format.
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub output: ReportFormat,

    /// How to reach the Prefect API (not needed with --file).
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Output formats of `validate` and `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Lines for a terminal.
    Text,
    /// GitHub-flavoured Markdown for a pull-request comment: a summary table, then a
    /// collapsible section per pool or file.
    Markdown,
}

#[cfg(test)]
mod tests {
    use crate::cli::Cli;
    use clap::CommandFactory;

    /// `validate` and `explain` share the POOL argument but word its help their own way.
    #[test]
    fn each_command_words_the_pool_help_its_own_way() {
        let cli = Cli::command();
        for (command, expected) in [
            ("validate", "The pool whose stored template to check"),
            ("explain", "The pool whose customisations to show"),
        ] {
            let help = cli
                .find_subcommand(command)
                .and_then(|c| c.get_arguments().find(|a| a.get_id() == "pool"))
                .and_then(|pool| pool.get_help())
                .map(ToString::to_string);
            assert_eq!(help.as_deref(), Some(expected), "{command}");
        }
    }
}
