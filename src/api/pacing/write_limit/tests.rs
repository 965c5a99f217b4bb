//! Unit tests of the write limit: how `503`s lower it, how it grows back and settles.

use super::*;
use pretty_assertions::assert_eq;

/// One write started and ended on its own, with the given answer.
fn one(limit: &mut WriteLimit, contended: bool) -> Ended {
    let ticket = limit.try_start().expect("a free slot");
    limit.end(ticket, contended)
}

/// A flight of as many writes as allowed, started together, each answered success; returns
/// how many.
fn flight(limit: &mut WriteLimit) -> usize {
    let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
    for ticket in &tickets {
        limit.end(*ticket, false);
    }
    tickets.len()
}

/// Full flights until `to` writes are allowed; returns the successes it took.
fn grow(limit: &mut WriteLimit, to: usize) -> usize {
    let mut successes = 0;
    while limit.allowed() < to {
        successes += flight(limit);
        assert!(successes < 1000, "grows back");
    }
    successes
}

/// Settled at one writer: 500 full flights later, still one, no probing past it.
fn assert_stays_at_one(limit: &mut WriteLimit) {
    for _ in 0..500 {
        flight(limit);
    }
    assert_eq!(limit.allowed(), 1, "settled: no more probing");
}

#[test]
fn writes_halve_on_503_and_grow_back_fast_below_where_it_came() {
    let mut limit = WriteLimit::new(8);
    // Slow start: one write, then each full flight grows by half (1, 2, 3, 4), past four
    // by about one (each success adds 1/limit) to 8, the max.
    assert_eq!(limit.allowed(), 1);
    for want in [2, 3, 4, 5, 6, 6, 7, 8] {
        flight(&mut limit);
        assert_eq!(limit.allowed(), want);
    }
    let tickets: Vec<Ticket> = (0..8).filter_map(|_| limit.try_start()).collect();
    assert_eq!(tickets.len(), 8);
    assert_eq!(limit.try_start(), None, "no ninth write");
    // Eight 503s to writes sent together count as one congestion event.
    for ticket in tickets {
        assert!(limit.end(ticket, true).collided);
    }
    assert_eq!(limit.allowed(), 4);
    assert_eq!(limit.decreases, 1);
    // Back to 7 (one below where the 503 came) at 1/limit per success: 4+5+6 = 15 of them,
    // a flight more when a flight ends just short of a step.
    let fast = grow(&mut limit, 7);
    assert!((13..=21).contains(&fast), "{fast}");
    // Past it, 16 times slower: one step from 7 to 8 takes about 7 * 16 successes.
    let careful = grow(&mut limit, 8);
    assert!((100..=120).contains(&careful), "{careful}");
    for _ in 0..100 {
        flight(&mut limit);
    }
    assert_eq!(limit.allowed(), 8, "capped at the maximum");
    assert_eq!(limit.settled(), None, "one collision settles nothing");
}

#[test]
fn a_503_to_a_write_sent_after_the_decrease_lowers_again_never_below_one() {
    let mut limit = WriteLimit::new(8);
    for _ in 0..7 {
        one(&mut limit, false);
    }
    for _ in 0..6 {
        // Alone in flight: the server is busy with someone else's writes, not ours.
        assert!(!one(&mut limit, true).collided);
    }
    assert_eq!(limit.allowed(), 1);
    assert_eq!(limit.decreases, 6);
    assert_eq!(limit.settled(), None, "lone 503s settle nothing");
}

/// Issue 19: a SQLite server takes one writer; every other write in flight is answered 503.
/// The slow start's first flight of two, one refused, settles the limit at one, and it
/// never probes again: one collision per run.
#[test]
fn a_server_that_takes_one_writer_costs_one_collision_then_none() {
    let mut limit = WriteLimit::new(8);
    let mut contended = 0;
    for _ in 0..1000 {
        let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
        let (first, rest) = tickets.split_first().expect("at least one write");
        for ticket in rest {
            assert!(limit.end(*ticket, true).collided, "a collision with ours");
            contended += 1;
        }
        assert!(!limit.end(*first, false).collided);
    }
    assert_eq!(contended, 1, "{contended} of 1000 writes were 503");
    assert_eq!(limit.settled(), Some(1));
    assert_eq!(limit.allowed(), 1);
}

/// One of a flight of two refused and the other taken, whichever ends first: settled at one
/// at once. (One of three settles nothing: `a_second_collision_at_or_below_an_earlier_one_settles`.)
#[test]
fn one_refused_of_two_settles_at_one() {
    for winner_first in [true, false] {
        let mut limit = WriteLimit::new(8);
        grow(&mut limit, 2);
        let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
        let [taken, refused] = tickets[..] else {
            panic!("two writes: {tickets:?}")
        };
        if winner_first {
            assert!(!limit.end(taken, false).collided);
        }
        assert!(limit.end(refused, true).collided);
        if !winner_first {
            assert!(!limit.end(taken, false).collided);
        }
        assert_eq!(limit.settled(), Some(1), "winner first: {winner_first}");
        assert_stays_at_one(&mut limit);
    }
}

/// A SQLite server sometimes lets a flight of two through (the second write waits out the
/// first in its busy handler). The slow start then tries three, not four: two collisions,
/// settled at one at once, never the three of a flight of four.
#[test]
fn a_server_that_let_two_through_once_still_costs_two_collisions() {
    let mut limit = WriteLimit::new(8);
    let mut contended = 0;
    let mut passed_two = false;
    for _ in 0..1000 {
        let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
        let lets_through = tickets.len() == 2 && !passed_two;
        passed_two |= lets_through;
        let (first, rest) = tickets.split_first().expect("at least one write");
        for ticket in rest {
            limit.end(*ticket, !lets_through);
            contended += usize::from(!lets_through);
        }
        limit.end(*first, false);
    }
    assert!(passed_two);
    assert_eq!(contended, 2, "{contended} of 1000 writes were 503");
    assert_eq!(limit.settled(), Some(1));
    assert_eq!(limit.allowed(), 1);
}

/// A slow start that reached four writes before its first collision (a flight of two can
/// pass on SQLite): three of the four collide, and that flight settles the limit at one.
#[test]
fn a_flight_refused_all_but_one_settles_at_one() {
    for winner_first in [true, false] {
        let mut limit = WriteLimit::new(8);
        grow(&mut limit, 4);
        let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
        assert_eq!(tickets.len(), 4);
        if winner_first {
            assert!(!limit.end(tickets[0], false).collided);
        }
        for ticket in &tickets[1..] {
            assert!(limit.end(*ticket, true).collided);
        }
        if !winner_first {
            assert!(!limit.end(tickets[0], false).collided);
        }
        assert_eq!(limit.settled(), Some(1), "winner first: {winner_first}");
        assert_stays_at_one(&mut limit);
    }
}

/// A stream of writes at three in flight on a SQLite server (seen in a `-v` run): the first
/// ends taken, the next is refused, a fourth starts in the slot the first left, and is
/// refused too; the third is taken. Two taken, two refused, but never two taken at once:
/// that settles at one, not two (which cost a third collision later).
#[test]
fn a_stream_whose_writes_were_taken_one_after_another_settles_at_one() {
    let mut limit = WriteLimit::new(8);
    grow(&mut limit, 3);
    assert_eq!(limit.allowed(), 3);
    let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
    let [first, second, third] = tickets[..] else {
        panic!("three writes: {tickets:?}")
    };
    assert!(!limit.end(first, false).collided);
    let fourth = limit.try_start().expect("the slot the first left");
    assert!(limit.end(second, true).collided);
    assert!(limit.end(fourth, true).collided);
    assert!(!limit.end(third, false).collided);
    assert_eq!(limit.settled(), Some(1));
    assert_stays_at_one(&mut limit);
}

/// Of eight writes sent together, two refused: the server took six at once.
#[test]
fn a_flight_with_two_refused_settles_at_the_rest() {
    let mut limit = WriteLimit::new(8);
    grow(&mut limit, 8);
    let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
    for (i, ticket) in tickets.iter().enumerate() {
        limit.end(*ticket, i < 2);
    }
    assert_eq!(limit.settled(), Some(6));
}

/// The second collision at or below the level of an earlier one settles one below it, with
/// no flight that settles on its own: one of four refused, later one of three.
#[test]
fn a_second_collision_at_or_below_an_earlier_one_settles() {
    let mut limit = WriteLimit::new(4);
    grow(&mut limit, 4);
    let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
    assert_eq!(tickets.len(), 4);
    assert!(limit.end(tickets[3], true).collided);
    for ticket in &tickets[..3] {
        limit.end(*ticket, false);
    }
    assert_eq!(limit.settled(), None, "one of four refused settles nothing");
    grow(&mut limit, 3);
    let tickets: Vec<Ticket> = std::iter::from_fn(|| limit.try_start()).collect();
    assert_eq!(tickets.len(), 3);
    assert!(limit.end(tickets[0], true).collided);
    limit.end(tickets[1], false);
    limit.end(tickets[2], false);
    assert_eq!(limit.settled(), Some(2));
    for _ in 0..500 {
        flight(&mut limit);
    }
    assert_eq!(limit.allowed(), 2, "settled: no more probing");
}

/// Lone writes while more are allowed show nothing of the server's concurrency: the limit
/// grows only from flights that used it.
#[test]
fn lone_writes_do_not_raise_the_limit() {
    let mut limit = WriteLimit::new(8);
    one(&mut limit, false);
    assert_eq!(limit.allowed(), 2, "a lone write uses a limit of one");
    for _ in 0..100 {
        one(&mut limit, false);
    }
    assert_eq!(limit.allowed(), 2);
    flight(&mut limit);
    assert_eq!(limit.allowed(), 3);
}

#[test]
fn a_collision_is_a_503_to_a_write_that_overlapped_one_of_ours() {
    let mut limit = WriteLimit::new(8);
    grow(&mut limit, 4);
    // b started after a, and a ended first: b overlapped a.
    let a = limit.try_start().expect("a slot");
    let b = limit.try_start().expect("a slot");
    limit.end(a, false);
    assert!(limit.end(b, true).collided);
    // c started alone, d started and ended during c's flight: c overlapped d. (A new
    // limit: a flight of two, one refused, settled the first at one writer.)
    let mut limit = WriteLimit::new(8);
    grow(&mut limit, 4);
    let c = limit.try_start().expect("a slot");
    let d = limit.try_start().expect("a slot");
    limit.end(d, false);
    assert!(limit.end(c, true).collided);
    // e alone from start to end: no collision, even answered 503.
    let e = limit.try_start().expect("a slot");
    assert!(!limit.end(e, true).collided);
    // A success is never a collision.
    let f = limit.try_start().expect("a slot");
    let g = limit.try_start();
    assert!(!limit.end(f, false).collided);
    if let Some(g) = g {
        limit.end(g, false);
    }
}

#[test]
fn a_cancelled_write_frees_its_slot_and_changes_nothing() {
    let mut limit = WriteLimit::new(1);
    assert!(limit.try_start().is_some());
    limit.cancel();
    assert!(limit.try_start().is_some());
    assert_eq!(limit.decreases, 0);
}
