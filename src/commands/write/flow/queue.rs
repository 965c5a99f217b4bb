//! The pools waiting to go in the rounds of [`super::SafeWrite::flow`]: those ready, those
//! backing off after a retried answer, and how a round takes from them.

use crate::commands::write::item::Item;
use crate::commands::write::saved::Shelved;
use crate::commands::write::{Done, Next, When};
use std::time::Instant;

/// The pools waiting to go, and when the ones backing off are due.
pub(super) struct Queue<T> {
    /// To go in the next round.
    pub(super) ready: Vec<Item<T>>,
    /// Backing off after a retried answer, until `due`.
    pub(super) backing: Vec<Item<T>>,
    pub(super) due: Instant,
}

/// Takes from the queue up to `cap` pools whose own read's window is still open at `now`,
/// each with when its PATCH must leave (the end of that window; no slot is booked).
pub(super) fn take_direct<T>(
    queue: &mut Queue<T>,
    cap: usize,
    now: Instant,
) -> Vec<(Item<T>, When)> {
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

/// The pools of the next round: the first `cap` ready, but none whose own read's window is
/// open past `after` when given (a round read ahead goes after the round before it ends:
/// a pool listed since can still go direct then). Their re-read takes the place of the read
/// each was merged from, whose window may still be open: none goes direct again, after a
/// PATCH tried or not.
pub(super) fn take_round<T>(
    queue: &mut Queue<T>,
    cap: usize,
    after: Option<Instant>,
) -> Vec<Item<T>> {
    let (mut round, mut rest) = (Vec::new(), Vec::new());
    for item in queue.ready.drain(..) {
        match round.len() < cap && after.is_none_or(|after| !item.open_after(after)) {
            true => round.push(item),
            false => rest.push(item),
        }
    }
    queue.ready = rest;
    round.iter_mut().for_each(Item::close_window);
    round
}

/// How many of the ready pools a round read ahead would take (see [`take_round`]).
pub(super) fn stale<T>(queue: &Queue<T>, after: Instant) -> usize {
    queue.ready.iter().filter(|i| !i.open_after(after)).count()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::write::Window;
    use crate::commands::write::model::{Stored, pending};
    use std::time::Duration;

    /// A queue of pools: `None` merged from a read whose window has closed, else the end of
    /// the window of the listing page each came on.
    fn queue(windows: &[(&str, Option<Instant>)]) -> Queue<serde_json::Value> {
        let ready = windows.iter().map(|(name, by)| {
            let mut pending = pending(name, &Stored::stale(), false);
            pending.read_by = by.map(Window::until);
            Item::new(pending)
        });
        Queue {
            ready: ready.collect(),
            backing: Vec::new(),
            due: Instant::now(),
        }
    }

    fn names<T>(items: &[Item<T>]) -> Vec<&str> {
        items.iter().map(Item::name).collect()
    }

    #[test]
    fn a_round_read_ahead_leaves_the_pools_of_a_later_page_to_go_direct() {
        let now = Instant::now();
        let (this, later) = (
            now + Duration::from_millis(500),
            now + Duration::from_secs(1),
        );
        let mut queue = queue(&[
            ("a", Some(this)),
            ("b", Some(later)),
            ("c", None),
            ("d", Some(later)),
            ("e", Some(this)),
        ]);
        assert_eq!(stale(&queue, this), 3);
        let round = take_round(&mut queue, 2, Some(this));
        assert_eq!(
            names(&round),
            ["a", "c"],
            "the first two whose window ends by then"
        );
        assert!(round.iter().all(|i| !i.open_after(now)), "windows closed");
        assert_eq!(names(&queue.ready), ["b", "d", "e"]);
        // A round of the main loop takes the first ready, whatever their windows.
        let round = take_round(&mut queue, 2, None);
        assert_eq!(names(&round), ["b", "d"]);
        let direct: Vec<Item<_>> = (take_direct(&mut queue, 5, now).into_iter())
            .map(|(item, _)| item)
            .collect();
        assert_eq!(names(&direct), ["e"]);
    }
}
