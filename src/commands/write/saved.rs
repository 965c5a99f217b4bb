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
        mut items: Vec<Item<T>>,
        failed: &mut Vec<Written<T>>,
    ) -> Vec<Item<T>> {
        let written = self.back_up_each(items.iter_mut().map(|item| (item, None)), |item, _| {
            item.backup.is_some()
        });
        let mut kept = Vec::with_capacity(items.len());
        for (item, written) in items.into_iter().zip(written) {
            match written {
                Ok(()) => kept.push(item),
                Err(e) => failed.push(item.pending.fail(e)),
            }
        }
        kept
    }

    /// Pools on their way into the safe write, each backed up as read, in their order; a
    /// pool whose backup failed ends.
    pub(super) fn shelve_all<T: Carried>(&self, batch: Vec<Pending<T>>) -> Vec<Shelved<T>> {
        let mut items: Vec<Item<T>> = batch.into_iter().map(Item::new).collect();
        let written = self.back_up_each(
            items.iter_mut().map(|item| (item, None)),
            Item::backed_up_as,
        );
        items
            .into_iter()
            .zip(written)
            .map(|(item, written)| match written {
                Ok(()) => Shelved::Ready(Box::new(item)),
                Err(e) => Shelved::Ended(item.pending.fail(e)),
            })
            .collect()
    }

    /// Backs `item`'s pool up as `fresh` (`None`: as read), unless its backup already holds
    /// exactly that; a backup of an older read is replaced, so the one left holds what the
    /// PATCH replaces.
    pub(super) fn back_up<T: Carried>(
        &self,
        item: &mut Item<T>,
        fresh: Option<&WorkPool>,
    ) -> Result<()> {
        self.back_up_each([(item, fresh)], Item::backed_up_as)
            .into_iter()
            .collect()
    }

    /// Backs each pool of a batch up as its fresh read (`None`: as read), unless `kept` says
    /// its backup stands, the batch's fsyncs together ([`backup::write_staged`]); a backup
    /// of an older read is replaced. One result per pool, in order.
    fn back_up_each<'a, T: Carried + 'a>(
        &self,
        batch: impl IntoIterator<Item = (&'a mut Item<T>, Option<&'a WorkPool>)>,
        kept: impl Fn(&Item<T>, &WorkPool) -> bool,
    ) -> Vec<Result<()>> {
        let batch: Vec<_> = batch.into_iter().collect();
        let Some(dir) = self.dir.as_deref() else {
            return batch.iter().map(|_| Err(Error::NoBackupDir)).collect();
        };
        let staged = batch
            .iter()
            .map(|(item, fresh)| {
                let pool = fresh.unwrap_or(&item.pending.pool);
                if kept(item, pool) {
                    return Ok(None);
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
                // Never a stand-in: a pool that cannot be serialised is not backed up, nor
                // written.
                backup::stage(dir, &pool.name, &draft).map(Some)
            })
            .collect();
        let written = backup::write_staged(staged);
        batch
            .into_iter()
            .zip(written)
            .map(|((item, fresh), written)| {
                let Some(path) = written? else {
                    return Ok(());
                };
                let pool = fresh.unwrap_or(&item.pending.pool);
                let moved = (pool != &item.pending.pool).then(|| pool.clone());
                if let Some(older) = item.backup.replace(Saved { path, moved }) {
                    // An unconfirmed backup of the same template, one read older: no longer
                    // needed.
                    let _ = std::fs::remove_file(older.path);
                }
                Ok(())
            })
            .collect()
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
