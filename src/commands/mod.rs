//! One runner per subcommand, one folder (or one file, for a small one) each. Runners are
//! async where they talk to the API and return the process exit code; rendering of errors
//! is left to `main`.
//!
//! No command imports another. What several share lives in a module named after it:
//! - [`plan`]: `update`'s flags compiled once (and the name filter `diff` shares);
//! - [`base`]: how a pool's merge base is asked for and where its backup holds one;
//! - [`write`](mod@write): the safe write (re-read, backup, PATCH, read-back) of `update` and `rollback`;
//! - [`outcome`], [`tally`], [`output`], [`markdown`]: how a pool ends and how it is printed;
//! - [`paging`], [`deployments`], [`signals`], [`connect`], [`policy_report`].

mod backups;
mod base;
mod completions;
mod connect;
mod default;
mod deployments;
mod diff;
mod explain;
mod markdown;
mod merge;
mod outcome;
mod output;
mod paging;
mod plan;
mod policy_report;
mod rollback;
mod signals;
mod springboard;
mod tally;
mod trust;
mod update;
mod validate;
mod write;

use crate::cli::{Cli, ColorChoice, Command};
use crate::error::Result;
use poolsync_engine::identity;
use std::io::IsTerminal;

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> Result<u8> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let outer = &cli.connection;
    match cli.command {
        Command::Update(args) => update::run(&args.connection.under(outer), &args, color).await,
        Command::Default(args) => default::run(&args.connection.under(outer), &args).await,
        Command::Explain(args) => explain::run(&args.connection.under(outer), &args, color).await,
        Command::Diff(args) => diff::run(&args.connection.under(outer), &args, color).await,
        Command::Merge(args) => merge::run(&args),
        Command::Validate(args) => validate::run(&args.connection.under(outer), &args).await,
        Command::Schema => output::print_json(&identity::schema()),
        Command::TrustPolicy(args) => trust::run(&args),
        Command::Springboard(args) => springboard::run(&args),
        Command::Rollback(args) => rollback::run(&args.connection.under(outer), &args, color).await,
        Command::Backups(args) => backups::run(&args),
        Command::Completions(args) => completions::run(&args),
    }
}
