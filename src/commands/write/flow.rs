//! The safe write of a stream of pools: rounds that each take what is ready, so a round
//! fills with everything prepared while the one before it was sent, and one round's re-read
//! reads back the round before it. Pools whose PATCH must be retried wait out their backoff
//! while newer pools go on; when due, they join the next round and share its re-read.

use super::item::Item;
use super::{Carried, Done, Pending, Remote, SafeWrite, Written, verdict};
use crate::commands::signals::Stop;
use futures::future::{Either, select};
use futures::stream::FusedStream;
use futures::{FutureExt, Stream, StreamExt};
use std::time::Instant;

/// The pools waiting to go, and when the ones backing off are due.
struct Queue<T> {
    /// To go in the next round.
    ready: Vec<Item<T>>,
    /// Backing off after a retried answer, until `due`.
    backing: Vec<Item<T>>,
    due: Instant,
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
        mut out: impl FnMut(Written<T>),
    ) {
        let mut source = std::pin::pin!(source.fuse());
        let mut open = true;
        let mut queue = Queue {
            ready: Vec::new(),
            backing: Vec::new(),
            due: Instant::now(),
        };
        let mut ended = Done::default();
        loop {
            // What is ready now joins the next round.
            while open && queue.ready.len() < cap.max(1) {
                match source.next().now_or_never() {
                    Some(Some(pending)) => queue.ready.push(Item::new(pending)),
                    Some(None) => open = false,
                    None => break,
                }
            }
            if !queue.backing.is_empty() && Instant::now() >= queue.due {
                queue.ready.append(&mut queue.backing);
            }
            if let Some(signal) = stop.signal() {
                queue.ready.append(&mut queue.backing);
                verdict::interrupted(std::mem::take(&mut queue.ready), signal, &mut ended);
                // Prepared before the signal, never sent.
                while let Some(pending) = source.next().await {
                    let error = crate::error::Error::Interrupted { signal };
                    ended.ends.push(pending.fail(error));
                }
                break;
            }
            if queue.ready.is_empty() {
                if !open && queue.backing.is_empty() {
                    break;
                }
                self.idle(&mut source, &mut open, &mut queue, &mut ended, stop)
                    .await;
                ended.ends.drain(..).for_each(&mut out);
                continue;
            }
            let next = self
                .round(std::mem::take(&mut queue.ready), stop, &mut ended)
                .await;
            ended.ends.drain(..).for_each(&mut out);
            if !next.backing.is_empty() {
                let due = Instant::now() + next.wait;
                queue.due = match queue.backing.is_empty() {
                    true => due,
                    false => queue.due.max(due),
                };
            }
            queue.backing.extend(next.backing);
            queue.ready = next.now;
        }
        let Done { mut ends, sent } = ended;
        ends.extend(self.read_back(sent).await);
        ends.into_iter().for_each(out);
    }

    /// Nothing to send now: waits for the next pool, or for the pools backing off (reading
    /// back what was sent first, since their backoff is long and no round carries it).
    async fn idle<T: Carried + Send + 'static>(
        &self,
        source: &mut (impl FusedStream<Item = Pending<T>> + Unpin),
        open: &mut bool,
        queue: &mut Queue<T>,
        ended: &mut Done<T>,
        stop: &Stop,
    ) {
        if queue.backing.is_empty() {
            match source.next().await {
                Some(pending) => queue.ready.push(Item::new(pending)),
                None => *open = false,
            }
            return;
        }
        let sent = std::mem::take(&mut ended.sent);
        ended.ends.extend(self.read_back(sent).await);
        let wait = queue.due.saturating_duration_since(Instant::now());
        let waited = match (wait.is_zero(), *open) {
            (true, _) => Ok(()),
            (false, false) => self.remote.wait(wait).await,
            (false, true) => {
                let backoff = std::pin::pin!(self.remote.wait(wait));
                match select(source.next(), backoff).await {
                    Either::Left((Some(pending), _)) => {
                        queue.ready.push(Item::new(pending));
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
