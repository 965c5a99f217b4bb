//! The pacer's bookings and deadlines: how many PATCHes follow a re-read, and when each
//! of them may leave.

use super::*;
use pretty_assertions::assert_eq;

/// PATCHes per re-read: the re-read and B - 1 PATCHes at once, then one per interval within
/// the window and one interval more: floor(window x rate + B).
#[test]
fn a_re_read_fits_a_burst_and_the_window_of_patches() {
    let (pacer, _) = learnt(Instant::now());
    // (0.5 s - 5 ms late wake - 5 ms a probe takes off the interval) x 9.5 + 10 = 14.66.
    assert_eq!(pacer.fits(WINDOW), Some(14));
    // Even spacing (--max-rps 10: no probe past it) with a 60 ms re-read: (0.56 s - 5 ms)
    // x 10 + 1 = 6.55, as before the bucket.
    let even = Pacer::new(Instant::now(), Some(10.0));
    assert_eq!(even.fits(WINDOW + secs(0.06)), Some(6));
    // Exactly 0.5 s would put the sixth PATCH on the window's last instant: a late wake
    // would miss it.
    assert_eq!(even.fits(WINDOW), Some(5));
    assert_eq!(Pacer::new(Instant::now(), None).fits(WINDOW), None);
    assert_eq!(Pacer::new(Instant::now(), Some(0.01)).fits(WINDOW), Some(1));
}

/// A booking waits for the bucket to refill far enough that its last slot (its last PATCH)
/// comes within the window plus one interval of its first (the re-read); with that, the
/// booking holds as many PATCHes as [`Pacer::fits`] says.
#[test]
fn a_booking_waits_for_the_bucket_so_every_patch_fits_the_window() {
    let (mut pacer, until) = learnt(Instant::now());
    let step = secs(1.0 / 9.5);
    let n = pacer.fits(WINDOW).expect("paced") + 1;
    let first = pacer.book(until, n, WINDOW);
    assert_eq!(first.len(), n);
    assert_eq!(first[0], until, "a full bucket: no wait");
    assert!(first[n - 1] <= first[0] + WINDOW + step, "{first:?}");
    // The bucket is spent: the next round waits until it refilled enough for its 14 slots.
    let at = first[n - 1];
    let second = pacer.book(at, n, WINDOW);
    assert!(second[0] > at + secs(0.5), "{second:?}");
    assert!(second[n - 1] <= second[0] + WINDOW + step + secs(1e-6));
    // Booked slots are taken: a request after them waits for the one after the last.
    assert!(pacer.reserve(at) >= second[n - 1] - at);
    // A small round waits less than a full one.
    let small = pacer.book(second[n - 1], 2, WINDOW);
    assert!(small[1] <= small[0] + WINDOW + step + secs(1e-6));
    assert!(small[0] < second[n - 1] + secs(1.0));
}

/// A booked PATCH still leaves in time when it wakes [`LATE_WAKE`] after its slot and a
/// rate probe came between the booking and it (its deadline then allows the probed rate's
/// interval): for every window, full rounds booked back to back, the bucket both full and
/// spent, learned and even (`--max-rps`, which no probe passes).
#[test]
fn a_booking_leaves_room_for_a_late_wake_and_a_probe() {
    for micros in (400_000..700_000).step_by(100) {
        let window = Duration::from_micros(micros);
        let (learned, until) = learnt(Instant::now());
        let even = Pacer::new(until, Some(10.0));
        for mut pacer in [learned, even] {
            let rate = pacer.rate().expect("paced");
            let deadline = window + interval(pacer.capped(rate * PROBE));
            let n = pacer.fits(window).expect("paced") + 1;
            let mut at = until;
            for round in 0..3 {
                let slots = pacer.book(at, n, window);
                let last = slots[n - 1] + LATE_WAKE;
                assert!(
                    last <= slots[0] + deadline,
                    "window {window:?}, round {round}, {n} slots: {slots:?}"
                );
                at = slots[n - 1];
            }
        }
    }
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
    unpaced.throttle(t0, secs(5.0), LEFT_FIRST);
    assert_eq!(unpaced.reserve_by(t0, t0 + secs(1.0)), None);
    assert_eq!(unpaced.reserve(t0), secs(5.0));
}

/// A booking takes slots back to back, and the next request queues behind all of them.
#[test]
fn a_booking_takes_consecutive_slots() {
    let t0 = Instant::now();
    let mut pacer = Pacer::new(t0, Some(4.0));
    assert_eq!(
        pacer.book(t0, 3, WINDOW),
        [t0, t0 + secs(0.25), t0 + secs(0.5)]
    );
    assert_eq!(pacer.reserve(t0), secs(0.75));
    let mut unpaced = Pacer::new(t0, None);
    assert_eq!(unpaced.book(t0, 2, WINDOW), [t0, t0]);
    assert_eq!(unpaced.reserve(t0), Duration::ZERO);
}
