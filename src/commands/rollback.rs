//! `poolsync rollback` and `poolsync backups`: restore a pool's template from a backup,
//! through the same checks and safe write as `update`; list what backups exist.

use super::outcome::{Outcome, Report};
use super::signals::Stop;
use super::update::Pending;
use super::write::SafeWrite;
use crate::api::Client;
use crate::backup::{self, Backup};
use crate::cli::{BackupsArgs, RollbackArgs};
use crate::error::{Error, Result};
use crate::{diff, exit};
use std::path::PathBuf;

fn backup_dir(flag: &Option<PathBuf>) -> Result<PathBuf> {
    flag.clone()
        .or_else(backup::default_dir)
        .ok_or(Error::NoBackupDir)
}

/// Runs `rollback`; returns the exit code.
pub async fn run(client: Client, args: &RollbackArgs, color: bool) -> Result<u8> {
    let dir = backup_dir(&args.backup_dir)?;
    let path = match &args.to {
        Some(path) => path.clone(),
        None => match backup::latest(&dir, client.base_url(), &args.pool)? {
            Some(entry) => entry.path,
            None => {
                return Err(Error::Usage(format!(
                    "no backup of work pool {:?} from {} under {}; list them with `poolsync backups`",
                    args.pool,
                    client.base_url(),
                    dir.display()
                )));
            }
        },
    };
    let saved: Backup = backup::read(&path)?;
    if saved.pool_name() != Some(args.pool.as_str()) {
        return Err(Error::Usage(format!(
            "{} is a backup of work pool {:?}, not {:?}",
            path.display(),
            saved.pool_name().unwrap_or("?"),
            args.pool
        )));
    }
    if backup::server_key(&saved.api_url) != backup::server_key(client.base_url()) {
        return Err(Error::Usage(format!(
            "{} was taken from {}, not {}; point --api-url at that server",
            path.display(),
            saved.api_url,
            client.base_url()
        )));
    }
    let target = saved.template().cloned().unwrap_or_default();
    let violations = super::checks::before_write(&target);
    if !violations.is_empty() {
        return Err(Error::Invalid {
            blocked: true,
            subject: format!("the template in {}", path.display()),
            violations,
        });
    }

    let pool = client.read_pool(&args.pool).await?;
    let label = |what: &str| format!("{} ({what})", args.pool);
    print!(
        "{}",
        diff::unified(
            &pool.base_job_template,
            &target,
            &label("current"),
            &label("backup"),
            color
        )
    );
    if pool.base_job_template == target {
        println!(
            "{}: already matches {}, nothing sent",
            args.pool,
            path.display()
        );
        return Ok(exit::SUCCESS);
    }
    if args.dry_run {
        println!(
            "{}: would roll back to {} (dry run, nothing sent)",
            args.pool,
            path.display()
        );
        return Ok(exit::SUCCESS);
    }
    let pending = Pending {
        pool,
        template: target,
        default: saved.default.clone(),
        report: Report::new(&args.pool),
    };
    let writer = SafeWrite::new(&client, Some(&dir), 1);
    let mut reports = writer.chunk(vec![pending], &Stop::default()).await;
    match reports.pop() {
        Some(report) if report.outcome == Outcome::Updated => {
            println!("{}: rolled back to {}", args.pool, path.display());
            Ok(exit::SUCCESS)
        }
        Some(Report {
            error: Some(error), ..
        }) => Err(error),
        _ => Err(Error::Usage(format!(
            "rollback of work pool {:?} ended without an answer; check it with `prefect work-pool inspect`",
            args.pool
        ))),
    }
}

/// Runs `backups`: one line per backup file, oldest first.
pub fn list(args: &BackupsArgs) -> Result<u8> {
    let dir = backup_dir(&args.backup_dir)?;
    let entries = backup::list(&dir, None, args.pool.as_deref())?;
    if entries.is_empty() {
        eprintln!("no backups under {}", dir.display());
        return Ok(exit::SUCCESS);
    }
    let width = |f: fn(&backup::Entry) -> usize| entries.iter().map(f).max().unwrap_or(0);
    let (ws, wp) = (
        width(|e| e.server.len()).max(6),
        width(|e| e.pool.len()).max(4),
    );
    println!("{:ws$}  {:wp$}  {:27}  FILE", "SERVER", "POOL", "TIME");
    for e in &entries {
        println!(
            "{:ws$}  {:wp$}  {:27}  {}",
            e.server,
            e.pool,
            e.stamp,
            e.path.display()
        );
    }
    Ok(exit::SUCCESS)
}
