//! The model's requests in order when the next round is read ahead (unpaced): the round
//! after a direct one (pools sent within their listing's window) is read while the direct
//! one sends, as a re-read round's next one is.

use super::{Model, State, Stored};
use std::time::Duration;

/// The requests of `pools` listed pools, rounds of `cap`, the next round read ahead.
fn read_ahead(pools: usize, cap: usize) -> Vec<String> {
    let start = Stored::stale();
    let names: Vec<String> = (0..pools).map(|i| format!("p{i}")).collect();
    let state = State::listed(&names, &start, true);
    let model = Model::new(state, usize::MAX, true, Duration::from_secs(1));
    let reports = model.write(&names, &start, true, (1, cap));
    assert!(reports.iter().all(|r| r.result.is_ok()), "{reports:?}");
    model.state.into_inner().trace
}

/// In the model a read ahead goes as soon as its round is full (the lead is unbounded):
/// while a direct round of one pool sends, the next pool is re-read, and its PATCH goes on
/// that re-read (the writes before read back with it); the pool after it goes direct.
#[test]
fn the_round_after_a_direct_one_is_read_while_it_sends() {
    let trace = read_ahead(5, 1);
    let want = [
        "patch p0",
        "read p1",
        "patch p1",
        "patch p2",
        "read p3 p0 p1",
        "patch p3",
        "patch p4",
        "read p2 p3 p4",
    ];
    assert_eq!(trace, want);
}

/// The run's first direct round is its first PATCH alone: the pools ready meanwhile go in
/// rounds after it, not in one batch with it. (In the model the round after it is read
/// ahead at once; a client reads none ahead before its first re-read was timed.)
#[test]
fn the_first_direct_round_is_one_pool() {
    let trace = read_ahead(7, 3);
    let want = [
        "patch p0",
        "read p1 p2 p3",
        "patch p1",
        "patch p2",
        "patch p3",
        "patch p4",
        "patch p5",
        "patch p6",
        "read p0 p1 p2 p3 p4 p5 p6",
    ];
    assert_eq!(trace, want);
}
