//! The one way poolsync writes templates, for `update` and `rollback` alike: re-read the
//! pools and stop on a concurrent change, back each up, PATCH, read them back and confirm the
//! server holds what was sent.
//!
//! A chunk of pools shares one re-read and one read-back request (`POST /work_pools/filter`
//! by name; a single pool uses `GET /work_pools/{name}`), so a batch costs about one request
//! per pool. The API has no ETag or conditional update, so a window remains between the
//! re-read and each PATCH (one round trip plus the chunk's other PATCHes ahead of it) in
//! which another writer's change would be overwritten; the backup written just before the
//! PATCH holds the state that was replaced.

use super::outcome::{Outcome, Report};
use super::signals::Stop;
use super::update::Pending;
use crate::api::{Client, WorkPool};
use crate::backup::{self, Backup};
use crate::error::{Error, Result};
use futures::{StreamExt, stream};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes through one client, with backups in one folder.
#[derive(Debug, Clone, Copy)]
pub struct SafeWrite<'a> {
    client: &'a Client,
    backups: Option<&'a Path>,
    /// PATCHes of one chunk in flight at once (the client's write limit applies too).
    concurrency: usize,
}

/// A pool past its conflict check and backup, about to be PATCHed.
struct Ready {
    pending: Pending,
    backup: PathBuf,
}

impl<'a> SafeWrite<'a> {
    /// A writer; `backups` is where each pool's backup goes before its PATCH.
    pub fn new(client: &'a Client, backups: Option<&'a Path>, concurrency: usize) -> Self {
        SafeWrite {
            client,
            backups,
            concurrency: concurrency.max(1),
        }
    }

    /// Writes every pool of `chunk`; returns one final report per pool. Once `stop` is set,
    /// no further PATCH starts: the pools not yet sent end `skipped`, nothing written.
    pub async fn chunk(&self, chunk: Vec<Pending>, stop: &Stop) -> Vec<Report> {
        let names: Vec<String> = chunk.iter().map(|p| p.pool.name.clone()).collect();
        let fresh = match self.read(&names).await {
            Ok(fresh) => fresh,
            Err(e) => return fail_all(chunk, e),
        };
        let mut reports = Vec::new();
        let mut ready = Vec::new();
        for pending in chunk {
            match self.check_and_back_up(&pending, fresh.get(&pending.pool.name)) {
                Ok(backup) => ready.push(Ready { pending, backup }),
                Err(e) => reports.push(pending.report.fail(e)),
            }
        }
        let sent: Vec<(Ready, Result<()>)> = stream::iter(ready)
            .map(|ready| async move {
                if let Some(signal) = stop.signal() {
                    return (ready, Err(Error::Interrupted { signal }));
                }
                let result = self
                    .client
                    .update_template(&ready.pending.pool.name, ready.pending.template())
                    .await;
                (ready, result)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut check = Vec::new();
        for (ready, result) in sent {
            match result {
                Err(e) if !may_have_landed(&e) => reports.push(ready.pending.report.fail(e)),
                result => check.push((ready, result)),
            }
        }
        let names: Vec<String> = check
            .iter()
            .map(|(r, _)| r.pending.pool.name.clone())
            .collect();
        let stored = match names.is_empty() {
            true => Ok(HashMap::new()),
            false => self.read(&names).await,
        };
        match stored {
            Ok(stored) => reports.extend(check.into_iter().map(|(ready, sent)| {
                let held = stored.get(&ready.pending.pool.name);
                confirm(ready, sent, held.map(|p| &p.base_job_template))
            })),
            Err(e) => reports.extend(fail_all(check.into_iter().map(|(r, _)| r.pending), e)),
        }
        reports
    }

    /// The conflict check against the fresh read, then the backup; returns the backup's path.
    fn check_and_back_up(&self, pending: &Pending, fresh: Option<&WorkPool>) -> Result<PathBuf> {
        let read = &pending.pool;
        let Some(fresh) = fresh else {
            return Err(Error::PoolNotFound {
                pool: read.name.clone(),
                url: self.client.base_url().to_string(),
            });
        };
        if fresh.updated != read.updated || fresh.base_job_template != read.base_job_template {
            let what = match (&read.updated, &fresh.updated) {
                (Some(before), Some(after)) if before != after => {
                    format!("updated {before} -> {after}")
                }
                _ => "its base job template changed".to_string(),
            };
            return Err(Error::Conflict {
                pool: read.name.clone(),
                what,
            });
        }
        let dir = self.backups.ok_or(Error::NoBackupDir)?;
        let pool = serde_json::to_value(fresh).unwrap_or(Value::Null);
        let record = &pending.record;
        let mut backup = Backup::new(self.client.base_url(), pool, record.kind);
        backup.default = record.default.as_deref().cloned();
        backup.base = record.base.clone();
        backup.base_source = record.base_source.clone();
        backup.restored = record.restored.clone();
        backup.merged = Some(pending.template().clone());
        backup::write(dir, &backup)
    }

    /// The pools named, in one request: `GET` for one name, a filter by names for more.
    async fn read(&self, names: &[String]) -> Result<HashMap<String, WorkPool>> {
        let pools = match names {
            [name] => match self.client.read_pool(name).await {
                Ok(pool) => vec![pool],
                Err(Error::PoolNotFound { .. }) => Vec::new(),
                Err(e) => return Err(e),
            },
            _ => self.client.read_pools(names).await?,
        };
        Ok(pools.into_iter().map(|p| (p.name.clone(), p)).collect())
    }
}

/// The verdict on one written pool, from what the server holds now. A write the server
/// holds is marked confirmed in its backup: only then does the default it merged become the
/// pool's next three-way base. A write that failed, was refused or did not hold leaves its
/// backup unconfirmed, so no base changes.
fn confirm(ready: Ready, sent: Result<()>, held: Option<&Value>) -> Report {
    let Ready { pending, backup } = ready;
    if held != Some(pending.template()) {
        return match sent {
            Err(e) => pending.report.fail(e),
            Ok(()) => {
                let difference = match held {
                    Some(stored) => crate::diff::json_patch(pending.template(), stored).to_string(),
                    None => "the pool is gone".to_string(),
                };
                let pool = pending.pool.name.clone();
                pending.report.fail(Error::Verify {
                    pool,
                    difference,
                    backup,
                })
            }
        };
    }
    let mut notes = Vec::new();
    if let Err(e) = sent {
        notes.push(format!(
            "the server answered an error ({e}) but holds the new template"
        ));
    }
    if let Err(e) = backup::confirm(&backup) {
        // The write landed; only its use as the next base is lost.
        notes.push(format!(
            "its backup could not be marked confirmed ({e}); the next run merges from an older base"
        ));
    }
    let mut report = pending.report.end(Outcome::Updated);
    report.note = (!notes.is_empty()).then(|| notes.join("; "));
    report
}

/// Whether a failed PATCH may still have been applied (a 5xx, a lost connection): such a
/// pool is read back before it is called failed.
fn may_have_landed(error: &Error) -> bool {
    match error {
        Error::Status { status, .. } => *status >= 500,
        Error::Transport { .. } => true,
        _ => false,
    }
}

/// Every pool ends with the same error (the chunk's shared request failed).
fn fail_all(pending: impl IntoIterator<Item = Pending>, error: Error) -> Vec<Report> {
    let shared = Arc::new(error);
    pending
        .into_iter()
        .map(|p| p.report.fail(Error::Shared(Arc::clone(&shared))))
        .collect()
}
