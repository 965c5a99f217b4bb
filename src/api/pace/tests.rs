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
fn writes_halve_on_503_and_grow_back_by_one_per_window() {
    let t0 = Instant::now();
    let mut limit = WriteLimit::new(8);
    assert_eq!(limit.allowed(), 8);
    for _ in 0..8 {
        assert!(limit.try_start());
    }
    assert!(!limit.try_start(), "no ninth write");
    // Eight 503s answered together count as one congestion event.
    for _ in 0..8 {
        limit.end(t0, true);
    }
    assert_eq!(limit.allowed(), 4);
    assert_eq!(limit.decreases, 1);
    // A later 503 halves again, never below one.
    for i in 1..6 {
        assert!(limit.try_start());
        limit.end(t0 + DECREASE_EVERY * i, true);
    }
    assert_eq!(limit.allowed(), 1);
    // Successes add 1/limit each: back to 8 after 1+2+...+7 = 28 of them (about).
    let mut successes = 0;
    while limit.allowed() < 8 {
        assert!(limit.try_start());
        limit.end(t0, false);
        successes += 1;
        assert!(successes < 60, "grows back");
    }
    assert!((25..=40).contains(&successes), "{successes}");
    assert_eq!(limit.allowed(), 8, "capped at the maximum");
}

#[test]
fn a_cancelled_write_frees_its_slot_and_changes_nothing() {
    let mut limit = WriteLimit::new(1);
    assert!(limit.try_start());
    limit.cancel();
    assert!(limit.try_start());
    assert_eq!(limit.decreases, 0);
}
