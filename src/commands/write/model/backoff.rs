//! The model's requests in order around a `503`'s backoff: a short one leaves the read-back
//! of what was sent to the re-read after it, a long one reads it back first.

use super::{Answer, Model, State, Stored};
use std::time::Duration;

/// The requests of two listed pools, the second answered `503` (not landed) once, with a
/// backoff of `backoff`.
fn after_a_503(backoff: Duration) -> Vec<String> {
    let start = Stored::stale();
    let names = ["p0".to_string(), "p1".to_string()];
    let state = State {
        answers: [Answer::Ok, Answer::Unavailable { applied: false }].into(),
        ..State::listed(&names, &start, true)
    };
    let model = Model::new(state, usize::MAX, false, backoff);
    let reports = model.write(&names, &start, true, (1, names.len()));
    assert!(reports.iter().all(|r| r.result.is_ok()), "{reports:?}");
    model.state.into_inner().trace
}

#[test]
fn a_short_backoff_leaves_the_read_back_to_the_re_read_after_it() {
    let trace = after_a_503(Duration::from_secs(1));
    let want = [
        "patch p0",
        "patch p1",
        "wait",
        "read p1 p0",
        "patch p1",
        "read p1",
    ];
    assert_eq!(trace, want);
}

#[test]
fn a_long_backoff_reads_back_what_was_sent_before_it_waits() {
    let trace = after_a_503(Duration::from_secs(30));
    let want = [
        "patch p0", "patch p1", "read p0", "wait", "read p1", "patch p1", "read p1",
    ];
    assert_eq!(trace, want);
}
