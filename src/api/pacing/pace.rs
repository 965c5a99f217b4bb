//! Pacing every request of one client to what the server allows.
//!
//! - [`Pacer`] is the one gate every request passes before it is sent. A `429` with
//!   `Retry-After` pauses all requests, not only the one that got it; the pacer then learns the
//!   rate that got through (answers since the last throttle over the time they took) and paces
//!   requests at a little under it, probing upwards slowly. `--max-rps` sets the rate up front
//!   and is never exceeded.
//! - A learned rate is paced as a token bucket (rate `r`, up to `B` tokens, one [`BURST`] of
//!   the server's rate as learned, `r` without the headroom; a generic cell rate algorithm
//!   over one instant, `tat`): requests may go back to back while tokens last, then one per
//!   interval. A `429` that answers a burst halves the burst allowed, down to one token
//!   (even spacing), so a server without burst allowance converges; after a rate probe it
//!   undoes the probe instead (the probe is what the server turned down). `--max-rps` spaces
//!   requests evenly (one token): it promises the rate is never exceeded.
//! - [`Pacer::book`] books a re-read and its PATCHes so that all of them fit in the re-read's
//!   window, waiting for the bucket to refill first if need be; [`Pacer::fits`] says how many
//!   PATCHes can.
//! - The writes in flight are [`super::write_limit`]'s.
//!
//! Plain arithmetic over `Instant`s, unit-tested below; [`Gate`] wraps it for async use.

use crate::config::MIN_MAX_RPS;
use learned::{Learned, SAME_MOMENT, first_rate};
use std::time::{Duration, Instant};

/// Share of the learned rate the pacer spends, so throttled answers stay rare.
const HEADROOM: f64 = 0.95;
/// The learned rate never drops below this many requests per second.
const MIN_RATE: f64 = 0.5;
/// After this many answers in a row with no throttle, the rate grows by [`PROBE`].
const PROBE_EVERY: u32 = 50;
const PROBE: f64 = 1.05;
/// How late a booked request may leave after its slot (a timer's wake, the CSRF header):
/// a booking keeps its last slot this far inside its window ([`Pacer::margin`]).
const LATE_WAKE: Duration = Duration::from_millis(5);
/// The burst a learned rate allows: one second's worth of requests. The smallest burst a
/// per-minute budget (Prefect Cloud's 625 to 5,000 a minute) allows, and the default of the
/// bench's Cloud-like proxy (`scripts/cloud_proxy.py --burst`, one second of its rate).
pub(super) const BURST: Duration = Duration::from_secs(1);
/// After this many answers in a row with no throttle, a burst halved by a `429` doubles
/// again (four rate probes: a server without burst allowance pays one `429` that seldom).
const BURST_REGROW_EVERY: u32 = 4 * PROBE_EVERY;

/// The request-rate gate's state.
#[derive(Debug, Clone)]
pub(super) struct Pacer {
    /// Requests per second allowed; `None` until a throttle or `--max-rps` sets it.
    rate: Option<f64>,
    /// The server's rate as learned, without [`HEADROOM`]: the burst is one [`BURST`] of
    /// it. Set with a learned rate.
    capacity: f64,
    ceiling: Option<f64>,
    /// The bucket as one instant (the theoretical arrival time): a request may leave at `t`
    /// when `t >= tat - (B - 1) x interval`, and takes `tat` to `max(tat, t) + interval`.
    /// The bucket is full when `tat` is in the past.
    tat: Option<Instant>,
    /// How often a `429` halved the burst since it was last regrown.
    halvings: u32,
    /// Whether the burst regrew since the last throttle.
    regrown: bool,
    /// The latest slot taken, and the latest that spent burst (left less than half an
    /// interval after the one before).
    last_slot: Option<Instant>,
    last_burst: Option<Instant>,
    paused_until: Option<Instant>,
    /// Answers that got through since `window_start` (the first request, or the end of the
    /// last throttle's pause).
    through: u32,
    window_start: Instant,
    /// Whether a request was reserved yet: the first one starts the window, so the time a
    /// run spends before its first request is not counted as time the server took.
    started: bool,
    since_throttle: u32,
    /// While the first rate is learnt, when each request that got through left (at most
    /// [`MAX_SENDS`]): the first `429` learns the rate from those that left before the one
    /// it answered, and the answers still in flight then refine it until its pause ends.
    admitted: Vec<Instant>,
    /// While the first pause lasts: when the earliest throttled request left.
    learning: Option<Instant>,
    /// Throttled answers seen.
    pub throttled: u64,
}

/// The most send times kept while no rate is known (a run that is never throttled keeps
/// no more).
const MAX_SENDS: usize = 10_000;

impl Pacer {
    /// A pacer starting at `now`; `ceiling` is `--max-rps`.
    pub(super) fn new(now: Instant, ceiling: Option<f64>) -> Pacer {
        Pacer {
            rate: ceiling.map(|c| c.max(MIN_MAX_RPS)),
            capacity: 0.0,
            ceiling: ceiling.map(|c| c.max(MIN_MAX_RPS)),
            tat: None,
            halvings: 0,
            regrown: false,
            last_slot: None,
            last_burst: None,
            paused_until: None,
            through: 0,
            window_start: now,
            started: false,
            since_throttle: 0,
            admitted: Vec::new(),
            learning: None,
            throttled: 0,
        }
    }

    /// The rate the pacer spaces requests at, if it paces.
    pub(super) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// The tokens the bucket holds when full: one second's worth of the server's rate as
    /// learned (whole tokens), halved per `429` that answered a burst, at least one; one
    /// under `--max-rps`. The burst is the server's whole capacity, not the rate less
    /// [`HEADROOM`]: the headroom keeps the spacing under the server's refill, and a bucket
    /// refilled that slowly is never fuller than the server's.
    pub(super) fn burst(&self) -> f64 {
        match (self.rate, self.ceiling) {
            (Some(_), None) => {
                let halved = 2f64.powi(self.halvings.min(64) as i32);
                let capacity = self.capacity * BURST.as_secs_f64();
                (capacity / halved + 1e-9).floor().max(1.0)
            }
            _ => 1.0,
        }
    }

    /// How far ahead of the even pace a request may leave: `(B - 1)` intervals.
    fn tolerance(&self, step: Duration) -> Duration {
        step.mul_f64(self.burst() - 1.0)
    }

    /// Reserves the next send slot: how long to wait from `now` before sending. Callers
    /// sleep that long and call again if a throttle arrived meanwhile ([`Pacer::paused`]).
    pub(super) fn reserve(&mut self, now: Instant) -> Duration {
        self.start(now);
        let slot = self.slot(now);
        self.take(slot);
        slot - now
    }

    /// [`Pacer::reserve`] for a request that must leave by `by` plus one pacing interval
    /// ([`Pacer::latest`]): `None`, and nothing reserved, when its slot comes later.
    pub(super) fn reserve_by(&mut self, now: Instant, by: Instant) -> Option<Duration> {
        self.start(now);
        let slot = self.slot(now);
        if slot > self.latest(by) {
            return None;
        }
        self.take(slot);
        Some(slot - now)
    }

    /// The latest a request due by `by` may leave: one pacing interval later when paced,
    /// since even the first request after a re-read waits for its slot.
    pub(super) fn latest(&self, by: Instant) -> Instant {
        by + self.rate.map_or(Duration::ZERO, interval)
    }

    /// How many PATCHes may follow a re-read booked on a full bucket with every slot at
    /// most `window` plus one interval after the re-read's (less [`Pacer::margin`]):
    /// `None` unpaced (all of them). The re-read and `B - 1` PATCHes go at once, then one
    /// per interval: `floor(window x rate + B)`, at least one.
    pub(super) fn fits(&self, window: Duration) -> Option<usize> {
        let rate = self.rate?;
        let window = window.saturating_sub(self.margin(interval(rate)));
        let step = interval(rate).as_secs_f64().max(1e-9);
        let fit = window.as_secs_f64() / step + self.burst();
        Some(((fit + 1e-9).floor() as usize).max(1))
    }

    /// How far inside its window a booking keeps its last slot, so the PATCH booked there
    /// still leaves in time: it may leave a little after its slot ([`LATE_WAKE`]), and a
    /// rate probe between the booking and the PATCH shortens the pacing interval its
    /// deadline allows ([`Pacer::latest`]) from `step` to the probed rate's.
    fn margin(&self, step: Duration) -> Duration {
        let probed = self
            .rate
            .map_or(step, |rate| interval(self.capped(rate * PROBE)));
        LATE_WAKE + step.saturating_sub(probed)
    }

    /// Books `n` send slots (a re-read and the PATCHes that follow it, so no other request
    /// takes a slot between them); returns their times. Paced, the first slot waits, if it
    /// must, for the bucket to refill far enough that the last comes at most `window` plus
    /// one interval, less [`Pacer::margin`], after the first (when [`Pacer::fits`] allows
    /// `n - 1` PATCHes); the slots then follow the bucket, back to back while tokens last.
    /// Unpaced, they all come at once (after any pause), and nothing is booked.
    pub(super) fn book(&mut self, now: Instant, n: usize, window: Duration) -> Vec<Instant> {
        self.start(now);
        let first = self.slot(now);
        let Some(rate) = self.rate else {
            return vec![first; n];
        };
        let step = interval(rate);
        let tau = self.tolerance(step);
        let window = window.saturating_sub(self.margin(step));
        // The last of n slots from a start s0 comes max(0, max(tat - s0, 0) + (n-1) x step
        // - tau) after s0: within window + step when tat - s0 <= window + step + tau -
        // (n-1) x step. With more than fit, start on a full bucket.
        let ahead = (window + step + tau)
            .checked_sub(step.saturating_mul(n.saturating_sub(1).min(u32::MAX as usize) as u32))
            .unwrap_or(Duration::ZERO);
        let start = match self.tat.and_then(|tat| tat.checked_sub(ahead)) {
            Some(refilled) => first.max(refilled),
            None => first,
        };
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let slot = self.slot(start);
            self.take(slot);
            slots.push(slot);
        }
        slots
    }

    /// The first request starts the window the first rate is learned over; the first
    /// request after the first pause ends the learning of the first rate.
    fn start(&mut self, now: Instant) {
        if self.learning.is_some() && !self.paused(now) {
            self.learning = None;
            self.admitted = Vec::new();
        }
        if !self.started {
            self.started = true;
            self.window_start = now;
        }
    }

    /// The next free send slot from `now`.
    fn slot(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        if let Some(rate) = self.rate
            && let Some(tat) = self.tat
        {
            let tau = self.tolerance(interval(rate));
            at = at.max(tat.checked_sub(tau).unwrap_or(tat));
        }
        at
    }

    /// Takes a token at `slot`.
    fn take(&mut self, slot: Instant) {
        if let Some(rate) = self.rate {
            let step = interval(rate);
            if self.last_slot.is_some_and(|last| slot < last + step / 2) {
                self.last_burst = Some(self.last_burst.map_or(slot, |b| b.max(slot)));
            }
            self.last_slot = Some(self.last_slot.map_or(slot, |last| last.max(slot)));
            let tat = self.tat.unwrap_or(slot);
            self.tat = Some(tat.max(slot) + step);
        }
    }

    /// When the pause of the last throttle ends.
    pub(super) fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    /// Whether a pause (a throttle) is in force at `now`.
    pub(super) fn paused(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| until > now)
    }

    /// An answer that was not throttled, to a request that left at `sent` (if known).
    pub(super) fn through(&mut self, sent: Option<Instant>) {
        if let Some(sent) = sent
            && (self.rate.is_none() || self.learning.is_some())
            && self.admitted.len() < MAX_SENDS
        {
            self.admitted.push(sent);
            // An answer in flight when the first throttle came refines the first rate.
            if let Some(cutoff) = self.learning
                && sent < cutoff + SAME_MOMENT
            {
                self.refine_first(cutoff);
            }
        }
        self.through = self.through.saturating_add(1);
        self.since_throttle = self.since_throttle.saturating_add(1);
        if self.since_throttle.is_multiple_of(PROBE_EVERY)
            && let Some(rate) = self.rate
        {
            self.rate = Some(self.capped(rate * PROBE));
            self.capacity *= PROBE;
        }
        if self.since_throttle.is_multiple_of(BURST_REGROW_EVERY) && self.halvings > 0 {
            self.halvings -= 1;
            self.regrown = true;
        }
    }

    /// A `429`: pause everyone for `wait` and learn the rate that got through. The first
    /// `429` of a pause that answers a burst (a slot that spent burst at most [`BURST`]
    /// before `now`, or booked after it) halves the burst allowed, unless the rate was
    /// probed upwards since the last `429` (and the burst not regrown): the last probe is
    /// then undone (the rate and the server's as learned, unless a trusted window learns
    /// the rate), not the burst halved. The others of that pause answer the same burst.
    /// `took` is the throttled request's round trip: the first `429` learns the rate from
    /// the requests that left before it ([`first_rate`]).
    pub(super) fn throttle(&mut self, now: Instant, wait: Duration, took: Duration) {
        self.throttled += 1;
        // A rate probed upwards meanwhile (and no burst regrown) is what the server turned
        // down: the probe is undone below, the burst stays.
        let probed = self.since_throttle >= PROBE_EVERY && !self.regrown;
        self.since_throttle = 0;
        self.regrown = false;
        let bursting = !self.paused(now) && self.last_burst.is_some_and(|at| at + BURST >= now);
        if bursting && !probed && self.burst() > 1.0 {
            self.halvings = self.halvings.saturating_add(1);
            self.last_burst = None;
        }
        // Another 429 of the first pause: the earliest throttled request bounds the rate.
        let sent = now.checked_sub(took);
        if let (Some(cutoff), Some(sent)) = (self.learning, sent)
            && self.paused(now)
        {
            let cutoff = cutoff.min(sent);
            self.learning = Some(cutoff);
            self.refine_first(cutoff);
            return;
        }
        let until = now + wait;
        let already = self.paused_until.is_some_and(|p| p >= until);
        if !already {
            self.paused_until = Some(until);
        }
        let first: Option<Learned> = match (self.rate, sent) {
            (None, Some(sent)) => {
                self.learning = Some(sent);
                first_rate(&self.admitted, sent)
            }
            _ => None,
        };
        // Answers in flight when the first throttle came back carry no news.
        if self.through == 0 && first.is_none() {
            return;
        }
        let elapsed = now.duration_since(self.window_start);
        let rate = match self.rate {
            None => first.unwrap_or(Learned::through(self.through, elapsed)),
            Some(rate) => Learned {
                rate,
                capacity: self.capacity,
            }
            .lowered(self.through, elapsed, probed),
        };
        self.learn(rate);
        let rate = self.rate.unwrap_or(MIN_RATE);
        self.through = 0;
        self.window_start = until;
        self.started = true;
        // The server's bucket is empty now: ours refills from now, one token per interval.
        let step = interval(rate);
        self.tat = Some(now + step + self.tolerance(step));
    }

    /// The first rate again, from the answers that got through and left before `cutoff`
    /// (the earliest throttled request of the first pause).
    fn refine_first(&mut self, cutoff: Instant) {
        if let Some(learned) = first_rate(&self.admitted, cutoff) {
            self.learn(learned);
        }
    }

    /// Takes a learned rate (at least [`MIN_RATE`], at most `--max-rps`).
    fn learn(&mut self, learned: Learned) {
        let rate = self.capped(learned.rate.max(MIN_RATE));
        self.rate = Some(rate);
        self.capacity = learned.capacity.max(rate);
    }

    fn capped(&self, rate: f64) -> f64 {
        self.ceiling.map_or(rate, |c| rate.min(c))
    }
}

/// The time between two requests at `rate` per second, at most that of [`MIN_MAX_RPS`]
/// (a rate of 1e-20 would not convert, and 1e-10 would wait for centuries).
pub(super) fn interval(rate: f64) -> Duration {
    let longest = 1.0 / MIN_MAX_RPS;
    let secs = (1.0 / rate).min(longest);
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::from_secs_f64(longest))
}

mod learned;
#[cfg(test)]
mod tests;
