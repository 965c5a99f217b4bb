//! The safe write of a stream of pools: rounds that each take what is ready, so a round
//! fills with everything prepared while the one before it was sent, and one round's re-read
//! reads back the round before it. Pools whose PATCH must be retried wait out their backoff
//! while newer pools go on; when due, they join the next round and share its re-read.
//! Unpaced, the next round's re-read goes while a round's last PATCHes do (a direct round's
//! too, as its listing's window is about to close), timed to be answered as they end, so
//! the server does not wait on poolsync between rounds.

mod queue;

use super::item::Item;
use super::round::Read;
use super::saved::{Shelved, off_thread};
use super::{Carried, Done, Next, Pending, Remote, SafeWrite, Written, settle, verdict};
use crate::api::PAGE_SIZE;
use crate::commands::signals::Stop;
use futures::channel::mpsc;
use futures::future::{Either, select};
use futures::{FutureExt, SinkExt, Stream, StreamExt, stream};
use queue::{Queue, arrive, requeue, stale, take_direct, take_round};
use std::time::{Duration, Instant};

/// Batches of backups written at once (each on a blocking thread): enough to keep ahead of
/// the PATCHes, few enough that threads and their allocations stay few.
const BACKUPS_AT_ONCE: usize = 2;

/// The most pools one batch of backups takes: the pools that have arrived, up to this many
/// (one pool when only one has: the first PATCH waits for no other backup). A batch is one
/// hand-off to a blocking thread, not one per pool (260 fewer over 260 pools). On a 2-CPU
/// machine the server shares, each hand-off's wake-ups and lock traffic cost the server's
/// CPU. Runs in turn against the PATCH-only floor on the bench's SQLite server:
/// - over 26 runs, the median ratio fell from 1.30x to 1.21x the floor's;
/// - over 10 more with the order swapped, from 1.11x to 1.04x, though the summed times
///   moved the other way (1.07x to 1.10x).
const BACKUP_BATCH: usize = 8;

/// The longest a round waits for more pools to fill it.
const FILL_WAIT: Duration = Duration::from_secs(1);

/// The longest backoff that the writes sent before it wait out unread: the re-read of the
/// pools that waited reads them back (one request less per backoff, such as a lone write's
/// `503` costs). A longer backoff reads them back first, so their verdicts do not wait on it.
const CARRY_BACK: Duration = Duration::from_secs(5);

/// What the rounds draw on (a round read ahead too, while the round before it is
/// sending): the pools coming, those waiting, and what the write is done with.
struct Pipe<T> {
    source: mpsc::Receiver<Shelved<T>>,
    /// Whether more pools may come.
    open: bool,
    queue: Queue<T>,
    ended: Done<T>,
    /// The most pools a round takes.
    cap: usize,
}

impl<R: Remote> SafeWrite<'_, R> {
    /// Writes every pool `source` yields and hands each end to `out` as it comes. A round
    /// takes at most `cap` pools (and, paced, what fits its window). Once `stop` is set, no
    /// further PATCH starts: the pools not yet sent end `skipped`, nothing written.
    pub(crate) async fn flow<T: Carried + Send + 'static>(
        &self,
        source: impl Stream<Item = Pending<T>>,
        cap: usize,
        stop: &Stop,
        out: impl FnMut(Written<T>),
    ) {
        // A round takes at least one pool.
        let cap = cap.max(1);
        // The pools are backed up as they arrive, in batches of what has arrived, off the
        // runtime's thread, while the rounds before them are sent; up to `cap` backed-up
        // pools wait for their round.
        let (shelved, ready) = mpsc::channel(cap);
        let shelf = self.shelf.clone();
        let feed = source
            .ready_chunks(BACKUP_BATCH)
            .map(move |batch| {
                let shelf = shelf.clone();
                off_thread(move || shelf.shelve_all(batch))
            })
            .buffered(BACKUPS_AT_ONCE)
            .flat_map(stream::iter)
            .map(Ok)
            .forward(shelved.sink_map_err(drop));
        let rounds = self.rounds(ready, cap, stop, out);
        let (_, ()) = futures::join!(feed, rounds);
    }

    /// The rounds of [`SafeWrite::flow`], over the pools as they come backed up, at most
    /// `cap` (at least one) a round.
    async fn rounds<T: Carried + Send + 'static>(
        &self,
        source: mpsc::Receiver<Shelved<T>>,
        cap: usize,
        stop: &Stop,
        mut out: impl FnMut(Written<T>),
    ) {
        let mut pipe = Pipe {
            source,
            open: true,
            queue: Queue {
                ready: Vec::new(),
                backing: Vec::new(),
                due: Instant::now(),
            },
            ended: Done::default(),
            cap,
        };
        // A round waits to fill while more pools are coming, up to FILL_WAIT: a slow server
        // or pacing fills rounds anyway, and a pipeline slower than the server then costs no
        // extra re-reads. (Only with a runtime's timers: the model tests' executor has none.)
        let timers = tokio::runtime::Handle::try_current().is_ok();
        let mut filling: Option<Instant> = None;
        // A round whose re-read went while the round before it was sending.
        let mut ahead: Option<Read<T>> = None;
        // The run's first PATCH goes alone (one write in flight to start): the first direct
        // round takes one pool, and those prepared meanwhile go in the next one together,
        // in flights that use the write limit. Taken with it, a second pool would follow it
        // alone, a flight that raises nothing, and the rest would wait for both.
        let mut first = true;
        loop {
            // What is ready now joins the next round.
            pipe.take_arrivals();
            let queue = &mut pipe.queue;
            if !queue.backing.is_empty() && Instant::now() >= queue.due {
                queue.ready.append(&mut queue.backing);
            }
            // Its window is open: its PATCHes go first (refused, after a signal).
            if let Some(read) = ahead.take() {
                ahead = self.send_reading_ahead(read, &mut pipe, stop).await;
                pipe.ended.ends.drain(..).for_each(&mut out);
                continue;
            }
            if let Some(signal) = stop.signal() {
                let Pipe {
                    source,
                    queue,
                    ended,
                    ..
                } = &mut pipe;
                queue.ready.append(&mut queue.backing);
                // Prepared before the signal, never sent.
                while let Some(shelved) = source.next().await {
                    arrive(shelved, queue, ended);
                }
                let mut unsent = std::mem::take(&mut queue.ready);
                unsent.iter_mut().for_each(Item::drop_backup);
                verdict::interrupted(unsent, signal, ended);
                break;
            }
            // Pools still within the window of the read they were merged from (their listing
            // page) go at once: that read is their conflict check, no re-read needed.
            // What was sent is read back in the next round's re-read; so that request (a
            // round of at most `cap` and them) stays within one page, the writes awaiting it
            // stay within the rest of the page: this round takes only what fits with them, or,
            // once they fill it, they are read back on their own while these go.
            let keep = PAGE_SIZE.saturating_sub(cap).max(1);
            let room = keep.saturating_sub(pipe.ended.sent.len());
            // As their window is about to close, the next round is read ahead (unpaced).
            let take = if room == 0 { keep } else { room }.min(cap);
            let take = if first { 1 } else { take };
            let direct = take_direct(&mut pipe.queue, take, self.remote.now());
            if let Some(by) = direct.iter().map(|(_, (by, _))| *by).min() {
                first = false;
                let back = match room {
                    0 => std::mem::take(&mut pipe.ended.sent),
                    _ => Vec::new(),
                };
                let (answers, heard) = mpsc::unbounded();
                let patching = async move {
                    let attempts = self.patch_all(direct, stop, Some(&answers)).await;
                    drop(answers);
                    attempts
                };
                let reading = self.read_ahead(heard, None, by, &mut pipe, stop);
                let (confirmed, attempts, read) =
                    futures::join!(self.read_back(back), patching, reading);
                pipe.ended.ends.extend(confirmed);
                let next = settle(attempts, &mut pipe.ended);
                pipe.ended.ends.drain(..).for_each(&mut out);
                requeue(&mut pipe.queue, next);
                ahead = read;
                continue;
            }
            let queue = &mut pipe.queue;
            if queue.ready.is_empty() {
                if !pipe.open && queue.backing.is_empty() {
                    break;
                }
                self.idle(&mut pipe, stop).await;
                pipe.ended.ends.drain(..).for_each(&mut out);
                continue;
            }
            if timers && pipe.open && queue.ready.len() < cap {
                let until = *filling.get_or_insert_with(|| Instant::now() + FILL_WAIT);
                if Instant::now() < until {
                    let Pipe {
                        source,
                        queue,
                        ended,
                        ..
                    } = &mut pipe;
                    let more = std::pin::pin!(source.next());
                    let timer = std::pin::pin!(tokio::time::sleep_until(until.into()));
                    // A signal cuts the wait (the loop then stops).
                    match stop.interrupt().cut(select(more, timer)).await {
                        Ok(Either::Left((Some(shelved), _))) => arrive(shelved, queue, ended),
                        Ok(Either::Left((None, _))) => pipe.open = false,
                        Ok(Either::Right(((), _))) | Err(_) => {}
                    }
                    pipe.ended.ends.drain(..).for_each(&mut out);
                    continue;
                }
            }
            filling = None;
            // At most `cap` a round (pools due after a backoff may have joined), so its
            // re-read, with the read-back of the round before, stays within one page.
            first = false;
            let round = take_round(&mut pipe.queue, cap, None);
            let (read, later) = self.reread(round, stop, &mut pipe.ended).await;
            pipe.ended.ends.drain(..).for_each(&mut out);
            requeue(&mut pipe.queue, Next::first(later));
            ahead = read;
        }
        let Done { mut ends, sent } = pipe.ended;
        ends.extend(self.read_back(sent).await);
        ends.into_iter().for_each(out);
    }

    /// Sends a read round; meanwhile, unpaced, reads the next round when this one is about
    /// to end (see [`SafeWrite::read_ahead`]) and returns it. The round's answers are
    /// sorted into `pipe`: what ended, what to read back, what goes again.
    async fn send_reading_ahead<T: Carried + Send + 'static>(
        &self,
        read: Read<T>,
        pipe: &mut Pipe<T>,
        stop: &Stop,
    ) -> Option<Read<T>> {
        let (answers, heard) = mpsc::unbounded();
        let (patches, by) = (read.patches(), read.by);
        let sending = self.send(read, stop, Some(answers));
        let reading = self.read_ahead(heard, Some(patches), by, pipe, stop);
        let ((confirmed, attempts), ahead) = futures::join!(sending, reading);
        pipe.ended.ends.extend(confirmed);
        let next = settle(attempts, &mut pipe.ended);
        requeue(&mut pipe.queue, next);
        ahead
    }

    /// The next round's re-read, sent while `patches` PATCHes of the round before go (their
    /// window ends `by`): once the time they still need, at the pace of their answers so
    /// far, or their window's rest is within one re-read's round trip. A direct round
    /// (`patches` none) sends for as long as its window is open, so only its window's end
    /// counts: one that ends sooner is followed by another direct one. None paced (also
    /// when a `429` paced the client meanwhile), none for a round that is not full while
    /// more pools are coming (the loop waits to fill it), none once a signal came or the
    /// round before has ended.
    async fn read_ahead<T: Carried + Send + 'static>(
        &self,
        mut heard: mpsc::UnboundedReceiver<()>,
        patches: Option<usize>,
        by: Instant,
        pipe: &mut Pipe<T>,
        stop: &Stop,
    ) -> Option<Read<T>> {
        let lead = self.remote.read_lead()?;
        let timers = tokio::runtime::Handle::try_current().is_ok();
        let start = Instant::now();
        let at = by.checked_sub(lead);
        let mut answered = 0u32;
        loop {
            let now = Instant::now();
            let ending = match (patches, answered) {
                (None, _) | (_, 0) => Duration::MAX,
                (Some(patches), n) => {
                    let left = u32::try_from(patches).unwrap_or(u32::MAX);
                    ((now - start) / n).saturating_mul(left.saturating_sub(n))
                }
            };
            if ending <= lead || at.is_none_or(|at| now >= at) {
                break;
            }
            let answer = match (timers, at) {
                (true, Some(at)) => {
                    let timer = std::pin::pin!(tokio::time::sleep_until(at.into()));
                    match select(heard.next(), timer).await {
                        Either::Left((answer, _)) => answer,
                        Either::Right(_) => continue,
                    }
                }
                _ => heard.next().await,
            };
            match answer {
                Some(()) => answered += 1,
                None => return None,
            }
        }
        // Paced meanwhile (a `429` taught a rate), the rounds go one after another.
        self.remote.read_lead()?;
        pipe.take_arrivals();
        // A pool listed since, whose page's window outlasts this round, goes direct after it.
        let stale = stale(&pipe.queue, by);
        let full = stale >= pipe.cap || !pipe.open;
        if stop.signal().is_some() || !full || stale == 0 {
            return None;
        }
        let round = take_round(&mut pipe.queue, pipe.cap, Some(by));
        let (read, later) = self.reread(round, stop, &mut pipe.ended).await;
        requeue(&mut pipe.queue, Next::first(later));
        read
    }

    /// Nothing to send now: waits for the next pool, or for the pools backing off (a backoff
    /// longer than [`CARRY_BACK`] reads back what was sent first; a shorter one leaves it to
    /// the re-read of the pools that waited).
    async fn idle<T: Carried + Send + 'static>(&self, pipe: &mut Pipe<T>, stop: &Stop) {
        let Pipe {
            source,
            open,
            queue,
            ended,
            ..
        } = pipe;
        if queue.backing.is_empty() {
            match source.next().await {
                Some(shelved) => arrive(shelved, queue, ended),
                None => *open = false,
            }
            return;
        }
        if queue.due.saturating_duration_since(Instant::now()) > CARRY_BACK {
            let sent = std::mem::take(&mut ended.sent);
            ended.ends.extend(self.read_back(sent).await);
        }
        let wait = queue.due.saturating_duration_since(Instant::now());
        let waited = match (wait.is_zero(), *open) {
            (true, _) => Ok(()),
            (false, false) => self.remote.wait(wait).await,
            (false, true) => {
                let backoff = std::pin::pin!(self.remote.wait(wait));
                match select(source.next(), backoff).await {
                    Either::Left((Some(shelved), _)) => {
                        arrive(shelved, queue, ended);
                        return;
                    }
                    Either::Left((None, _)) => {
                        *open = false;
                        return;
                    }
                    Either::Right((waited, _)) => waited,
                }
            }
        };
        let backing = std::mem::take(&mut queue.backing);
        match waited {
            Err(e) if stop.running() => verdict::unread(backing, e, &mut ended.ends),
            _ => queue.ready = backing,
        }
    }
}

impl<T> Pipe<T> {
    /// Moves what the source has ready now into the queue, up to `cap` ready (a pool whose
    /// backup failed ends); `open` turns false at the source's end.
    fn take_arrivals(&mut self) {
        while self.open && self.queue.ready.len() < self.cap {
            match self.source.next().now_or_never() {
                Some(Some(shelved)) => arrive(shelved, &mut self.queue, &mut self.ended),
                Some(None) => self.open = false,
                None => break,
            }
        }
    }
}
