//! The pools waiting for a round of the safe write: how they come in, which go in their own
//! read's window, which make the next round, and how a round's answers put them back.

use super::super::item::Item;
use super::super::saved::Shelved;
use super::super::{Done, Next, When};
use futures::FutureExt;
use futures::StreamExt;
use futures::channel::mpsc;
use std::time::Instant;

/// The pools waiting to go, and when the ones backing off are due.
pub(super) struct Queue<T> {
    /// To go in the next round.
    pub(super) ready: Vec<Item<T>>,
    /// Backing off after a retried answer, until `due`.
    pub(super) backing: Vec<Item<T>>,
    pub(super) due: Instant,
}

/// Takes from the queue up to `cap` pools whose own read's window is still open, each with
/// when its PATCH must leave (the end of that window; no slot is booked).
pub(super) fn take_direct<T>(queue: &mut Queue<T>, cap: usize) -> Vec<(Item<T>, When)> {
    let now = Instant::now();
    let mut direct = Vec::new();
    let mut rest = Vec::new();
    for mut item in queue.ready.drain(..) {
        if direct.len() < cap
            && let Some(by) = item.open_window(now)
        {
            direct.push((item, (by, None)));
            continue;
        }
        rest.push(item);
    }
    queue.ready = rest;
    direct
}

/// Moves what the source has ready now into the queue, up to `cap` ready (a pool whose
/// backup failed ends); `open` turns false at the source's end.
pub(super) fn take_arrivals<T>(
    source: &mut mpsc::Receiver<Shelved<T>>,
    open: &mut bool,
    queue: &mut Queue<T>,
    ended: &mut Done<T>,
    cap: usize,
) {
    while *open && queue.ready.len() < cap {
        match source.next().now_or_never() {
            Some(Some(shelved)) => arrive(shelved, queue, ended),
            Some(None) => *open = false,
            None => break,
        }
    }
}

/// The pools of the next round: the first `cap` ready.
pub(super) fn take_round<T>(queue: &mut Queue<T>, cap: usize) -> Vec<Item<T>> {
    let mut round = std::mem::take(&mut queue.ready);
    queue.ready = round.split_off(round.len().min(cap));
    round
}

/// Puts a round's pools back in the queue: the late ones first, to go next, the retried
/// ones to wait out the longest backoff.
pub(super) fn requeue<T>(queue: &mut Queue<T>, next: Next<T>) {
    if !next.backing.is_empty() {
        let due = Instant::now() + next.wait;
        queue.due = match queue.backing.is_empty() {
            true => due,
            false => queue.due.max(due),
        };
    }
    queue.backing.extend(next.backing);
    let rest = std::mem::replace(&mut queue.ready, next.now);
    queue.ready.extend(rest);
}

/// A pool from the source: backed up, it joins the next round; else it ends.
pub(super) fn arrive<T>(shelved: Shelved<T>, queue: &mut Queue<T>, ended: &mut Done<T>) {
    match shelved {
        Shelved::Ready(item) => queue.ready.push(*item),
        Shelved::Ended(written) => ended.ends.push(written),
    }
}
