//! Unit tests of the pacer: the rate it learns, its pauses, bookings and deadlines.

use super::learned::SHORT_DECREASE;
use super::*;
use pretty_assertions::assert_eq;

mod booking;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The re-read's window the safe write books with (`WINDOW_FLOOR`).
const WINDOW: Duration = Duration::from_millis(500);

/// The round trip of a throttled request that left before every other one: the first rate
/// is then learnt from the answers that got through (see `first_rate` for the usual case).
const LEFT_FIRST: Duration = Duration::from_secs(3600);

/// A pacer that learnt 9.5 req/s from a `429` (Retry-After: 1) after a burst of 10 at `t0`;
/// returns it and the end of the pause.
fn learnt(t0: Instant) -> (Pacer, Instant) {
    let mut pacer = Pacer::new(t0, None);
    for _ in 0..10 {
        pacer.reserve(t0);
        pacer.through(None);
    }
    let t1 = t0 + secs(0.1);
    pacer.throttle(t1, secs(1.0), LEFT_FIRST);
    (pacer, t1 + secs(1.0))
}

/// How long after `at` each of `n` reservations made at `at` may leave.
/// `n` answers that got through.
fn answers(pacer: &mut Pacer, n: u32) {
    for _ in 0..n {
        pacer.through(None);
    }
}

/// The pacer's rate is `want`.
#[track_caller]
fn assert_rate(pacer: &Pacer, want: f64) {
    let rate = pacer.rate().expect("rate");
    assert!((rate - want).abs() < 1e-9, "{rate}, want {want}");
}

fn waits(pacer: &mut Pacer, at: Instant, n: usize) -> Vec<f64> {
    (0..n).map(|_| pacer.reserve(at).as_secs_f64()).collect()
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
        pacer.through(None);
    }
    let t1 = t0 + secs(0.1);
    pacer.throttle(t1, secs(1.0), LEFT_FIRST);
    assert!(pacer.paused(t1));
    // 10 answers over a window counted as 1 s: 10 req/s, spent at 95%.
    let rate = pacer.rate().expect("paces after a throttle");
    assert!((rate - 9.5).abs() < 1e-9, "{rate}");
    // Every request now waits out the pause, then goes as the bucket allows (below): the
    // bucket holds the server's whole burst, one second of 10 req/s, not of 9.5.
    assert_eq!(pacer.reserve(t1), secs(1.0));
    assert_eq!(pacer.burst(), 10.0);
}

/// The time before the first request is not the server's: 20 answers in the 2 s after a
/// first request made 5 s after the client started are 10 per second, not 20 over 7 s.
#[test]
fn the_first_window_starts_at_the_first_request() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    let first = t0 + secs(5.0);
    assert_eq!(pacer.reserve(first), Duration::ZERO);
    answers(&mut pacer, 20);
    pacer.throttle(first + secs(2.0), secs(1.0), LEFT_FIRST);
    assert_rate(&pacer, 10.0 * 0.95);
}

/// A learned rate is a bucket of one second's worth of the server's rate (10 tokens), that
/// refills at the learned rate (9.5 req/s, the server's 10 less the headroom): the 1 s pause
/// refilled 9.5 tokens, so 9 requests go at once, then one per interval.
#[test]
fn a_learned_rate_lets_a_full_bucket_burst_then_spaces_requests() {
    let (mut pacer, until) = learnt(Instant::now());
    let step = 1.0 / 9.5;
    let got = waits(&mut pacer, until, 12);
    for (i, wait) in got.iter().enumerate() {
        let want = ((i as f64 + 1.0) * step - 1.0).max(0.0);
        assert!((wait - want).abs() < 1e-6, "request {i}: {got:?}");
    }
    assert_eq!(got.iter().filter(|w| **w == 0.0).count(), 9, "{got:?}");
    // Long after, the bucket holds 10 tokens again, not more.
    let later = until + secs(10.0);
    let got = waits(&mut pacer, later, 12);
    assert_eq!(got.iter().filter(|w| **w == 0.0).count(), 10, "{got:?}");
}

/// Unpaced, and under `--max-rps`, nothing bursts: `--max-rps` is never exceeded.
#[test]
fn max_rps_spaces_evenly_with_no_burst() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(10.0));
    assert_eq!(pacer.burst(), 1.0);
    let got = waits(&mut pacer, t0 + secs(5.0), 3);
    for (wait, want) in got.iter().zip([0.0, 0.1, 0.2]) {
        assert!((wait - want).abs() < 1e-6, "{got:?}");
    }
}

/// A `429` that answers a burst halves the burst allowed, once per pause, down to one token
/// (today's even spacing): a server with no burst allowance converges.
#[test]
fn a_429_while_bursting_halves_the_burst_down_to_even_spacing() {
    let (mut pacer, mut at) = learnt(Instant::now());
    let mut bursts = vec![pacer.burst()];
    for _ in 0..5 {
        // Spend a burst, then a 429 answers it (and two more of its requests in flight).
        waits(&mut pacer, at, 3);
        let answered = at + secs(0.05);
        for _ in 0..3 {
            pacer.throttle(answered, secs(1.0), LEFT_FIRST);
        }
        bursts.push(pacer.burst());
        at = answered + secs(1.0);
    }
    assert_eq!(bursts, [10.0, 5.0, 2.0, 1.0, 1.0, 1.0]);
    // At one token, requests go one interval apart, even after a long idle time.
    let got = waits(&mut pacer, at + secs(5.0), 3);
    let step = 1.0 / pacer.rate().expect("rate");
    for (i, wait) in got.iter().enumerate() {
        assert!((wait - i as f64 * step).abs() < 1e-6, "{got:?}");
    }
}

/// A `429` after the rate was probed upwards answers the probe: the probe is undone, and
/// the burst stays (halved, rounds would hold half the PATCHes for the rest of the run;
/// lowered to the answers since the last `429`, idle time counted, the run would slow).
#[test]
fn a_429_after_a_rate_probe_undoes_the_probe_and_keeps_the_burst() {
    let (mut pacer, until) = learnt(Instant::now());
    let (burst, capacity) = (pacer.burst(), pacer.capacity);
    answers(&mut pacer, PROBE_EVERY);
    assert_rate(&pacer, 9.5 * PROBE);
    // A burst, and a 429 answers it: back to the rate and burst before the probe.
    waits(&mut pacer, until + secs(5.0), 3);
    pacer.throttle(until + secs(5.05), secs(1.0), LEFT_FIRST);
    assert_rate(&pacer, 9.5);
    assert!(
        (pacer.capacity - capacity).abs() < 1e-9,
        "{}",
        pacer.capacity
    );
    assert_eq!(pacer.burst(), burst, "not halved");
    // The next 429 that answers a burst, with no probe since, halves it.
    let at = until + secs(6.05);
    waits(&mut pacer, at, 3);
    pacer.throttle(at + secs(0.05), secs(1.0), LEFT_FIRST);
    assert_eq!(pacer.burst(), (pacer.capacity / 2.0).floor());
}

/// A `429` when nothing burst (requests one interval apart) leaves the burst as it was.
#[test]
fn a_429_without_a_burst_keeps_the_burst() {
    let (mut pacer, until) = learnt(Instant::now());
    // Even requests, long after the bucket refilled: none spends burst.
    let mut at = until + secs(5.0);
    for _ in 0..5 {
        assert_eq!(pacer.reserve(at), Duration::ZERO);
        pacer.through(None);
        at += secs(0.2);
    }
    pacer.throttle(at, secs(1.0), LEFT_FIRST);
    // The rate is lowered (by a fifth at most), the burst with it, but not halved.
    assert_rate(&pacer, 9.5 * SHORT_DECREASE);
    assert_eq!(pacer.burst(), (10.0 * SHORT_DECREASE).floor());
}

/// A halved burst grows back after a long run of answers with no throttle, and a `429` to it
/// halves it again.
#[test]
fn a_halved_burst_regrows_after_many_clean_answers() {
    let (mut pacer, until) = learnt(Instant::now());
    waits(&mut pacer, until, 3);
    pacer.throttle(until + secs(0.05), secs(1.0), LEFT_FIRST);
    assert_eq!(pacer.burst(), (pacer.capacity / 2.0).floor());
    answers(&mut pacer, BURST_REGROW_EVERY - 1);
    assert_eq!(pacer.burst(), (pacer.capacity / 2.0).floor());
    pacer.through(None);
    assert_eq!(pacer.burst(), pacer.capacity.floor());
    // Rate probes came with it, but a 429 to the regrown burst halves it again.
    let at = until + secs(60.0);
    waits(&mut pacer, at, 3);
    pacer.throttle(at + secs(0.05), secs(1.0), LEFT_FIRST);
    assert_eq!(pacer.burst(), (pacer.capacity / 2.0).floor());
}

#[test]
fn throttles_of_answers_already_in_flight_learn_nothing_more() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    answers(&mut pacer, 20);
    pacer.throttle(t0 + secs(2.0), secs(1.0), LEFT_FIRST);
    let learned = pacer.rate();
    for _ in 0..7 {
        pacer.throttle(t0 + secs(2.01), secs(1.0), LEFT_FIRST);
    }
    assert_eq!(pacer.rate(), learned);
    assert_eq!(pacer.throttled, 8);
}

#[test]
fn a_fixed_window_limit_is_learned_over_the_time_it_took() {
    // 625 per minute: all 625 go through in 8 s, then the server says wait 52 s.
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    answers(&mut pacer, 625);
    pacer.throttle(t0 + secs(8.0), secs(52.0), LEFT_FIRST);
    // The next window: 625 more through in the following minute.
    answers(&mut pacer, 625);
    pacer.throttle(t0 + secs(120.0), secs(1.0), LEFT_FIRST);
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
    answers(&mut pacer, 10 * PROBE_EVERY);
    assert_eq!(pacer.rate(), Some(5.0));
}

#[test]
fn the_rate_probes_upwards_slowly_without_throttles() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    answers(&mut pacer, 10);
    pacer.throttle(t0, secs(1.0), LEFT_FIRST);
    let learned = pacer.rate().expect("rate");
    answers(&mut pacer, PROBE_EVERY);
    let probed = pacer.rate().expect("rate");
    assert!((probed / learned - PROBE).abs() < 1e-9);
}

#[test]
fn an_early_throttle_lowers_a_set_rate_by_a_fifth_at_most() {
    // --max-rps 5, and the first second's burst is throttled after 2 answers.
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(5.0));
    pacer.through(None);
    pacer.through(None);
    pacer.throttle(t0 + secs(0.3), secs(1.0), LEFT_FIRST);
    assert_eq!(pacer.rate(), Some(4.0));
    // Ten seconds at that rate and then a throttle: the window is long enough to trust.
    answers(&mut pacer, 30);
    pacer.throttle(t0 + secs(11.3), secs(1.0), LEFT_FIRST);
    assert_rate(&pacer, 3.0 * 0.95);
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

/// The first `429` learns the rate from the requests that got through and left before the
/// throttled one: `k` in the 0.1 s before it, from a bucket of one second's worth, bound the
/// server's rate from below, `k / 1.1 s` (the burst is one second of that); the throttled
/// one found the bucket empty, so requests are spaced at `k + 1/2` of them, at 95%, never
/// above the bound. Answers to requests that left before it but came back after it refine
/// the rate until the pause ends; requests that left later carry no news.
#[test]
fn the_first_rate_counts_the_requests_that_got_through_before_the_throttled_one() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for i in 0..8 {
        pacer.reserve(t0 + secs(0.01 * f64::from(i)));
        pacer.through(Some(t0 + secs(0.01 * f64::from(i))));
    }
    // The throttled request left at 0.1 s and came back at 0.15 s. 8.5 x 95% is over 8:
    // the bound itself.
    pacer.throttle(t0 + secs(0.15), secs(1.0), secs(0.05));
    assert_rate(&pacer, 8.0 / 1.1);
    // Two that left before it come back during the pause; one that left after it too, and
    // a second 429 to a request that left at the same moment as the first.
    pacer.through(Some(t0 + secs(0.08)));
    pacer.through(Some(t0 + secs(0.09)));
    pacer.through(Some(t0 + secs(0.12)));
    pacer.throttle(t0 + secs(0.16), secs(1.0), secs(0.06));
    assert_rate(&pacer, 10.5 * 0.95 / 1.1);
    assert_eq!(pacer.burst(), (10.0f64 / 1.1).floor());
    // After the pause the rate is learnt: later answers change it only as probes do.
    let after = t0 + secs(1.2);
    pacer.reserve(after);
    pacer.through(Some(t0 + secs(0.05)));
    assert_rate(&pacer, 10.5 * 0.95 / 1.1);
    // Idle time before a stretch does not dilute it: 10 requests in the 0.1 s before the
    // throttled one, after one 2 s earlier, still show 10 / 1.1 s.
    let mut idle = Pacer::new(t0, None);
    idle.through(Some(t0));
    for i in 0..10 {
        idle.through(Some(t0 + secs(2.0 + 0.01 * f64::from(i))));
    }
    idle.throttle(t0 + secs(2.15), secs(1.0), secs(0.05));
    assert_rate(&idle, 10.5 * 0.95 / 1.1);
}

/// Requests sent together reach the server in any order: one that left 5 ms after the
/// throttled one got through all the same, and counts, over a stretch that ends with it;
/// one 20 ms after does not.
#[test]
fn the_first_rate_counts_a_request_sent_at_the_same_moment_as_the_throttled_one() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, None);
    for i in 0..10 {
        pacer.through(Some(t0 + secs(0.01 * f64::from(i))));
    }
    pacer.through(Some(t0 + secs(0.105)));
    pacer.through(Some(t0 + secs(0.12)));
    pacer.throttle(t0 + secs(0.15), secs(1.0), secs(0.05));
    assert_rate(&pacer, 11.5 * 0.95 / 1.105);
    assert_eq!(pacer.burst(), 9.0);
}
