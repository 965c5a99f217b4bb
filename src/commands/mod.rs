//! One runner per subcommand. Runners are async where they talk to the API and return the
//! process exit code; rendering of errors is left to `main`.

pub mod batch;
pub mod deployments;
pub mod explain;
pub mod history;
pub mod output;
pub mod push;
pub mod rollback;
pub mod trust;
pub mod update;

use crate::api::Client;
use crate::cli::{
    BaseArg, Cli, ColorChoice, Command, DefaultArgs, MergeArgs, OutputFormat, UpdateArgs,
    ValidateArgs,
};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::violation::Violation;
use crate::{exit, identity, input, merge, template};
use std::io::IsTerminal;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<u8> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    match cli.command {
        Command::Update(args) => update(&cli.connection, &args, color).await,
        Command::Default(args) if args.history || args.release.is_some() => history::run(&args),
        Command::Default(args) => default(&cli.connection, &args).await,
        Command::Explain(args) => explain::run(&cli.connection, &args, color).await,
        Command::Merge(args) => merge_files(&args),
        Command::Validate(args) => validate(&cli.connection, &args).await,
        Command::Schema => print_json(&identity::schema()),
        Command::TrustPolicy(args) => trust::run(&args),
        Command::Rollback(args) => rollback::run(client(&cli.connection)?, &args, color).await,
        Command::Backups(args) => rollback::list(&args),
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
    let batch = args.all || args.pools.len() > 1;
    if batch && args.output == OutputFormat::JsonPatch {
        return Err(Error::Usage(
            "--output json-patch works for one pool; use --output json for batches".into(),
        ));
    }
    if args.detailed_exitcode && !args.dry_run {
        return Err(Error::Usage(
            "--detailed-exitcode only applies to --dry-run; add --dry-run".into(),
        ));
    }
    if args.all && args.template.is_some() && args.types.len() != 1 {
        return Err(Error::Usage(
            "--template with --all needs exactly one --type, so one template is not merged into pools of other types".into(),
        ));
    }
    let template = args
        .template
        .as_deref()
        .map(input::read_template)
        .transpose()?;
    let backup_dir = args.backup_dir.clone().or_else(crate::backup::default_dir);
    let mut ctx = update::Context::new(
        client(connection)?,
        template,
        args.strategy,
        args.dry_run,
        backup_dir,
    );
    ctx.check_deployments = args.check_deployments;
    ctx.base = base_source(args.base.as_ref(), args.no_base)?;
    let progress = batch && std::io::stderr().is_terminal();
    let printer = output::Printer::new(args.output, color, progress);
    batch::run(args, ctx, printer).await
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

/// `--base` (and `--no-base`) as the merge's [`update::Base`], reading a FILE.
pub(crate) fn base_source(base: Option<&BaseArg>, no_base: bool) -> Result<update::Base> {
    Ok(match (base, no_base) {
        (_, true) | (Some(BaseArg::None), _) => update::Base::Off,
        (None | Some(BaseArg::Auto), false) => update::Base::Auto,
        (Some(BaseArg::Backup), false) => update::Base::Backup,
        (Some(BaseArg::File(path)), false) => update::Base::File {
            path: path.clone(),
            template: input::read_template(path)?,
        },
    })
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
        (Some(BaseArg::Auto), Some(pool_type)) => {
            let choice = crate::history::infer(crate::history::embedded()?, pool_type, &current);
            Some(choice)
        }
        (Some(BaseArg::Auto), None) => {
            return Err(Error::Usage(
                "--base auto needs --type TYPE, the pool type whose released defaults to search"
                    .into(),
            ));
        }
        (Some(BaseArg::File(path)), _) => Some(crate::history::BaseChoice {
            template: Some(input::read_template(path)?),
            origin: crate::history::Origin::File(path.clone()),
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
    let merged = merge::merge3(base.as_ref(), &default, &current, args.strategy);
    for warning in &merged.warnings {
        eprintln!("warning: {}: {}", warning.pointer, warning.message);
    }
    print_json(&merged.template)
}

async fn validate(connection: &crate::cli::ConnectionArgs, args: &ValidateArgs) -> Result<u8> {
    let (subject, template) = match (&args.file, &args.pool) {
        (Some(file), _) => (file.display().to_string(), input::read_template(file)?),
        (None, Some(pool)) => {
            let client = client(connection)?;
            let pool = client.read_pool(pool).await?;
            let template = pool.base_job_template;
            let mut violations = template::check(&template);
            violations.extend(identity::check_template(&template));
            if args.deployments {
                violations.extend(deployments::check(&client, &pool.name).await?);
            }
            return finish_validate(format!("work pool {:?}", pool.name), violations);
        }
        (None, None) => return Err(Error::Usage("give a POOL or --file FILE".into())),
    };
    let mut violations: Vec<Violation> = template::check(&template);
    violations.extend(identity::check_template(&template));
    finish_validate(subject, violations)
}

fn finish_validate(subject: String, violations: Vec<Violation>) -> Result<u8> {
    if !violations.is_empty() {
        return Err(Error::Invalid {
            blocked: false,
            subject: format!("the template of {subject}"),
            violations,
        });
    }
    println!("{subject}: valid");
    Ok(exit::SUCCESS)
}
