//! One runner per subcommand. Runners are async where they talk to the API and return the
//! process exit code; rendering of errors is left to `main`.

pub mod backups;
pub mod batch;
pub mod deployments;
pub mod output;
pub mod push;
pub mod rollback;
pub mod trust;
pub mod update;

use crate::api::Client;
use crate::cli::{
    Cli, ColorChoice, Command, DefaultArgs, MergeArgs, OutputFormat, UpdateArgs, ValidateArgs,
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
        Command::Default(args) => default(&cli.connection, &args).await,
        Command::Merge(args) => merge_files(&args),
        Command::Validate(args) => validate(&cli.connection, &args).await,
        Command::Schema => print_json(&identity::schema()),
        Command::TrustPolicy(args) => trust::run(&args),
        Command::Rollback(args) => rollback::run(client(&cli.connection)?, &args, color).await,
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
    ctx.base = match (&args.base, args.no_base) {
        (Some(path), _) => update::Base::Given(input::read_template(path)?),
        (None, true) => update::Base::Off,
        (None, false) => update::Base::FromBackup,
    };
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

fn merge_files(args: &MergeArgs) -> Result<u8> {
    if args.default.as_os_str() == "-" && args.current.as_os_str() == "-" {
        return Err(Error::Usage(
            "only one of --default and --current can read stdin (-)".into(),
        ));
    }
    let default = input::read_template(&args.default)?;
    let current = input::read_template(&args.current)?;
    let merged = merge::merge(&default, &current, args.strategy);
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
