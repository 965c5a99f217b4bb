//! One runner per subcommand. Runners are async where they talk to the API and return the
//! process exit code; rendering of errors is left to `main`.

mod backups;
mod checks;
mod deployments;
mod diff;
mod explain;
mod history;
mod markdown;
mod outcome;
mod output;
mod paging;
mod pipeline;
mod plan;
mod rollback;
mod signals;
mod springboard;
mod tally;
mod trust;
mod update;
mod validate;
mod write;

use crate::api::Client;
use crate::cli::{BaseArg, Cli, ColorChoice, Command, DefaultArgs, MergeArgs, UpdateArgs};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::{exit, input};
use poolsync_engine::{identity, merge};
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
        Command::Update(args) => update(&args.connection.under(outer), &args, color).await,
        Command::Default(args) if args.history || args.release.is_some() => history::run(&args),
        Command::Default(args) => default(&args.connection.under(outer), &args).await,
        Command::Explain(args) => explain::run(&args.connection.under(outer), &args, color).await,
        Command::Diff(args) => diff::run(&args.connection.under(outer), &args, color).await,
        Command::Merge(args) => merge_files(&args),
        Command::Validate(args) => validate::run(&args.connection.under(outer), &args).await,
        Command::Schema => print_json(&identity::schema()),
        Command::TrustPolicy(args) => trust::run(&args),
        Command::Springboard(args) => springboard::run(&args),
        Command::Rollback(args) => {
            let client = client(&args.connection.under(outer))?;
            rollback::run(client, &args, color).await
        }
        Command::Backups(args) => backups::run(&args),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut command, "poolsync", &mut std::io::stdout());
            Ok(exit::SUCCESS)
        }
    }
}

pub(crate) fn client(connection: &crate::cli::ConnectionArgs) -> Result<Client> {
    let config = Config::from_env(connection)?;
    if config.tls_insecure {
        eprintln!(
            "warning: PREFECT_API_TLS_INSECURE_SKIP_VERIFY is on; TLS certificates are not checked"
        );
    }
    Client::new(&config)
}

fn print_json(value: &serde_json::Value) -> Result<u8> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Usage(e.to_string()))?;
    println!("{text}");
    Ok(exit::SUCCESS)
}

async fn update(
    connection: &crate::cli::ConnectionArgs,
    args: &UpdateArgs,
    color: bool,
) -> Result<u8> {
    let plan = plan::Plan::new(args, color, std::io::stderr().is_terminal())?;
    pipeline::run(plan, client(connection)?).await
}

async fn default(connection: &crate::cli::ConnectionArgs, args: &DefaultArgs) -> Result<u8> {
    let client = client(connection)?;
    let defaults = client.defaults().await?;
    match defaults.find(&args.pool_type) {
        Some(template) => print_json(template),
        None => Err(Error::NoDefault {
            pool_type: args.pool_type.clone(),
            url: client.defaults_url(),
        }),
    }
}

fn merge_files(args: &MergeArgs) -> Result<u8> {
    if args.default.as_os_str() == "-" && args.current.as_os_str() == "-" {
        return Err(Error::Usage(
            "only one of --default and --current can read stdin (-)".into(),
        ));
    }
    let default = input::read_template(&args.default)?;
    let current = input::read_template(&args.current)?;
    let base = match (&args.base, &args.pool_type) {
        (None, _) => None,
        (Some(BaseArg::Auto), Some(pool_type)) => Some(poolsync_engine::history::infer(
            crate::input::history(args.history.history_file.as_deref())?,
            pool_type,
            &current,
            &default,
        )),
        (Some(BaseArg::Auto), None) => {
            return Err(Error::Usage(
                "--base auto needs --type TYPE, the pool type whose released defaults to search"
                    .into(),
            ));
        }
        (Some(BaseArg::File(path)), _) => Some(poolsync_engine::history::BaseChoice {
            template: Some(input::read_template(path)?),
            origin: poolsync_engine::history::Origin::File(path.clone()),
        }),
        (Some(_), _) => {
            return Err(Error::Usage(
                "merge takes --base FILE or --base auto (backup and none need a pool); \
                 drop --base for a two-way merge"
                    .into(),
            ));
        }
    };
    if let Some(base) = &base {
        eprintln!("base: {}", base.origin);
    }
    let base = base.and_then(|b| b.template);
    let merged = merge::merge3(base.as_ref(), &default, &current, args.strategy.into());
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    for kept in &merged.kept_out {
        eprintln!("kept out: {kept}");
    }
    if !merged.kept_out.is_empty() {
        eprintln!("kept out: {}", merge::HOW_TO_TAKE);
    }
    print_json(&merged.template)
}
