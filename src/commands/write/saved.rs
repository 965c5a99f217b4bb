//! Each pool's backup in the safe write: written before its PATCH from the read its merge
//! used, written again when a re-read finds the pool moved in a way the conflict check
//! allows, marked confirmed once a read-back sees the write. The disk work of a round runs
//! off the runtime's thread ([`off_thread`]), so no PATCH or answer in flight waits on a
//! backup.

use super::item::{Item, Saved};
use super::{Carried, Pending, Written};
use crate::api::WorkPool;
use crate::backup::{self, Draft};
use crate::error::{Error, Result};
use std::path::PathBuf;

/// A pool on its way into the safe write.
pub(super) enum Shelved<T> {
    /// Backed up: it joins the next round.
    Ready(Box<Item<T>>),
    /// Its backup failed: it ends here.
    Ended(Written<T>),
}

/// Where one run's backups go, and the server they belong to.
#[derive(Debug, Clone)]
pub(super) struct Shelf {
    /// The backup folder (`None`: `--backup-dir` could not be resolved; nothing is written).
    pub(super) dir: Option<PathBuf>,
    /// The API base URL each backup records.
    pub(super) base_url: String,
}

impl Shelf {
    /// Backs up each pool not backed up yet, from the read its merge used; a pool whose
    /// backup fails ends in `failed`.
    pub(super) fn back_up_all<T: Carried>(
        &self,
        items: Vec<Item<T>>,
        failed: &mut Vec<Written<T>>,
    ) -> Vec<Item<T>> {
        let mut kept = Vec::with_capacity(items.len());
        for mut item in items {
            if item.backup.is_some() {
                kept.push(item);
                continue;
            }
            match self.back_up(&mut item, None) {
                Ok(()) => kept.push(item),
                Err(e) => failed.push(item.pending.fail(e)),
            }
        }
        kept
    }

    /// Pools on their way into the safe write, each backed up as read ([`Shelf::shelve`]),
    /// in their order.
    pub(super) fn shelve_all<T: Carried>(&self, batch: Vec<Pending<T>>) -> Vec<Shelved<T>> {
        batch.into_iter().map(|p| self.shelve(p)).collect()
    }

    /// A pool on its way into the safe write, backed up as read; its end if that failed.
    fn shelve<T: Carried>(&self, pending: Pending<T>) -> Shelved<T> {
        let mut item = Item::new(pending);
        match self.back_up(&mut item, None) {
            Ok(()) => Shelved::Ready(Box::new(item)),
            Err(e) => Shelved::Ended(item.pending.fail(e)),
        }
    }

    /// Backs `item`'s pool up as `fresh` (`None`: as read), unless its backup already holds
    /// exactly that; a backup of an older read is replaced, so the one left holds what the
    /// PATCH replaces.
    pub(super) fn back_up<T: Carried>(
        &self,
        item: &mut Item<T>,
        fresh: Option<&WorkPool>,
    ) -> Result<()> {
        let dir = self.dir.as_deref().ok_or(Error::NoBackupDir)?;
        let pool = fresh.unwrap_or(&item.pending.pool);
        if item.backed_up_as(pool) {
            return Ok(());
        }
        let record = &item.pending.record;
        let draft = Draft {
            default: record.default.as_deref(),
            base: record.base.as_deref(),
            base_origin: record.base_origin.as_deref(),
            restored: record.restored.as_deref(),
            merged: Some(item.pending.template()),
            ..Draft::new(&self.base_url, pool, record.kind)
        };
        // Never a stand-in: a pool that cannot be serialised is not backed up, nor written.
        let path = backup::write_draft(dir, &pool.name, &draft)?;
        let moved = (pool != &item.pending.pool).then(|| pool.clone());
        if let Some(older) = item.backup.replace(Saved { path, moved }) {
            // An unconfirmed backup of the same template, one read older: no longer needed.
            let _ = std::fs::remove_file(older.path);
        }
        Ok(())
    }
}

/// Runs `work` on tokio's blocking pool when there is a runtime, else here (the model
/// tests' executor has none). A panic in `work` is resumed here.
pub(super) async fn off_thread<R, F>(work: F) -> R
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return work();
    };
    match handle.spawn_blocking(work).await {
        Ok(done) => done,
        // Only a panic, or a runtime shutting down under the run, ends a blocking task early.
        Err(e) => std::panic::resume_unwind(match e.try_into_panic() {
            Ok(panic) => panic,
            Err(e) => Box::new(e.to_string()),
        }),
    }
}
