//! Pacing every request of one client to what the server allows.
//!
//! - [`Pacer`] is the one gate every request passes before it is sent. A `429` with
//!   `Retry-After` pauses all requests, not only the one that got it; the pacer then learns the
//!   rate that got through (answers since the last throttle over the time they took) and spaces
//!   requests at a little under it, probing upwards slowly. `--max-rps` sets the rate up front
//!   and is never exceeded.
//! - The writes in flight are [`super::write_limit`]'s.
//!
//! Plain arithmetic over `Instant`s, unit-tested below; [`Gate`] wraps it for async use.

use crate::config::MIN_MAX_RPS;
use std::time::{Duration, Instant};

/// Share of the learned rate the pacer spends, so throttled answers stay rare.
const HEADROOM: f64 = 0.95;
/// The learned rate never drops below this many requests per second.
const MIN_RATE: f64 = 0.5;
/// After this many answers in a row with no throttle, the rate grows by [`PROBE`].
const PROBE_EVERY: u32 = 50;
const PROBE: f64 = 1.05;
/// A window shorter than this is counted as this long when the rate is learned: a burst the
/// server allowed says little about its sustained rate.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// A throttle after at least this long learns the rate outright; an earlier one (a burst, a
/// hiccup) lowers a rate already set by at most a fifth.
const TRUSTED_WINDOW: Duration = Duration::from_secs(10);
const SHORT_DECREASE: f64 = 0.8;

/// The request-rate gate's state.
#[derive(Debug, Clone)]
pub(super) struct Pacer {
    /// Requests per second allowed; `None` until a throttle or `--max-rps` sets it.
    rate: Option<f64>,
    ceiling: Option<f64>,
    next_slot: Option<Instant>,
    paused_until: Option<Instant>,
    /// Answers that got through since `window_start` (the start, or the last throttle).
    through: u32,
    window_start: Instant,
    since_throttle: u32,
    /// Throttled answers seen.
    pub throttled: u64,
}

impl Pacer {
    /// A pacer starting at `now`; `ceiling` is `--max-rps`.
    pub(super) fn new(now: Instant, ceiling: Option<f64>) -> Pacer {
        Pacer {
            rate: ceiling.map(|c| c.max(MIN_MAX_RPS)),
            ceiling: ceiling.map(|c| c.max(MIN_MAX_RPS)),
            next_slot: None,
            paused_until: None,
            through: 0,
            window_start: now,
            since_throttle: 0,
            throttled: 0,
        }
    }

    /// The rate the pacer spaces requests at, if it paces.
    pub(super) fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Reserves the next send slot: how long to wait from `now` before sending. Callers
    /// sleep that long and call again if a throttle arrived meanwhile ([`Pacer::paused`]).
    pub(super) fn reserve(&mut self, now: Instant) -> Duration {
        let slot = self.slot(now);
        self.take(slot);
        slot - now
    }

    /// [`Pacer::reserve`] for a request that must leave by `by` plus one pacing interval
    /// ([`Pacer::latest`]): `None`, and nothing reserved, when its slot comes later.
    pub(super) fn reserve_by(&mut self, now: Instant, by: Instant) -> Option<Duration> {
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

    /// Books `n` send slots back to back from `now` (a re-read and the PATCHes that follow
    /// it, so no other request takes a slot between them); returns their times. Unpaced,
    /// they all come at once (after any pause), and nothing is booked.
    pub(super) fn book(&mut self, now: Instant, n: usize) -> Vec<Instant> {
        let first = self.slot(now);
        let Some(rate) = self.rate else {
            return vec![first; n];
        };
        let step = interval(rate);
        let slots: Vec<Instant> = (0..n as u32).map(|i| first + step * i).collect();
        self.next_slot = Some(first + step * n as u32);
        slots
    }

    /// The next free send slot from `now`.
    fn slot(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        if self.rate.is_some()
            && let Some(slot) = self.next_slot
        {
            at = at.max(slot);
        }
        at
    }

    fn take(&mut self, slot: Instant) {
        if let Some(rate) = self.rate {
            self.next_slot = Some(slot + interval(rate));
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

    /// An answer that was not throttled.
    pub(super) fn through(&mut self) {
        self.through = self.through.saturating_add(1);
        self.since_throttle = self.since_throttle.saturating_add(1);
        if self.since_throttle >= PROBE_EVERY
            && let Some(rate) = self.rate
        {
            self.since_throttle = 0;
            self.rate = Some(self.capped(rate * PROBE));
        }
    }

    /// A `429`: pause everyone for `wait` and learn the rate that got through.
    pub(super) fn throttle(&mut self, now: Instant, wait: Duration) {
        self.throttled += 1;
        self.since_throttle = 0;
        let until = now + wait;
        let already = self.paused_until.is_some_and(|p| p >= until);
        if !already {
            self.paused_until = Some(until);
        }
        // Answers in flight when the first throttle came back carry no news.
        if self.through == 0 {
            return;
        }
        let elapsed = now.duration_since(self.window_start);
        let window = elapsed.max(MIN_WINDOW);
        let learned = f64::from(self.through) / window.as_secs_f64() * HEADROOM;
        let rate = match self.rate {
            None => learned,
            Some(r) if elapsed >= TRUSTED_WINDOW => r.min(learned),
            Some(r) => r.min(learned.max(r * SHORT_DECREASE)),
        };
        self.rate = Some(self.capped(rate.max(MIN_RATE)));
        self.through = 0;
        self.window_start = until;
        self.next_slot = None;
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

#[cfg(test)]
mod tests;
