//! Unit tests of the pacer: the rate it learns, its pauses, bookings and deadlines.

use super::*;
use pretty_assertions::assert_eq;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn unpaced_until_the_first_throttle() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for _ in 0..100 {
        assert_eq!(pacer.reserve(t0), Duration::ZERO);
    }
    assert_eq!(pacer.rate(), None);
}

#[test]
fn a_throttle_pauses_everyone_and_learns_the_rate() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    // A burst of 10 got through within 100 ms, then a 429 with Retry-After: 1.
    for _ in 0..10 {
        pacer.reserve(t0);
        pacer.through();
    }
    let t1 = t0 + secs(0.1);
    pacer.throttle(t1, secs(1.0));
    assert!(pacer.paused(t1));
    // 10 answers over a window counted as 1 s: 10 req/s, spent at 95%.
    let rate = pacer.rate().expect("paces after a throttle");
    assert!((rate - 9.5).abs() < 1e-9, "{rate}");
    // Every request now waits out the pause, then goes one slot apart.
    let first = pacer.reserve(t1);
    let second = pacer.reserve(t1);
    assert_eq!(first, secs(1.0));
    let gap = (second - first).as_secs_f64();
    assert!((gap - 1.0 / 9.5).abs() < 1e-6, "{gap}");
}

#[test]
fn throttles_of_answers_already_in_flight_learn_nothing_more() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for _ in 0..20 {
        pacer.through();
    }
    pacer.throttle(t0 + secs(2.0), secs(1.0));
    let learned = pacer.rate();
    for _ in 0..7 {
        pacer.throttle(t0 + secs(2.01), secs(1.0));
    }
    assert_eq!(pacer.rate(), learned);
    assert_eq!(pacer.throttled, 8);
}

#[test]
fn a_fixed_window_limit_is_learned_over_the_time_it_took() {
    // 625 per minute: all 625 go through in 8 s, then the server says wait 52 s.
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for _ in 0..625 {
        pacer.through();
    }
    pacer.throttle(t0 + secs(8.0), secs(52.0));
    // The next window: 625 more through in the following minute.
    for _ in 0..625 {
        pacer.through();
    }
    pacer.throttle(t0 + secs(120.0), secs(1.0));
    let rate = pacer.rate().expect("rate");
    assert!(rate <= 625.0 / 60.0, "{rate}");
    assert!(rate > 8.0, "{rate}");
}

#[test]
fn max_rps_is_the_start_and_the_ceiling() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(5.0));
    assert_eq!(pacer.reserve(t0), Duration::ZERO);
    assert_eq!(pacer.reserve(t0), secs(0.2));
    for _ in 0..10 * PROBE_EVERY {
        pacer.through();
    }
    assert_eq!(pacer.rate(), Some(5.0));
}

#[test]
fn the_rate_probes_upwards_slowly_without_throttles() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for _ in 0..10 {
        pacer.through();
    }
    pacer.throttle(t0, secs(1.0));
    let learned = pacer.rate().expect("rate");
    for _ in 0..PROBE_EVERY {
        pacer.through();
    }
    let probed = pacer.rate().expect("rate");
    assert!((probed / learned - PROBE).abs() < 1e-9);
}

#[test]
fn an_early_throttle_lowers_a_set_rate_by_a_fifth_at_most() {
    // --max-rps 5, and the first second's burst is throttled after 2 answers.
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(5.0));
    pacer.through();
    pacer.through();
    pacer.throttle(t0 + secs(0.3), secs(1.0));
    assert_eq!(pacer.rate(), Some(4.0));
    // Ten seconds at that rate and then a throttle: the window is long enough to trust.
    for _ in 0..30 {
        pacer.through();
    }
    pacer.throttle(t0 + secs(11.3), secs(1.0));
    let rate = pacer.rate().expect("rate");
    assert!((rate - 3.0 * 0.95).abs() < 1e-9, "{rate}");
}

/// Issue 17: a ceiling of 1e-20 panicked converting 1e20 s, and 1e-10 waited for centuries.
#[test]
fn a_tiny_ceiling_spaces_requests_at_most_the_floor_apart() {
    let t0 = Instant::now();
    for ceiling in [1e-20, 1e-10, 0.0, MIN_MAX_RPS] {
        let mut pacer = Pacer::new(t0, Some(ceiling));
        assert_eq!(pacer.reserve(t0), Duration::ZERO);
        assert_eq!(pacer.reserve(t0), secs(1.0 / MIN_MAX_RPS), "{ceiling}");
    }
    assert_eq!(interval(f64::MIN_POSITIVE), secs(100.0));
    assert_eq!(interval(4.0), secs(0.25));
}

/// A write due by a deadline takes its slot only when the slot comes in time: one pacing
/// interval of grace, nothing reserved (nothing wasted) when it would be late.
#[test]
fn a_reservation_by_a_deadline_takes_nothing_when_late() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(2.0));
    assert_eq!(pacer.reserve_by(t0, t0), Some(Duration::ZERO));
    // The next slot is 0.5 s away: within one interval of a deadline at t0.
    assert_eq!(pacer.reserve_by(t0, t0), Some(secs(0.5)));
    // The one after that, 1 s away, is not.
    assert_eq!(pacer.reserve_by(t0, t0), None);
    assert_eq!(pacer.reserve_by(t0, t0 + secs(0.5)), Some(secs(1.0)));
    // A pause past the deadline: late, whatever the pace.
    let mut unpaced = Pacer::new(t0, None);
    unpaced.throttle(t0, secs(5.0));
    assert_eq!(unpaced.reserve_by(t0, t0 + secs(1.0)), None);
    assert_eq!(unpaced.reserve(t0), secs(5.0));
}

/// A booking takes slots back to back, and the next request queues behind all of them.
#[test]
fn a_booking_takes_consecutive_slots() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(4.0));
    assert_eq!(pacer.book(t0, 3), [t0, t0 + secs(0.25), t0 + secs(0.5)]);
    assert_eq!(pacer.reserve(t0), secs(0.75));
    let mut unpaced = Pacer::new(t0, None);
    assert_eq!(unpaced.book(t0, 2), [t0, t0]);
    assert_eq!(unpaced.reserve(t0), Duration::ZERO);
}
