//! One round of the safe write in its two halves: the re-read (which also reads back the
//! rounds before) and the PATCHes of the pools it found unchanged. Apart, a round's re-read
//! can go while the round before it is still sending ([`super::flow`]).

use super::item::Item;
use super::saved::off_thread;
use super::{Carried, Done, Remote, SafeWrite, Sent, When, Written, verdict};
use crate::api::{Booking, WorkPool, WriteAttempt};
use crate::commands::signals::Stop;
use crate::error::{Error, Result};
use futures::channel::mpsc;
use futures::{StreamExt, stream};
use std::sync::Arc;
use std::time::Instant;

/// A round whose re-read was answered: the PATCHes to send in its window, and the writes of
/// the rounds before that it read back.
pub(super) struct Read<T> {
    /// Each pool found unchanged and backed up, with when its PATCH must leave.
    timed: Vec<(Item<T>, When)>,
    /// The writes it read back, each with the pool as the server held it.
    back: Vec<(Sent<T>, Option<WorkPool>)>,
    /// Whether the client paced the re-read (unpaced, the round's first PATCH goes alone).
    paced: bool,
    /// When the re-read's window ends: its PATCHes' deadline.
    pub(super) by: Instant,
}

impl<T> Read<T> {
    /// The PATCHes it holds.
    pub(super) fn patches(&self) -> usize {
        self.timed.len()
    }
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

impl<R: Remote> SafeWrite<'_, R> {
    /// A round's re-read: the backups, then one request for its pools and for the writes
    /// of the rounds before (`ended.sent`). `None` when no request went (a signal, nothing
    /// fits the window) or it failed (every pool then ends). Also returns, untouched, the
    /// pools that do not fit a paced round's window, to go in a later round.
    pub(super) async fn reread<T: Carried + Send + 'static>(
        &self,
        items: Vec<Item<T>>,
        stop: &Stop,
        ended: &mut Done<T>,
    ) -> (Option<Read<T>>, Vec<Item<T>>) {
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
            return (None, Vec::new());
        }
        // Paced, a round holds only the PATCHes whose slots come within the window; the rest
        // wait for the next round, nothing spent.
        let later = items.split_off(items.len().min(self.remote.writes_per_read()));
        if items.is_empty() {
            return (None, later);
        }
        // The same request reads back the writes of the rounds before (one request less
        // per round); their verdicts wait until this round's PATCHes are sent.
        let back = std::mem::take(&mut ended.sent);
        let booking = self.remote.book(items.len());
        let names: Vec<String> = (items.iter().map(Item::name))
            .chain(back.iter().map(|(i, _)| i.name()))
            .map(str::to_string)
            .collect();
        match self.remote.read(&names, booking.read()).await {
            Ok(fresh) => (Some(self.sort(items, back, fresh, &booking, ended)), later),
            Err(e) => {
                items.extend(later);
                let shared = Arc::new(e);
                ended
                    .ends
                    .extend(verdict::unconfirmed(back, Error::Shared(shared.clone())));
                verdict::unread(items, Error::Shared(shared), &mut ended.ends);
                (None, Vec::new())
            }
        }
    }

    /// Sorts a re-read's pools: those to PATCH (each at its booked slot), those that end,
    /// and the writes read back, each with what the server holds.
    fn sort<T: Carried>(
        &self,
        items: Vec<Item<T>>,
        back: Vec<Sent<T>>,
        mut fresh: crate::api::Fresh,
        booking: &Booking,
        ended: &mut Done<T>,
    ) -> Read<T> {
        let mut ready = Vec::new();
        for item in items {
            let held = fresh.pools.get(item.name());
            match self.judge(item, held) {
                Judged::Ready(item) => ready.push(item),
                Judged::Landed(item, error) => ended.sent.push((item, Err(error))),
                Judged::Ended(report) => ended.ends.push(report),
            }
        }
        let back = (back.into_iter())
            .map(|sent| {
                let held = fresh.pools.remove(sent.0.name());
                (sent, held)
            })
            .collect();
        let timed = (ready.into_iter().enumerate())
            .map(|(i, item)| (item, (fresh.by, booking.patch(i))))
            .collect();
        Read {
            timed,
            back,
            paced: booking.read().is_some(),
            by: fresh.by,
        }
    }

    /// A read round's PATCHes, while the writes it read back are confirmed; `answers`
    /// hears of each PATCH as it is answered, and closes when the last one is.
    pub(super) async fn send<T: Carried + Send + 'static>(
        &self,
        read: Read<T>,
        stop: &Stop,
        answers: Option<mpsc::UnboundedSender<()>>,
    ) -> (Vec<Written<T>>, Vec<(Item<T>, WriteAttempt)>) {
        let Read {
            timed, back, paced, ..
        } = read;
        // The rounds before are confirmed (their backups renamed) while these PATCHes go.
        // Unpaced, the first PATCH goes alone: a server whose budget the run has spent
        // answers one 429 (then the rest wait for the pace it teaches), not one per PATCH
        // in flight.
        let patches = async {
            let mut first: Vec<_> = timed;
            let rest = first.split_off(first.len().min(usize::from(!paced)));
            let mut attempts = self.patch_all(first, stop, answers.as_ref()).await;
            attempts.extend(self.patch_all(rest, stop, answers.as_ref()).await);
            attempts
        };
        futures::join!(confirm_all(back), patches)
    }

    /// One try of each pool's PATCH, to leave by `.0` at the slot `.1` (see
    /// [`Remote::patch`]), `concurrency` at once; none starts once a signal came.
    pub(super) async fn patch_all<T: Carried>(
        &self,
        timed: Vec<(Item<T>, When)>,
        stop: &Stop,
        answers: Option<&mpsc::UnboundedSender<()>>,
    ) -> Vec<(Item<T>, WriteAttempt)> {
        stream::iter(timed)
            .map(|(mut item, when)| async move {
                if let Some(signal) = stop.signal() {
                    let refused = WriteAttempt::Answered(Err(Error::Interrupted { signal }));
                    return (item, refused);
                }
                let template = item.pending.template();
                let attempt = self.remote.patch(item.name(), template, item.tries, when);
                let attempt = attempt.await;
                // Gone from the listing's backlog: its next page may be read.
                item.listed = None;
                if let Some(answers) = answers {
                    let _ = answers.unbounded_send(());
                }
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
    pub(super) async fn read_back<T: Carried + Send + 'static>(
        &self,
        sent: Vec<Sent<T>>,
    ) -> Vec<Written<T>> {
        if sent.is_empty() {
            return Vec::new();
        }
        let names: Vec<String> = sent.iter().map(|(i, _)| i.name().to_string()).collect();
        let read: Result<_> = self.remote.read(&names, None).await;
        match read {
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
