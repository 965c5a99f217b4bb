//! `poolsync validate --output markdown`: one row per pool or file (valid, invalid, or
//! unreadable) and a section listing each invalid one's problems. Exits 1 when any is not
//! valid, after printing the whole report.

use crate::cli::{ConnectionArgs, ValidateArgs};
use crate::commands::connect::client;
use crate::commands::deployments;
use crate::commands::markdown::{broken_deployments, print};
use crate::error::{Error, Result};
use crate::markdown::{self, Document, Entry, Notes};
use crate::{exit, input};
use poolsync_engine::checks;
use poolsync_engine::finding::Finding;

/// Checks the pool or the files and prints the Markdown report.
pub(super) async fn run(connection: &ConnectionArgs, args: &ValidateArgs) -> Result<u8> {
    let mut entries = Vec::new();
    match (args.file.as_slice(), &args.target.pool) {
        ([], Some(name)) => {
            let client = client(connection)?;
            let pool = client.read_pool(name).await?;
            let mut violations = checks::before_write(&pool.base_job_template);
            let mut broken = None;
            if args.deployments {
                let found = deployments::Store::default()
                    .of(&client, &pool.name)
                    .await?;
                let mut errors = deployments::identity(&found);
                let checked = deployments::check(
                    &pool.base_job_template,
                    &found,
                    poolsync_engine::job_variables::Options::default(),
                );
                errors.extend(
                    checked
                        .findings
                        .iter()
                        .filter(|f| f.severity == poolsync_engine::job_variables::Severity::Error)
                        .map(|f| f.violation()),
                );
                broken = Some(broken_deployments(&errors));
                violations.extend(errors);
            }
            entries.push(checked(&pool.name, &pool.pool_type, violations, broken));
        }
        ([], None) => return Err(Error::Usage("give a POOL or --file FILE".into())),
        (files, _) => {
            for file in files {
                let name = file.display().to_string();
                entries.push(match input::read_template(file) {
                    Ok(template) => checked(&name, "", checks::before_write(&template), None),
                    Err(error) => Entry {
                        pool: name,
                        outcome: "unreadable".into(),
                        attention: true,
                        notes: Notes::of("Error", vec![error.to_string()])
                            .into_iter()
                            .collect(),
                        ..Entry::default()
                    },
                });
            }
        }
    }
    let bad = entries.iter().filter(|e| e.attention).count();
    let total = entries.len();
    print(&markdown::render(&Document {
        title: "poolsync validate".into(),
        summary: format!(
            "{total} template{}: {} valid, {bad} not valid",
            if total == 1 { "" } else { "s" },
            total - bad
        ),
        deployments_checked: args.deployments,
        entries,
        whole_report: "rerun with --output text for every problem".into(),
    }))?;
    if bad > 0 {
        eprintln!("error: {bad} of {total} templates failed validation; see the report");
        return Ok(exit::ERROR);
    }
    Ok(exit::SUCCESS)
}

/// The row of a template that was read and checked.
fn checked(name: &str, pool_type: &str, violations: Vec<Finding>, broken: Option<usize>) -> Entry {
    Entry {
        pool: name.into(),
        pool_type: pool_type.into(),
        outcome: if violations.is_empty() {
            "valid"
        } else {
            "invalid"
        }
        .into(),
        attention: !violations.is_empty(),
        deployments_broken: broken,
        notes: Notes::of(
            "Problems",
            violations.iter().map(ToString::to_string).collect(),
        )
        .into_iter()
        .collect(),
        ..Entry::default()
    }
}
