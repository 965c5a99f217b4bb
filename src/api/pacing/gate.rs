//! The async side of pacing: one [`Gate`] per client, shared by every request in flight.
//! The arithmetic lives in [`super::pace`]; this file only locks, sleeps and wakes.

use super::pace::Pacer;
use super::write_limit::{Ticket, WriteLimit};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What the gate saw over a run, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Pushback {
    /// Answers that were `429`.
    pub throttled: u64,
    /// Wall time during which at least one request waited on the server's pushback
    /// (a `Retry-After` pause or a backoff after `503`/`502`/`408`/a dropped connection).
    pub waited: Duration,
    /// How often `503`s lowered the writes in flight.
    pub write_decreases: u64,
    /// The request rate the client ended at, if it paced itself.
    pub rate: Option<f64>,
}

/// The gate every request of one client passes.
#[derive(Debug)]
pub(crate) struct Gate {
    pacer: Mutex<Pacer>,
    writes: Mutex<WriteLimit>,
    write_free: Notify,
    clock: Mutex<Clock>,
    /// The quickest answer to any request so far, from its send to its body read.
    quickest: Mutex<Option<Duration>>,
}

/// Union of the intervals spent waiting on pushback.
#[derive(Debug, Default)]
struct Clock {
    waited: Duration,
    until: Option<Instant>,
}

impl Gate {
    /// A gate allowing `max_writes` writes in flight, paced at `max_rps` if given.
    pub(crate) fn new(max_rps: Option<f64>, max_writes: usize) -> Gate {
        Gate {
            pacer: Mutex::new(Pacer::new(Instant::now(), max_rps)),
            writes: Mutex::new(WriteLimit::new(max_writes)),
            write_free: Notify::new(),
            clock: Mutex::new(Clock::default()),
            quickest: Mutex::new(None),
        }
    }

    /// Waits for this request's send slot. With `by`, a request whose slot comes later than
    /// [`Gate::latest`] of it does not wait: `false`, nothing reserved.
    pub(crate) async fn admit(&self, by: Option<Instant>) -> bool {
        loop {
            let now = Instant::now();
            let wait = match by {
                Some(by) => match lock(&self.pacer).reserve_by(now, by) {
                    Some(wait) => wait,
                    None => return false,
                },
                None => lock(&self.pacer).reserve(now),
            };
            if wait.is_zero() {
                return true;
            }
            let start = Instant::now();
            // Only the part of the wait that a pause imposed counts as pushback, not pacing.
            let paused_until = lock(&self.pacer)
                .paused_until()
                .filter(|until| *until > start);
            tokio::time::sleep(wait).await;
            if let Some(until) = paused_until {
                self.waited(start, until.min(Instant::now()));
            }
            if !lock(&self.pacer).paused(Instant::now()) {
                return true;
            }
        }
    }

    /// Books `n` send slots, the last at most `window` plus one interval after the first
    /// (see [`Pacer::book`]).
    pub(crate) fn book(&self, n: usize, window: Duration) -> Vec<Instant> {
        lock(&self.pacer).book(Instant::now(), n, window)
    }

    /// How many PATCHes may follow one booked re-read within `window` plus one interval;
    /// `None` when the client does not pace (see [`Pacer::fits`]).
    pub(crate) fn fits(&self, window: Duration) -> Option<usize> {
        lock(&self.pacer).fits(window)
    }

    /// Waits for a booked slot `at`; `false` when a pause (a `429`) is in force by then.
    pub(crate) async fn admit_booked(&self, at: Instant) -> bool {
        tokio::time::sleep_until(at.into()).await;
        !lock(&self.pacer).paused(Instant::now())
    }

    /// The time between two requests, when the client paces.
    pub(crate) fn interval(&self) -> Option<Duration> {
        lock(&self.pacer).rate().map(super::pace::interval)
    }

    /// Whether the server showed it takes one write at a time: a write refused for
    /// contention with another of ours settled its concurrency at one (a SQLite server).
    pub(crate) fn one_writer(&self) -> bool {
        lock(&self.writes).settled() == Some(1)
    }

    /// The latest a request due by `by` may leave (one pacing interval later when paced).
    pub(crate) fn latest(&self, by: Instant) -> Instant {
        lock(&self.pacer).latest(by)
    }

    /// The quickest answer to any request so far (throttled or not): no request on this
    /// link is answered quicker than the link allows, a re-read included.
    pub(crate) fn quickest(&self) -> Option<Duration> {
        *lock(&self.quickest)
    }

    /// Any answer, to a request that took `took`.
    fn answered(&self, took: Duration) {
        let mut quickest = lock(&self.quickest);
        *quickest = Some(quickest.map_or(took, |q| q.min(took)));
    }

    /// An answer that was not throttled, to a request that took `took`.
    pub(crate) fn through(&self, took: Duration) {
        self.answered(took);
        let sent = Instant::now().checked_sub(took);
        lock(&self.pacer).through(sent);
    }

    /// A `429` to a request that took `took`: every request waits `wait` from now.
    pub(crate) fn throttle(&self, wait: Duration, took: Duration) {
        self.answered(took);
        let now = Instant::now();
        lock(&self.pacer).throttle(now, wait, took);
        // Every request waits the pause out: a write held back by it waits as a re-read.
        self.waited(now, now + wait);
    }

    /// Sleeps a retry backoff, counted as time spent on pushback.
    pub(crate) async fn back_off(&self, wait: Duration) {
        let start = Instant::now();
        tokio::time::sleep(wait).await;
        self.waited(start, Instant::now());
    }

    /// Waits for a free write slot.
    pub(crate) async fn write_slot(&self) -> WriteSlot<'_> {
        loop {
            let free = self.write_free.notified();
            if let Some(ticket) = lock(&self.writes).try_start() {
                return WriteSlot {
                    gate: self,
                    ticket,
                    open: true,
                };
            }
            free.await;
        }
    }

    /// What the gate saw so far.
    pub(crate) fn pushback(&self) -> Pushback {
        let pacer = lock(&self.pacer);
        Pushback {
            throttled: pacer.throttled,
            waited: lock(&self.clock).waited,
            write_decreases: lock(&self.writes).decreases,
            rate: pacer.rate(),
        }
    }

    fn waited(&self, from: Instant, to: Instant) {
        let mut clock = lock(&self.clock);
        let from = clock.until.map_or(from, |until| from.max(until));
        if to > from {
            clock.waited += to - from;
            clock.until = Some(to);
        }
    }
}

/// One write in flight; ending it tells the limit how the server answered.
#[derive(Debug)]
pub(crate) struct WriteSlot<'a> {
    gate: &'a Gate,
    ticket: Ticket,
    open: bool,
}

impl WriteSlot<'_> {
    /// The write was answered; `contended` when the answer was `503`. Returns whether it
    /// collided with another write of this client (see [`super::write_limit::Ended`]).
    pub(crate) fn end(mut self, contended: bool) -> bool {
        self.open = false;
        let ended = lock(&self.gate.writes).end(self.ticket, contended);
        self.gate.write_free.notify_waiters();
        ended.collided
    }
}

impl WriteSlot<'_> {
    /// The write was answered, but the answer says nothing about contention (a 429): the
    /// slot is freed and the limit stays as it is.
    pub(crate) fn release(self) {
        // Dropping an open slot frees it without a verdict.
        drop(self);
    }
}

impl Drop for WriteSlot<'_> {
    fn drop(&mut self) {
        if self.open {
            lock(&self.gate.writes).cancel();
            self.gate.write_free.notify_waiters();
        }
    }
}

/// Locks a mutex; a poisoned one (a panic elsewhere) still holds valid numbers.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The quickest answer bounds every re-read's round trip on the link: a throttled
    /// answer counts (it crossed the link too), and a slower answer later moves nothing.
    #[test]
    fn the_quickest_answer_counts_throttled_ones() {
        let gate = Gate::new(None, 8);
        assert_eq!(gate.quickest(), None);
        gate.through(ms(90));
        assert_eq!(gate.quickest(), Some(ms(90)));
        gate.throttle(Duration::from_secs(1), ms(55));
        assert_eq!(gate.quickest(), Some(ms(55)));
        gate.through(ms(70));
        assert_eq!(gate.quickest(), Some(ms(55)));
    }

    /// One write refused for another of ours, in a flight of two, shows a server of one
    /// writer; a gate that saw no such refusal does not say so.
    #[tokio::test(flavor = "current_thread")]
    async fn a_flight_of_two_with_one_refused_shows_one_writer() {
        let gate = Gate::new(None, 8);
        assert!(!gate.one_writer());
        // Slow start: one write, then a flight of two.
        assert!(!gate.write_slot().await.end(false));
        let (first, second) = (gate.write_slot().await, gate.write_slot().await);
        assert!(
            second.end(true),
            "a 503 to a write that overlapped ours is a collision"
        );
        assert!(!first.end(false));
        assert!(gate.one_writer());
    }
}
