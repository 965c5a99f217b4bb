//! The one way poolsync writes templates, for `update` and `rollback` alike: re-read the
//! pools and stop on a concurrent change, back each up, PATCH, read them back and confirm the
//! server holds what was sent.
//!
//! A chunk of pools shares one re-read and one read-back request (`POST /work_pools/filter`
//! by name; a single pool uses `GET /work_pools/{name}`), so a batch costs about one request
//! per pool. The API has no ETag or conditional update, so the conflict check holds for one
//! window: a PATCH leaves at most one round trip of its re-read (the re-read's own, at least
//! [`WINDOW_FLOOR`](crate::api::WINDOW_FLOOR), plus one pacing interval when paced) after
//! that re-read was answered. A PATCH that would leave later (it waited for a write slot,
//! the pace or a `429` pause) is not sent; a PATCH answered `429`, `503`, `502`, `408` or
//! lost is not re-sent by the client. Both come back here, wait out their backoff, and the
//! pools that waited share one fresh re-read: a change found there is a `conflict`, and the
//! backup is written again when the server's state moved, so it always holds what the
//! server held just before the PATCH that was sent.

mod item;
#[cfg(test)]
mod model;
mod pending;
mod remote;
mod verdict;

pub(crate) use pending::{Carried, Pending, Record, Written};
pub(crate) use remote::Remote;

use super::signals::Stop;
use crate::api::{Client, WorkPool, WriteAttempt};
use crate::backup::{self, Backup};
use crate::error::{Error, Result};
use futures::{StreamExt, stream};
use item::Item;
use std::path::Path;
use std::time::{Duration, Instant};
use verdict::may_have_landed;

/// Re-reads one pool may take because its PATCH could not leave in its window, before it
/// ends `failed` (other writes keep the slots or the pace: it should never come to this).
const MAX_LATE: u32 = 100;

/// Writes through one server, with backups in one folder.
#[derive(Debug)]
pub(crate) struct SafeWrite<'a, R = Client> {
    remote: &'a R,
    backups: Option<&'a Path>,
    /// PATCHes of one chunk in flight at once (the client's write limit applies too).
    concurrency: usize,
    /// Held by one chunk's round at a time (backups, re-read, PATCHes): chunks in flight
    /// overlap their waits and read-backs, but their PATCHes do not queue behind each
    /// other's write slots or backups past their window.
    turn: tokio::sync::Mutex<()>,
}

/// What the re-read says of one pool.
enum Judged<T> {
    /// Unchanged and backed up: send its PATCH.
    Ready(Item<T>),
    /// An earlier PATCH landed after all: read it back, with the error it was answered.
    Landed(Item<T>, Error),
    /// Changed, gone, or its backup failed.
    Ended(Written<T>),
}

impl<'a, R: Remote> SafeWrite<'a, R> {
    /// A writer; `backups` is where each pool's backup goes before its PATCH.
    pub(crate) fn new(remote: &'a R, backups: Option<&'a Path>, concurrency: usize) -> Self {
        SafeWrite {
            remote,
            backups,
            concurrency: concurrency.max(1),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Writes every pool of `chunk`; returns how each ended. Once `stop` is set,
    /// no further PATCH starts: the pools not yet sent end `skipped`, nothing written.
    ///
    /// Pools whose PATCH must be retried wait out the longest backoff of their rounds
    /// together, then share one re-read; pools that only could not leave in time go again
    /// at once.
    pub(crate) async fn chunk<T: Carried>(
        &self,
        chunk: Vec<Pending<T>>,
        stop: &Stop,
    ) -> Vec<Written<T>> {
        let mut ready: Vec<Item<T>> = chunk.into_iter().map(Item::new).collect();
        let (mut backing, mut due) = (Vec::new(), Instant::now());
        let mut ended = Done::default();
        loop {
            if ready.is_empty() {
                if backing.is_empty() {
                    break;
                }
                let wait = due.saturating_duration_since(Instant::now());
                let waited = match wait.is_zero() {
                    true => Ok(()),
                    false => self.remote.wait(wait).await,
                };
                ready = std::mem::take(&mut backing);
                if let Err(e) = waited
                    && stop.running()
                {
                    verdict::unread(ready, e, &mut ended.ends);
                    break;
                }
            }
            if let Some(signal) = stop.signal() {
                ready.append(&mut backing);
                verdict::interrupted(ready, signal, &mut ended);
                break;
            }
            let next = self
                .round(std::mem::take(&mut ready), stop, &mut ended)
                .await;
            if !next.backing.is_empty() {
                due = due.max(Instant::now() + next.wait);
            }
            backing.extend(next.backing);
            ready = next.now;
        }
        let Done { mut ends, sent } = ended;
        ends.extend(self.read_back(sent).await);
        ends
    }

    /// One round, with the turn held: the backups, one re-read, and the PATCHes of the pools
    /// that are unchanged. Returns the pools to try again.
    async fn round<T: Carried>(
        &self,
        items: Vec<Item<T>>,
        stop: &Stop,
        ended: &mut Done<T>,
    ) -> Next<T> {
        let turn = self.turn.lock().await;
        if let Some(signal) = stop.signal() {
            verdict::interrupted(items, signal, ended);
            return Next::default();
        }
        // Backed up before the re-read, from the read the merge used: the re-read then only
        // confirms the server still holds that, and no disk write delays a PATCH.
        let mut items = self.back_up_all(items, &mut ended.ends);
        // Paced, a round holds only the PATCHes whose slots come within the window; the rest
        // wait for the next round, nothing spent.
        let later = items.split_off(items.len().min(self.remote.writes_per_read()));
        if items.is_empty() {
            let now = later;
            return Next {
                now,
                ..Next::default()
            };
        }
        let booking = self.remote.book(items.len());
        let names: Vec<String> = items.iter().map(|i| i.name().to_string()).collect();
        let fresh = match self.remote.read(&names, booking.read()).await {
            Ok(fresh) => fresh,
            Err(e) => {
                items.extend(later);
                verdict::unread(items, e, &mut ended.ends);
                return Next::default();
            }
        };
        let mut ready = Vec::new();
        for item in items {
            let held = fresh.pools.get(item.name());
            match self.judge(item, held) {
                Judged::Ready(item) => ready.push(item),
                Judged::Landed(item, error) => ended.sent.push((item, Err(error))),
                Judged::Ended(report) => ended.ends.push(report),
            }
        }
        let (by, booking) = (fresh.by, &booking);
        let attempts: Vec<(Item<T>, WriteAttempt)> = stream::iter(ready.into_iter().enumerate())
            .map(|(i, item)| async move {
                if let Some(signal) = stop.signal() {
                    let refused = WriteAttempt::Answered(Err(Error::Interrupted { signal }));
                    return (item, refused);
                }
                let (template, when) = (item.pending.template(), (by, booking.patch(i)));
                let attempt = self.remote.patch(item.name(), template, item.tries, when);
                let attempt = attempt.await;
                (item, attempt)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        drop(turn);
        let mut next = settle(attempts, ended);
        next.now.extend(later);
        next
    }

    /// Backs up each pool not backed up yet, from the read its merge used; a pool whose
    /// backup fails ends there.
    fn back_up_all<T: Carried>(
        &self,
        items: Vec<Item<T>>,
        reports: &mut Vec<Written<T>>,
    ) -> Vec<Item<T>> {
        let mut kept = Vec::with_capacity(items.len());
        for mut item in items {
            if item.backup.is_some() {
                kept.push(item);
                continue;
            }
            let read = item.pending.pool.clone();
            match self.back_up(&mut item, &read) {
                Ok(()) => kept.push(item),
                Err(e) => reports.push(item.pending.fail(e)),
            }
        }
        kept
    }

    /// The conflict check of one pool against the fresh read; its backup is written again
    /// if the server's pool moved in a way the check allows. The pool must hold what
    /// poolsync read when it merged, or (after a PATCH that may have landed) what poolsync
    /// sent; anything else is a concurrent change, and its backup, never to be used, goes.
    fn judge<T: Carried>(&self, mut item: Item<T>, fresh: Option<&WorkPool>) -> Judged<T> {
        let read = &item.pending.pool;
        let Some(fresh) = fresh else {
            let error = Error::PoolNotFound {
                pool: read.name.clone(),
                url: self.remote.base_url().to_string(),
            };
            item.drop_backup();
            return Judged::Ended(item.pending.fail(error));
        };
        if fresh.updated == read.updated && fresh.base_job_template == read.base_job_template {
            item.landed = None;
            return match self.back_up(&mut item, fresh) {
                Ok(()) => Judged::Ready(item),
                Err(e) => Judged::Ended(item.pending.fail(e)),
            };
        }
        if &fresh.base_job_template == item.pending.template()
            && let Some(error) = item.landed.take()
        {
            return Judged::Landed(item, error);
        }
        let mut what = match (&read.updated, &fresh.updated) {
            (Some(before), Some(after)) if before != after => {
                format!("updated {before} -> {after}")
            }
            _ => "its base job template changed".to_string(),
        };
        if let Some(error) = &item.landed {
            what.push_str(&format!(
                "; an earlier PATCH answered {error} may have landed before that change"
            ));
        }
        let pool = read.name.clone();
        item.drop_backup();
        Judged::Ended(item.pending.fail(Error::Conflict { pool, what }))
    }

    /// Backs `fresh` up for `item`, unless its backup already holds exactly that; a backup
    /// of an older read is replaced, so the one left holds what the PATCH replaces.
    fn back_up<T: Carried>(&self, item: &mut Item<T>, fresh: &WorkPool) -> Result<()> {
        let dir = self.backups.ok_or(Error::NoBackupDir)?;
        // Never a stand-in: a pool that cannot be serialised is not backed up, nor written.
        let pool = serde_json::to_value(fresh).map_err(|source| Error::Json {
            input: format!("work pool {:?} as read", fresh.name),
            source,
        })?;
        if item.backup.as_ref().is_some_and(|(_, held)| *held == pool) {
            return Ok(());
        }
        let record = &item.pending.record;
        let mut backup = Backup::new(self.remote.base_url(), pool.clone(), record.kind);
        backup.default = record.default.as_deref().cloned();
        backup.base = record.base.as_deref().cloned();
        backup.base_origin = record.base_origin.clone();
        backup.restored = record.restored.clone();
        backup.merged = Some(item.pending.template().clone());
        let path = backup::write(dir, &backup)?;
        if let Some((older, _)) = item.backup.replace((path, pool)) {
            // An unconfirmed backup of the same template, one read older: no longer needed.
            let _ = std::fs::remove_file(older);
        }
        Ok(())
    }

    /// Reads back every pool that was sent, in one request, and confirms each.
    async fn read_back<T: Carried>(&self, sent: Vec<(Item<T>, Result<()>)>) -> Vec<Written<T>> {
        if sent.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = sent.iter().map(|(i, _)| i.name().to_string()).collect();
        match self.remote.read(&names, None).await {
            Ok(fresh) => sent
                .into_iter()
                .map(|(item, result)| {
                    let held = fresh.pools.get(item.name()).map(|p| &p.base_job_template);
                    verdict::confirm(item, result, held)
                })
                .collect(),
            Err(e) => verdict::unconfirmed(sent, e),
        }
    }
}

/// The pools a chunk is done with: their ends, and writes to read back.
struct Done<T> {
    ends: Vec<Written<T>>,
    /// Each with its PATCH's answer (an error that may hide a write that landed).
    sent: Vec<(Item<T>, Result<()>)>,
}

impl<T> Default for Done<T> {
    fn default() -> Self {
        Done {
            ends: Vec::new(),
            sent: Vec::new(),
        }
    }
}

/// The pools a round hands back.
struct Next<T> {
    /// To try again at once (held past their window, or not in the round).
    now: Vec<Item<T>>,
    /// To try again after `wait` (a retried answer's backoff).
    backing: Vec<Item<T>>,
    wait: Duration,
}

impl<T> Default for Next<T> {
    fn default() -> Self {
        Next {
            now: Vec::new(),
            backing: Vec::new(),
            wait: Duration::ZERO,
        }
    }
}

/// Sorts a round's PATCH answers: a final answer ends the pool (read back if the write may
/// have landed); a late one goes again at once, a retried one after the longest backoff.
fn settle<T>(attempts: Vec<(Item<T>, WriteAttempt)>, ended: &mut Done<T>) -> Next<T> {
    let mut next = Next::default();
    for (mut item, attempt) in attempts {
        match attempt {
            WriteAttempt::Answered(Err(e)) if !may_have_landed(&e) => {
                ended.ends.push(item.pending.fail(e));
            }
            WriteAttempt::Answered(result) => ended.sent.push((item, result)),
            WriteAttempt::Late if item.late + 1 >= MAX_LATE => {
                let (pool, rounds) = (item.name().to_string(), MAX_LATE);
                let error = Error::Unsent { pool, rounds };
                ended.ends.push(item.pending.fail(error));
            }
            WriteAttempt::Late => {
                item.late += 1;
                next.now.push(item);
            }
            WriteAttempt::Retry {
                wait,
                error,
                throttled,
            } => {
                match throttled {
                    true => item.tries.throttled += 1,
                    false => item.tries.retries += 1,
                }
                if may_have_landed(&error) {
                    item.landed = Some(error);
                }
                next.wait = next.wait.max(wait);
                next.backing.push(item);
            }
        }
    }
    next
}
