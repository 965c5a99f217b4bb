//! The args of the commands that work offline: `merge`, `trust-policy`, `springboard` and
//! `completions`.

mod trust_errors;

pub(crate) use trust_errors::{role_usage, trust_names, usage as trust_usage};

use super::merging::{BaseArg, HistoryArgs, StrategyArg};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `poolsync merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The default template file (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub default: PathBuf,

    /// The current template file (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,

    /// Merge three-way with this base: a template FILE, or `auto` for the released default
    /// of --type that best explains the current template.
    #[arg(long, value_name = "FILE|auto")]
    pub base: Option<BaseArg>,

    /// The work pool type, for `--base auto`.
    #[arg(long = "type", value_name = "TYPE")]
    pub pool_type: Option<String>,

    /// Where inferred bases come from.
    #[command(flatten)]
    pub history: HistoryArgs,

    /// How to merge the current template into the default.
    #[arg(long, value_name = "STRATEGY", default_value = "schema")]
    pub strategy: StrategyArg,
}

/// Arguments of `poolsync trust-policy`.
#[derive(Debug, Args)]
pub struct TrustPolicyArgs {
    /// Lint these policy documents instead of printing one (`-` reads stdin); takes several,
    /// as pre-commit passes them, and fails if any has an error.
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
    #[arg(long, value_name = "NAME", default_value = iam_trust::springboard::DEFAULT_SESSION_NAME)]
    pub session_name: String,

    /// The second role's session length in seconds, 900 to 3600 (AWS caps role chaining at
    /// one hour).
    #[arg(long, value_name = "SECONDS", default_value_t = iam_trust::springboard::DEFAULT_DURATION)]
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
