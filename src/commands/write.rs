//! The one way poolsync writes templates, for `update` and `rollback` alike: re-read the
//! pools and stop on a concurrent change, back each up, PATCH, read them back and confirm the
//! server holds what was sent.
//!
//! Pools go in rounds ([`flow`]): a round's pools share one re-read (`POST
//! /work_pools/filter` by name; a single pool uses `GET /work_pools/{name}`), which also
//! reads back the writes answered before it, so a batch costs about one request per pool. A pool still
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
mod round;
mod saved;
mod verdict;
mod window;

pub(crate) use pending::{Carried, Pending, Record, Written};
pub(crate) use remote::Remote;
pub(crate) use window::{Backlog, Pace, Window};

use super::signals::Stop;
use crate::api::{Client, WriteAttempt};
use crate::error::{Error, Result};
use futures::stream;
use item::Item;
use saved::Shelf;
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
    /// Where the backups go.
    shelf: Shelf,
    /// PATCHes of one round in flight at once (the client's write limit applies too).
    concurrency: usize,
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

impl<T> Next<T> {
    /// Pools to go first in the next round, nothing backing off.
    fn first(now: Vec<Item<T>>) -> Next<T> {
        Next {
            now,
            ..Next::default()
        }
    }
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
            WriteAttempt::Answered(result) => {
                item.answered();
                ended.sent.push((item, result));
            }
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
