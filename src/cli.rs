//! The command line: every subcommand and flag, as clap derive types. Doc comments here
//! are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod examples;

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for a dry run, nothing would change
  1  error: a request, a file, or a check that blocked a push (some pool failed or was invalid)
  2  usage error
  3  with --detailed-exitcode: success, and changes are pending (dry run)";

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

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Connection flags; each falls back to the environment, then to the active Prefect profile.
/// Flattened into the args of every command that talks to a server, under their own heading;
/// offline commands do not show them.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Prefect API URL [env: PREFECT_API_URL, or the active profile]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// Prefect Cloud API key, sent as a Bearer token [env: PREFECT_API_KEY]
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Prefect profile to read settings from [env: PREFECT_PROFILE; default: the active one]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Seconds to wait for each HTTP response [env: POOLSYNC_TIMEOUT; default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Log every HTTP request and its answer to stderr (credentials are never shown).
    #[arg(short, long)]
    pub verbose: bool,
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

/// Arguments of `poolsync rollback`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["to", "latest"]))]
pub struct RollbackArgs {
    /// The pool to restore.
    #[arg(value_name = "POOL")]
    pub pool: String,

    /// Restore this backup file (see `poolsync backups`).
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,

    /// Restore the pool's newest backup from this server.
    #[arg(long)]
    pub latest: bool,

    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Where backups are [default: $XDG_STATE_HOME/poolsync/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `poolsync backups`.
#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// Only this pool's backups.
    #[arg(value_name = "POOL")]
    pub pool: Option<String>,

    /// Where backups are [default: $XDG_STATE_HOME/poolsync/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

/// Arguments of `poolsync trust-policy`.
#[derive(Debug, Args)]
pub struct TrustPolicyArgs {
    /// Lint these policies instead of printing one: JSON documents, or the assume_role_policy
    /// of each role in a Terraform `.tf` file (`-` reads stdin); takes several, as pre-commit
    /// passes them, and fails if any has an error.
    #[arg(long, value_name = "FILE", num_args = 0.., action = clap::ArgAction::Append)]
    pub check: Option<Vec<PathBuf>>,

    /// More documents to lint with --check (pre-commit appends files after the hook's args).
    #[arg(value_name = "FILE", requires = "check")]
    pub files: Vec<PathBuf>,

    /// The 12-digit AWS account that owns the role and the OIDC provider.
    #[arg(long, value_name = "ACCOUNT_ID", required_unless_present = "check")]
    pub aws_account: Option<String>,

    /// The Prefect Cloud account id (a UUID) allowed to assume the role.
    #[arg(long, value_name = "UUID", required_unless_present = "check")]
    pub prefect_account: Option<String>,

    /// With --check: the OIDC issuer the policy is for, as IAM names the provider (host and
    /// path, e.g. app.crewai.com) [default: api.prefect.cloud/oidc-provider].
    #[arg(long, value_name = "HOST", requires = "check")]
    pub issuer: Option<String>,

    /// With --check: the audience (aud) the issuer's tokens carry [default: prefect-cloud for
    /// Prefect Cloud; for other issuers only its presence is checked].
    #[arg(long, value_name = "AUD", requires = "check")]
    pub audience: Option<String>,

    /// With --check: the exact subject (sub) the policy must allow.
    #[arg(long, value_name = "SUB", requires = "check", conflicts_with_all = ["subject_like", "prefect_account"])]
    pub subject: Option<String>,

    /// With --check: the IAM pattern (`*`, `?`) the allowed subjects must stay within.
    #[arg(
        long,
        value_name = "PATTERN",
        requires = "check",
        conflicts_with = "prefect_account"
    )]
    pub subject_like: Option<String>,
}

/// Arguments of `poolsync springboard`.
#[derive(Debug, Args)]
pub struct SpringboardArgs {
    /// The first role: the springboard Prefect Cloud assumes (the pool's aws_role_arn).
    #[arg(long, value_name = "ARN")]
    pub from_role: String,

    /// The second role, which the springboard assumes with sts:AssumeRole.
    #[arg(long, value_name = "ARN")]
    pub to_role: String,

    /// The RoleSessionName the printed AwsCredentials pass.
    #[arg(long, value_name = "NAME", default_value = crate::trust::springboard::DEFAULT_SESSION_NAME)]
    pub session_name: String,

    /// The second role's session length in seconds, 900 to 3600 (AWS caps role chaining at
    /// one hour).
    #[arg(long, value_name = "SECONDS", default_value_t = crate::trust::springboard::DEFAULT_DURATION)]
    pub duration: u32,

    /// An sts:ExternalId the second role requires and the AwsCredentials send.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Lint the second role's trust policy (JSON or Terraform; `-` reads stdin) against the
    /// pair instead of printing one.
    #[arg(long, value_name = "FILE")]
    pub check_trust: Option<PathBuf>,

    /// Lint the first role's permissions policy (JSON or Terraform; `-` reads stdin) against
    /// the pair instead of printing one.
    #[arg(long, value_name = "FILE")]
    pub check_permissions: Option<PathBuf>,
}

/// Arguments of `poolsync completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

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

    /// Also check the deployments on each pool: a `job_variables.federated_identity`
    /// override that fails validation makes the pool invalid (nothing pushed).
    #[arg(long)]
    pub check_deployments: bool,

    /// With --dry-run: exit 3 when changes are pending (like `terraform plan -detailed-exitcode`).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Merge this template file instead of the server's default (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// How to merge the current template into the default.
    #[arg(long, value_name = "STRATEGY", default_value = "schema")]
    pub strategy: StrategyArg,

    /// The default template the pool was last synced from: values the user never changed
    /// (current == base) take the new default, keys removed upstream go
    /// [default: the default recorded in the pool's newest backup]
    #[arg(long, value_name = "FILE", conflicts_with = "no_base")]
    pub base: Option<PathBuf>,

    /// Merge two-way even if a backup records the last synced default.
    #[arg(long)]
    pub no_base: bool,

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

/// How to merge the current template into the default (`--strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// jq's merge plus `variables.required` union and schema warnings.
    Schema,
    /// Exactly `jq -s '.[0] * .[1]'` (default as base, current wins).
    Jq,
}

/// A request rate: a finite number above zero.
fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n <= 100_000.0 => Ok(n),
        _ => Err("give requests per second, a number above 0 (e.g. 10 for 600/min)".into()),
    }
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
}

/// Arguments of `poolsync default`.
#[derive(Debug, Args)]
pub struct DefaultArgs {
    /// Work pool type, e.g. kubernetes, ecs, docker, process, prefect:managed.
    #[arg(long = "type", value_name = "TYPE")]
    pub pool_type: String,
    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `poolsync merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The default template file (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub default: PathBuf,

    /// The current template file (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,

    /// How to merge the current template into the default.
    #[arg(long, value_name = "STRATEGY", default_value = "schema")]
    pub strategy: StrategyArg,
}

/// Arguments of `poolsync validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The pool whose stored template to check.
    #[arg(
        value_name = "POOL",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub pool: Option<String>,

    /// Template files to check instead (`-` reads stdin); takes several, as pre-commit passes
    /// them, and fails if any fails.
    #[arg(long, value_name = "FILE", num_args = 1.., action = clap::ArgAction::Append)]
    pub file: Vec<PathBuf>,

    /// Also check the `job_variables.federated_identity` overrides of the pool's deployments.
    #[arg(long, conflicts_with = "file")]
    pub deployments: bool,
    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
