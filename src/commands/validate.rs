//! `poolsync validate`: a pool's stored template (and, with `--deployments`, every deployment
//! on it), template files, or offline the deployments of prefect.yaml files against a
//! template file.

mod markdown;

use super::deployments::{self, Checked, Named, Store};
use crate::cli::{ConnectionArgs, ValidateArgs};
use crate::error::{Error, Result};
use crate::{exit, input};
use poolsync_engine::checks;
use poolsync_engine::display::escape;
use poolsync_engine::finding::Finding;
use poolsync_engine::job_variables::{Options, Severity};
use poolsync_engine::prefect_yaml;
use std::collections::BTreeSet;
use std::path::Path;

/// Runs `validate`; returns the exit code (an invalid input is an error for main to render).
pub(super) async fn run(connection: &ConnectionArgs, args: &ValidateArgs) -> Result<u8> {
    if args.output == crate::cli::ReportFormat::Markdown {
        return markdown::run(connection, args).await;
    }
    match (args.file.as_slice(), &args.target.pool) {
        ([], Some(pool)) => pool_check(connection, pool, args.deployments).await,
        ([], None) => Err(Error::Usage("give a POOL or --file FILE".into())),
        ([file], _) if !args.prefect_yaml.is_empty() => {
            offline(file, &args.prefect_yaml, args.deployment_pool.as_deref())
        }
        (_, _) if !args.prefect_yaml.is_empty() => Err(Error::Usage(
            "--prefect-yaml checks deployments against one template: give one --file".into(),
        )),
        ([file], _) => validate_file(file),
        (files, _) => {
            // Every file is checked and reported; the run fails if any did.
            let mut failed = 0;
            for file in files {
                if let Err(error) = validate_file(file) {
                    eprintln!("error: {}", error.shown());
                    failed += 1;
                }
            }
            match failed {
                0 => Ok(exit::SUCCESS),
                failed => Err(Error::FilesFailed {
                    check: "validation",
                    failed,
                    total: files.len(),
                }),
            }
        }
    }
}

/// A pool's stored template, and with `deployments` each deployment on it.
async fn pool_check(connection: &ConnectionArgs, name: &str, deployments: bool) -> Result<u8> {
    let client = super::connect::client(connection)?;
    let pool = client.read_pool(name).await?;
    let mut violations = checks::before_write(&pool.base_job_template);
    if deployments {
        let found = Store::default().of(&client, &pool.name).await?;
        violations.extend(deployments::identity(&found));
        let checked = deployments::check(&pool.base_job_template, &found, Options::default());
        violations.extend(report(&checked));
    }
    let name = format!("work pool {:?}", pool.name);
    let subject = match deployments {
        true => format!("the template of {name} or a deployment on it"),
        false => format!("the template of {name}"),
    };
    finish(&subject, &name, violations)
}

/// Prints the warnings and the counts; returns the errors, as violations naming the deployment.
fn report(checked: &Checked) -> Vec<Finding> {
    let mut errors = Vec::new();
    for found in &checked.findings {
        match found.severity {
            Severity::Warning => println!("{}", escape(&found.to_string())),
            Severity::Error => errors.push(found.violation()),
        }
    }
    println!("deployments: {}", checked.counts());
    errors
}

/// Offline: the deployments of each prefect.yaml against the template `file`.
fn offline(file: &Path, files: &[std::path::PathBuf], pool: Option<&str>) -> Result<u8> {
    let template = input::read_template(file)?;
    let mut violations = checks::before_write(&template);
    for path in files {
        let found = deployments_in(path, pool)?;
        violations.extend(deployments::identity(&found));
        let options = Options {
            templated_unknown: true,
        };
        violations.extend(report(&deployments::check(&template, &found, options)));
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let names = names.join(", ");
    let subject = format!(
        "{names} (its deployments checked against {})",
        file.display()
    );
    finish(&subject, &subject, violations)
}

/// The deployments of the prefect.yaml at `path` on `pool` (every one when the file uses
/// only one pool).
fn deployments_in(path: &Path, pool: Option<&str>) -> Result<Vec<Named>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    let found = prefect_yaml::deployments(&text).map_err(|message| Error::PrefectYaml {
        path: path.to_path_buf(),
        message,
    })?;
    let pools: BTreeSet<&str> = found.iter().map(|d| d.pool.as_str()).collect();
    if pool.is_none() && pools.len() > 1 {
        return Err(Error::Usage(format!(
            "the deployments of {} run on work pools {}; pick the one --file is the template \
             of with --pool NAME",
            path.display(),
            pools
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(found
        .into_iter()
        .filter(|d| pool.is_none_or(|p| d.pool == p))
        .map(|d| Named {
            id: format!("{} deployments[{}]", path.display(), d.index),
            name: d.name,
            flow: None,
            job_variables: d.job_variables,
        })
        .collect())
}

fn validate_file(file: &Path) -> Result<u8> {
    let template = input::read_template(file)?;
    let name = file.display().to_string();
    let subject = format!("the template of {name}");
    finish(&subject, &name, checks::before_write(&template))
}

/// Fails with every violation of `subject`, else prints that `name` is valid.
fn finish(subject: &str, name: &str, violations: Vec<Finding>) -> Result<u8> {
    if !violations.is_empty() {
        return Err(Error::Invalid {
            blocked: false,
            subject: subject.to_string(),
            violations,
        });
    }
    println!("{name}: valid");
    Ok(exit::SUCCESS)
}
