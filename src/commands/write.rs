//! The one way poolsync writes templates, for `update` and `rollback` alike: re-read the
//! pools and stop on a concurrent change, back each up, PATCH, read them back and confirm the
//! server holds what was sent.
//!
//! Pools go in rounds ([`flow`]): a round's pools share one re-read (`POST
//! /work_pools/filter` by name; a single pool uses `GET /work_pools/{name}`), which also
//! reads back the round before, so a batch costs about one request per pool. A pool still
//! within the window of the read it was merged from (its listing page, its own `GET`) is
//! sent at once with no re-read: that read is its conflict check. The API has no ETag or conditional update, so the conflict check holds for one
//! window: a PATCH leaves at most one round trip of its re-read (the re-read's own, at least
//! [`WINDOW_FLOOR`](crate::api::WINDOW_FLOOR), plus one pacing interval when paced) after
//! that re-read was answered. A PATCH that would leave later (it waited for a write slot,
//! the pace or a `429` pause) is not sent; a PATCH answered `429`, `503`, `502`, `408` or
//! lost is not re-sent by the client. Both come back here, wait out their backoff, and the
//! pools that waited share one fresh re-read: a change found there is a `conflict`, and the
//! backup is written again when the server's state moved, so it always holds what the
//! server held just before the PATCH that was sent.

mod flow;
mod item;
#[cfg(test)]
mod model;
mod pending;
mod remote;
mod saved;
mod verdict;

pub(crate) use pending::{Carried, Pending, Record, Written};
pub(crate) use remote::Remote;

use super::signals::Stop;
use crate::api::{Client, WorkPool, WriteAttempt};
use crate::error::{Error, Result};
use futures::{StreamExt, stream};
use item::Item;
use saved::{Shelf, off_thread};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verdict::may_have_landed;

/// Re-reads one pool may take because its PATCH could not leave in its window, before it
/// ends `failed` (other writes keep the slots or the pace: it should never come to this).
const MAX_LATE: u32 = 100;

/// Writes through one server, with backups in one folder.
#[derive(Debug)]
pub(crate) struct SafeWrite<'a, R = Client> {
    remote: &'a R,
    /// Where the backups go.
    shelf: Shelf,
    /// PATCHes of one round in flight at once (the client's write limit applies too).
    concurrency: usize,
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
            shelf: Shelf {
                dir: backups.map(Path::to_path_buf),
                base_url: remote.base_url().to_string(),
            },
            concurrency: concurrency.max(1),
        }
    }

    /// Writes every pool of `chunk` (see [`SafeWrite::flow`]); returns how each ended.
    pub(crate) async fn chunk<T: Carried + Send + 'static>(
        &self,
        chunk: Vec<Pending<T>>,
        stop: &Stop,
    ) -> Vec<Written<T>> {
        let (cap, mut ends) = (chunk.len(), Vec::new());
        let source = stream::iter(chunk);
        self.flow(source, cap, stop, |written| ends.push(written))
            .await;
        ends
    }

    /// One round: the backups, one re-read (with the read-back of the rounds before), and the
    /// PATCHes of the pools that are unchanged. Returns the pools to try again.
    async fn round<T: Carried + Send + 'static>(
        &self,
        items: Vec<Item<T>>,
        stop: &Stop,
        ended: &mut Done<T>,
    ) -> Next<T> {
        // Backed up before the re-read, from the read the merge used, off the runtime's
        // thread: the re-read then only confirms the server still holds that, and no disk
        // write delays a PATCH or an answer.
        // (Pools from a flow's source come backed up; a backup dropped meanwhile is written again.)
        let mut items = items;
        if items.iter().any(|i| i.backup.is_none()) {
            let shelf = self.shelf.clone();
            let failed;
            (items, failed) = off_thread(move || {
                let mut failed = Vec::new();
                (shelf.back_up_all(items, &mut failed), failed)
            })
            .await;
            ended.ends.extend(failed);
        }
        if let Some(signal) = stop.signal() {
            for item in &mut items {
                item.drop_backup();
            }
            verdict::interrupted(items, signal, ended);
            return Next::default();
        }
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
        // The same request reads back the writes of the rounds before (one request less
        // per round); their verdicts wait until this round's PATCHes are sent.
        let back = std::mem::take(&mut ended.sent);
        let booking = self.remote.book(items.len());
        let names: Vec<String> = (items.iter().map(Item::name))
            .chain(back.iter().map(|(i, _)| i.name()))
            .map(str::to_string)
            .collect();
        let mut fresh = match self.remote.read(&names, booking.read()).await {
            Ok(fresh) => fresh,
            Err(e) => {
                items.extend(later);
                let shared = Arc::new(e);
                ended
                    .ends
                    .extend(verdict::unconfirmed(back, Error::Shared(shared.clone())));
                verdict::unread(items, Error::Shared(shared), &mut ended.ends);
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
        let back: Vec<_> = (back.into_iter())
            .map(|sent| {
                let held = fresh.pools.remove(sent.0.name());
                (sent, held)
            })
            .collect();
        drop(fresh.pools);
        let timed = (ready.into_iter().enumerate())
            .map(|(i, item)| (item, (fresh.by, booking.patch(i))))
            .collect();
        // The rounds before are confirmed (their backups renamed) while these PATCHes go.
        // Unpaced, the first PATCH goes alone: a server whose budget the run has spent
        // answers one 429 (then the rest wait for the pace it teaches), not one per PATCH
        // in flight.
        let unpaced = booking.read().is_none();
        let patches = async {
            let mut first: Vec<_> = timed;
            let rest = first.split_off(first.len().min(usize::from(unpaced)));
            let mut attempts = self.patch_all(first, stop).await;
            attempts.extend(self.patch_all(rest, stop).await);
            attempts
        };
        let (confirmed, attempts) = futures::join!(confirm_all(back), patches);
        ended.ends.extend(confirmed);
        let mut next = settle(attempts, ended);
        next.now.extend(later);
        next
    }

    /// One try of each pool's PATCH, to leave by `.0` at the slot `.1` (see
    /// [`Remote::patch`]), `concurrency` at once; none starts once a signal came.
    async fn patch_all<T: Carried>(
        &self,
        timed: Vec<(Item<T>, When)>,
        stop: &Stop,
    ) -> Vec<(Item<T>, WriteAttempt)> {
        stream::iter(timed)
            .map(|(item, when)| async move {
                if let Some(signal) = stop.signal() {
                    let refused = WriteAttempt::Answered(Err(Error::Interrupted { signal }));
                    return (item, refused);
                }
                let template = item.pending.template();
                let attempt = self.remote.patch(item.name(), template, item.tries, when);
                let attempt = attempt.await;
                (item, attempt)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await
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
            return match self.shelf.back_up(&mut item, Some(fresh)) {
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

    /// Reads back every pool that was sent, in one request, and confirms each.
    async fn read_back<T: Carried + Send + 'static>(
        &self,
        sent: Vec<(Item<T>, Result<()>)>,
    ) -> Vec<Written<T>> {
        if sent.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = sent.iter().map(|(i, _)| i.name().to_string()).collect();
        match self.remote.read(&names, None).await {
            Ok(mut fresh) => {
                let back = (sent.into_iter())
                    .map(|sent| {
                        let held = fresh.pools.remove(sent.0.name());
                        (sent, held)
                    })
                    .collect();
                confirm_all(back).await
            }
            Err(e) => verdict::unconfirmed(sent, e),
        }
    }
}

/// The read-back verdicts of written pools, each with the pool as the server now holds it,
/// off the runtime's thread (a confirmed write renames its backup).
async fn confirm_all<T: Carried + Send + 'static>(
    back: Vec<(Sent<T>, Option<WorkPool>)>,
) -> Vec<Written<T>> {
    if back.is_empty() {
        return Vec::new();
    }
    off_thread(move || {
        (back.into_iter())
            .map(|((item, result), held)| {
                verdict::confirm(item, result, held.as_ref().map(|p| &p.base_job_template))
            })
            .collect()
    })
    .await
}

/// When a PATCH must leave by, and the pace slot booked for it (see [`Remote::patch`]).
type When = (Instant, Option<Instant>);

/// A pool whose PATCH was answered, with that answer (an error that may hide a write that
/// landed), to read back.
type Sent<T> = (Item<T>, Result<()>);

/// The pools a chunk is done with: their ends, and writes to read back.
struct Done<T> {
    ends: Vec<Written<T>>,
    /// Each with its PATCH's answer (an error that may hide a write that landed).
    sent: Vec<Sent<T>>,
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
