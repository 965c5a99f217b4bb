//! The command line: every subcommand and flag, as clap derive types (the args of each
//! command in a submodule named after what they own). Doc comments here and there
//! are the `--help` text.

use clap::{Parser, Subcommand, ValueEnum};

mod backups;
mod connection;
mod diff;
mod examples;
mod inspect;
mod merging;
mod offline;
mod update;

pub use backups::{BackupDirArgs, BackupsArgs, RollbackArgs};
pub use connection::ConnectionArgs;
pub use diff::{DiffArgs, DiffFormat, SectionArg};
pub use inspect::{DefaultArgs, ExplainArgs, PoolArg, ReportFormat, ValidateArgs};
pub use merging::{BaseArg, HistoryArgs, StrategyArg};
pub use offline::{CompletionsArgs, MergeArgs, SpringboardArgs, TrustPolicyArgs};
pub(crate) use offline::{role_usage, trust_names, trust_usage};
pub use update::{OutputFormat, UpdateArgs};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for a dry run, nothing would change
  1  error: a request, a file, or a check that blocked a push (some pool failed or was invalid)
  2  usage error
  3  with --detailed-exitcode: success, and changes are pending (dry run)
  4  refused: understood, but acting would lose data (a rollback over later edits without
     --force, a backup of another pool or server)
  130, 143  interrupted by SIGINT, SIGTERM (the report so far is printed)";

/// Upgrade Prefect work pools' base job templates to the latest default for their type,
/// keeping every value you customised.
#[derive(Debug, Parser)]
#[command(name = "poolsync", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to colour output.
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        display_order = 900
    )]
    pub color: ColorChoice,

    /// Connection flags before the command apply to it (flags after the command win).
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merge the latest default template into pools, check it, show the diff, and push it.
    #[command(after_help = examples::UPDATE)]
    Update(UpdateArgs),
    /// Print the latest default base job template for a work pool type.
    #[command(after_help = examples::DEFAULT)]
    Default(DefaultArgs),
    /// Merge two template files offline and print the result as JSON.
    #[command(after_help = examples::MERGE)]
    Merge(MergeArgs),
    /// Check a pool's or a file's template: placeholders and federated identity. Writes nothing.
    #[command(after_help = examples::VALIDATE)]
    Validate(ValidateArgs),
    /// Show what was changed in a pool's template against its base (backup, else the
    /// released default it was inferred to come from), as a diff. Writes nothing.
    #[command(after_help = examples::EXPLAIN)]
    Explain(ExplainArgs),
    /// Show how two pools' templates differ (each from a pool, another profile's pool, or a
    /// file), or every pool of two servers; exits 0 same, 1 different, 2 trouble.
    #[command(after_help = diff::AFTER_HELP)]
    Diff(DiffArgs),
    /// Print the federated identity JSON Schema.
    #[command(after_help = examples::SCHEMA)]
    Schema,
    /// Restore a pool's template from a backup poolsync wrote before changing it.
    #[command(after_help = examples::ROLLBACK)]
    Rollback(RollbackArgs),
    /// List the backups poolsync has written.
    #[command(after_help = examples::BACKUPS)]
    Backups(BackupsArgs),
    /// Print or lint the AWS IAM trust policy Prefect Cloud needs to assume a role.
    #[command(after_help = examples::TRUST_POLICY)]
    TrustPolicy(TrustPolicyArgs),
    /// Print or lint the policy pair that lets a springboard role assume a second role.
    #[command(after_help = examples::SPRINGBOARD)]
    Springboard(SpringboardArgs),
    /// Print a shell completion script.
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
}
