//! `poolsync rollback`: restore a pool's template from a backup, through the same checks
//! and safe write as `update`.

use super::update::Context;
use crate::api::Client;
use crate::backup::{self, Backup};
use crate::cli::RollbackArgs;
use crate::error::{Error, Result};
use crate::merge::Strategy;
use crate::{diff, exit, template};
use std::path::PathBuf;

/// The backup folder: `--backup-dir`, else the default one.
pub(super) fn backup_dir(flag: &Option<PathBuf>) -> Result<PathBuf> {
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
    let violations = template::check(&target);
    if !violations.is_empty() {
        return Err(Error::Invalid {
            blocked: true,
            subject: format!("the template in {}", path.display()),
            violations,
        });
    }

    let ctx = Context::new(client, None, Strategy::Jq, args.dry_run, Some(dir));
    let pool = ctx.client.read_pool(&args.pool).await?;
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
    super::push::push(&ctx, &pool, &target, saved.default.as_ref()).await?;
    println!("{}: rolled back to {}", args.pool, path.display());
    Ok(exit::SUCCESS)
}
