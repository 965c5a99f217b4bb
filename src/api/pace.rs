//! Pacing every request of one client to what the server allows.
//!
//! - [`Pacer`] is the one gate every request passes before it is sent. A `429` with
//!   `Retry-After` pauses all requests, not only the one that got it; the pacer then learns the
//!   rate that got through (answers since the last throttle over the time they took) and spaces
//!   requests at a little under it, probing upwards slowly. `--max-rps` sets the rate up front
//!   and is never exceeded.
//! - [`WriteLimit`] is additive increase, multiplicative decrease on writes in flight: a `503`
//!   (a SQLite server's lock contention) halves it, each success adds `1/limit`.
//!
//! Both are plain arithmetic over `Instant`s, unit-tested below; [`Gate`] wraps them for async use.

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
/// Writes are halved at most once per this interval (answers to writes sent together count once).
const DECREASE_EVERY: Duration = Duration::from_millis(250);

/// The request-rate gate's state.
#[derive(Debug, Clone)]
pub struct Pacer {
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
    pub fn new(now: Instant, ceiling: Option<f64>) -> Pacer {
        Pacer {
            rate: ceiling,
            ceiling,
            next_slot: None,
            paused_until: None,
            through: 0,
            window_start: now,
            since_throttle: 0,
            throttled: 0,
        }
    }

    /// The rate the pacer spaces requests at, if it paces.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Reserves the next send slot: how long to wait from `now` before sending. Callers
    /// sleep that long and call again if a throttle arrived meanwhile ([`Pacer::paused`]).
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let mut at = now;
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        if let Some(rate) = self.rate {
            if let Some(slot) = self.next_slot {
                at = at.max(slot);
            }
            self.next_slot = Some(at + Duration::from_secs_f64(1.0 / rate));
        }
        at - now
    }

    /// Whether a pause (a throttle) is in force at `now`.
    pub fn paused(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| until > now)
    }

    /// An answer that was not throttled.
    pub fn through(&mut self) {
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
    pub fn throttle(&mut self, now: Instant, wait: Duration) {
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
        let window = now.duration_since(self.window_start).max(MIN_WINDOW);
        let learned = f64::from(self.through) / window.as_secs_f64() * HEADROOM;
        let rate = self.rate.map_or(learned, |r| r.min(learned));
        self.rate = Some(self.capped(rate.max(MIN_RATE)));
        self.through = 0;
        self.window_start = until;
        self.next_slot = None;
    }

    fn capped(&self, rate: f64) -> f64 {
        self.ceiling.map_or(rate, |c| rate.min(c))
    }
}

/// Writes allowed in flight, additive increase and multiplicative decrease.
#[derive(Debug, Clone)]
pub struct WriteLimit {
    limit: f64,
    max: usize,
    in_flight: usize,
    last_decrease: Option<Instant>,
    /// How often the limit was lowered.
    pub decreases: u64,
}

impl WriteLimit {
    /// Starts at `max` writes in flight.
    pub fn new(max: usize) -> WriteLimit {
        let max = max.max(1);
        WriteLimit {
            limit: max as f64,
            max,
            in_flight: 0,
            last_decrease: None,
            decreases: 0,
        }
    }

    /// Writes allowed in flight now.
    pub fn allowed(&self) -> usize {
        (self.limit.floor() as usize).clamp(1, self.max)
    }

    /// Takes a slot if one is free.
    pub fn try_start(&mut self) -> bool {
        let free = self.in_flight < self.allowed();
        if free {
            self.in_flight += 1;
        }
        free
    }

    /// A write ended; `contended` when the server answered 503.
    pub fn end(&mut self, now: Instant, contended: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if contended {
            let recent = self
                .last_decrease
                .is_some_and(|at| now.duration_since(at) < DECREASE_EVERY);
            if !recent {
                self.limit = (self.limit / 2.0).max(1.0);
                self.last_decrease = Some(now);
                self.decreases += 1;
            }
        } else {
            self.limit = (self.limit + 1.0 / self.limit).min(self.max as f64);
        }
    }

    /// A slot was taken but nothing was sent (the request failed before it left).
    pub fn cancel(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests;
