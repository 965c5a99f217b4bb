//! `poolsync rollback`: restore a pool's template from a backup, through the same checks
//! and safe write as `update`. It refuses ([`Error::Refused`], exit 4) a backup of another
//! pool or server, a pool deleted and created again under the name (another id), and one
//! changed after poolsync's last write unless `--force`; repeated
//! `--latest` (or `--steps N`) walks back through the pool's update backups.

use super::connect;
use super::signals::Stop;
use super::write::{Pending, Record, SafeWrite};
use crate::api::{Client, WorkPool};
use crate::backup::{self, Backup, Entry, WriteKind};
use crate::cli::{ConnectionArgs, RollbackArgs};
use crate::error::{Error, Result};
use crate::exit;
use poolsync_engine::diff;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Runs `rollback`; returns the exit code.
pub(super) async fn run(
    connection: &ConnectionArgs,
    args: &RollbackArgs,
    color: bool,
) -> Result<u8> {
    let client = connect::client(connection)?;
    let dir = backup::dir_or_default(args.backups.backup_dir.as_deref())?;
    let pool = client.read_pool(&args.pool).await?;
    let history = backup::readable(&dir, client.base_url(), &args.pool)?;
    let (path, saved) = match &args.to {
        Some(path) => (path.clone(), backup::read(path)?),
        None => walk_back(
            &history,
            pool_id(&pool),
            usize::from(args.steps.unwrap_or(1)),
            &pool.base_job_template,
        )
        .ok_or_else(|| no_backup(args, &client, &dir, &history, pool_id(&pool)))?,
    };
    same_pool(&path, &saved, &pool, &client)?;
    let target = saved.template().cloned().unwrap_or_default();
    let violations = poolsync_engine::checks::before_write(&target);
    if !violations.is_empty() {
        return Err(Error::Invalid {
            blocked: true,
            subject: format!("the template in {}", path.display()),
            violations,
        });
    }
    let label = |what: &str| format!("{} ({what})", args.pool);
    if let Some(written) = last_write(&history, pool_id(&pool), &pool.base_job_template)
        && written != &pool.base_job_template
    {
        eprint!(
            "{}",
            diff::unified(
                written,
                &pool.base_job_template,
                &label("poolsync's last write"),
                &label("current"),
                color
            )
        );
        if !args.force {
            return Err(Error::Refused(format!(
                "work pool {:?} was changed after poolsync's last write (the edits are shown above); \
                 a rollback would lose them; pass --force to roll back anyway",
                args.pool
            )));
        }
        eprintln!("warning: --force: the edits above are replaced by the backup");
    }
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
        // The base that belongs to the restored template is the one its write started from.
        record: Record {
            kind: WriteKind::Rollback,
            default: None,
            base: saved.base.clone().map(std::sync::Arc::new),
            base_origin: saved.base_origin.clone(),
            restored: Some(saved.created.clone()),
        },
        carried: target,
        // Read before the diff was shown (and perhaps confirmed): re-read before the PATCH.
        read_by: None,
    };
    let writer = SafeWrite::new(&client, Some(&dir), 1);
    let written = writer.chunk(vec![pending], &Stop::default()).await.pop();
    match written.map(|w| w.result) {
        Some(Ok(())) => {
            println!("{}: rolled back to {}", args.pool, path.display());
            Ok(exit::SUCCESS)
        }
        Some(Err(error)) => Err(error),
        None => Err(Error::Usage(format!(
            "rollback of work pool {:?} ended without an answer; check it with `prefect work-pool inspect`",
            args.pool
        ))),
    }
}

fn pool_id(pool: &WorkPool) -> Option<&str> {
    pool.rest.get("id").and_then(Value::as_str)
}

/// The update backup `steps` writes back from where the pool stands: from the newest, or,
/// when the newest backup is a rollback, from the one just older than the backup it restored.
/// Only backups of this pool id whose writes landed count (see [`landed`]): a failed update
/// or rollback is no step.
fn walk_back(
    history: &[(Entry, Backup)],
    id: Option<&str>,
    steps: usize,
    current: &Value,
) -> Option<(PathBuf, Backup)> {
    let ours = landed(history, id, current);
    let updates: Vec<&(Entry, Backup)> = ours
        .iter()
        .copied()
        .filter(|(_, b)| b.kind == WriteKind::Update)
        .collect();
    let start = match ours.first() {
        Some((_, newest)) if newest.kind == WriteKind::Rollback => {
            let restored = newest.restored.as_deref()?;
            updates.iter().position(|(_, b)| b.created == restored)? + 1
        }
        _ => 0,
    };
    updates
        .get(start + steps - 1)
        .map(|(entry, backup)| (entry.path.clone(), backup.clone()))
}

/// This pool's backups (newest first) whose writes landed: those confirmed, and one not
/// confirmed (its read-back failed) that holds what the pool holds now, when no landed write
/// is newer. A write that failed (a 422, nothing written) or was never sent is left out.
fn landed<'a>(
    history: &'a [(Entry, Backup)],
    id: Option<&str>,
    current: &Value,
) -> Vec<&'a (Entry, Backup)> {
    let mut found: Vec<&(Entry, Backup)> = Vec::new();
    for item in history {
        let backup = &item.1;
        if !(id.is_none() || backup.pool_id().is_none() || backup.pool_id() == id) {
            continue;
        }
        let holds_now = found.is_empty() && backup.merged.as_ref() == Some(current);
        if backup.confirmed || holds_now {
            found.push(item);
        }
    }
    found
}

/// What poolsync last wrote to this pool and the server holds (or held: see [`landed`]).
fn last_write<'a>(
    history: &'a [(Entry, Backup)],
    id: Option<&str>,
    current: &Value,
) -> Option<&'a Value> {
    landed(history, id, current)
        .into_iter()
        .find(|(_, b)| b.pool_id() == id)
        .and_then(|(_, b)| b.merged.as_ref())
}

/// The backup must be of this very pool: same name, same server, same id.
fn same_pool(path: &Path, saved: &Backup, pool: &WorkPool, client: &Client) -> Result<()> {
    if saved.pool_name() != Some(pool.name.as_str()) {
        return Err(Error::Refused(format!(
            "{} is a backup of work pool {:?}, not {:?}",
            path.display(),
            saved.pool_name().unwrap_or("?"),
            pool.name
        )));
    }
    if backup::server_key(&saved.api_url) != backup::server_key(client.base_url()) {
        return Err(Error::Refused(format!(
            "{} was taken from {}, not {}; point --api-url at that server",
            path.display(),
            saved.api_url,
            client.base_url()
        )));
    }
    // A backup written before ids were recorded cannot tell; one with an id must match.
    if let (Some(saved_id), Some(id)) = (saved.pool_id(), pool_id(pool))
        && saved_id != id
    {
        return Err(Error::Refused(format!(
            "{} is of an earlier work pool {:?} (id {saved_id}); the pool on the server now has \
             id {id} (it was deleted and created again), so nothing was written; restore its \
             template by hand if you mean to",
            path.display(),
            pool.name,
        )));
    }
    Ok(())
}

fn no_backup(
    args: &RollbackArgs,
    client: &Client,
    dir: &Path,
    history: &[(Entry, Backup)],
    id: Option<&str>,
) -> Error {
    let earlier = history
        .iter()
        .filter_map(|(_, b)| b.pool_id())
        .find(|other| Some(*other) != id);
    if let (Some(earlier), true) = (earlier, history.iter().all(|(_, b)| b.pool_id() != id)) {
        return Error::Refused(format!(
            "the backups of work pool {:?} are of an earlier pool of that name (id {earlier}); \
             the pool on the server now has id {} (it was deleted and created again), so \
             nothing was written; restore its template by hand if you mean to",
            args.pool,
            id.unwrap_or("?")
        ));
    }
    let what = match history.is_empty() {
        true => "no backup",
        false => "no earlier update backup",
    };
    Error::Usage(format!(
        "{what} of work pool {:?} from {} under {}; list them with `poolsync backups {}`",
        args.pool,
        client.base_url(),
        dir.display(),
        args.pool
    ))
}

#[cfg(test)]
mod tests;
