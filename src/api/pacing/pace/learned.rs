//! What a `429` teaches the pacer: the rate to space requests at and the server's own.
//! Plain arithmetic over `Instant`s, unit-tested with the pacer (`tests.rs`).

use super::{BURST, HEADROOM, PROBE};
use std::time::{Duration, Instant};

/// A window shorter than this is counted as this long when the rate is learned: a burst the
/// server allowed says little about its sustained rate.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// A throttle after at least this long learns the rate outright; an earlier one (a burst, a
/// hiccup) lowers a rate already set by at most a fifth.
const TRUSTED_WINDOW: Duration = Duration::from_secs(10);
pub(super) const SHORT_DECREASE: f64 = 0.8;

/// Requests sent this close together reach the server in any order: one that left just
/// after the first throttled request may have got there first, and got through, so the
/// first rate counts it (over a stretch that ends with it).
pub(super) const SAME_MOMENT: Duration = Duration::from_millis(10);

/// A rate learned from a `429`: the one to space requests at, and the server's as bounded
/// (the burst is one [`BURST`] of it).
#[derive(Debug, Clone, Copy)]
pub(super) struct Learned {
    /// Requests per second to space requests at.
    pub(super) rate: f64,
    /// The server's rate as bounded, without the headroom.
    pub(super) capacity: f64,
}

impl Learned {
    /// A rate learned as answers over time, spent at [`HEADROOM`]: the server's is that
    /// without the headroom.
    pub(super) fn from_rate(rate: f64) -> Learned {
        let capacity = rate / HEADROOM;
        Learned { rate, capacity }
    }

    /// The rate `through` answers over `elapsed` show (at least [`MIN_WINDOW`] counted),
    /// spent at [`HEADROOM`].
    pub(super) fn through(through: u32, elapsed: Duration) -> Learned {
        let window = elapsed.max(MIN_WINDOW);
        Learned::from_rate(f64::from(through) / window.as_secs_f64() * HEADROOM)
    }

    /// What a later `429` teaches a rate already set, after `through` answers over
    /// `elapsed`: the rate those show, once the window is long enough to trust; sooner,
    /// back to the rate before the probe if the rate was `probed` upwards meanwhile (the
    /// probe is what the server turned down, and those answers count idle time too), else
    /// lower by at most a fifth. Never higher; the capacity comes down in proportion.
    pub(super) fn lowered(self, through: u32, elapsed: Duration, probed: bool) -> Learned {
        let seen = Learned::through(through, elapsed).rate;
        let r = self.rate;
        let to = if elapsed >= TRUSTED_WINDOW {
            r.min(seen)
        } else if probed {
            r / PROBE
        } else {
            r.min(seen.max(r * SHORT_DECREASE))
        };
        Learned {
            rate: to,
            capacity: self.capacity * to / r,
        }
    }
}

/// The rate the first `429` shows, from the requests that left before the throttled one
/// (`sent`, when it left), or within [`SAME_MOMENT`] after it: the server let all of them
/// through. A bucket holding [`BURST`]
/// of its rate lets through at most `r x (BURST + L)` in any `L` seconds, so each stretch
/// of `k` sends up to `sent` bounds the rate from below, `k / (BURST + L)`; the largest
/// bound is the server's capacity (a stretch the run left the bucket full in, idle, only
/// gives a lower one). The throttled request found the bucket empty, so had it been full
/// when the stretch began, the rate is under `(k + 1) / (BURST + L)`: requests are spaced at
/// the middle, `k + 1/2`, at [`HEADROOM`], never above the bound. `None` without sends
/// before it.
pub(super) fn first_rate(sends: &[Instant], sent: Instant) -> Option<Learned> {
    let mut sorted: Vec<Instant> = (sends.iter().copied())
        .filter(|at| *at < sent + SAME_MOMENT)
        .collect();
    sorted.sort_unstable();
    let n = sorted.len();
    let end = sorted.last().map_or(sent, |last| sent.max(*last));
    let stretches = (0..n).map(|i| {
        let stretch = end.saturating_duration_since(sorted[i]) + BURST;
        ((n - i) as f64, stretch.as_secs_f64())
    });
    stretches
        .map(|(k, stretch)| Learned {
            rate: ((k + 0.5) * HEADROOM).min(k) / stretch,
            capacity: k / stretch,
        })
        .reduce(|a, b| Learned {
            rate: a.rate.max(b.rate),
            capacity: a.capacity.max(b.capacity),
        })
}
