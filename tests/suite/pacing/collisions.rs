//! Collisions with our own writes (issue 19): a server that takes one writer at a time
//! (SQLite) answers 503 to a PATCH that arrives while another is in flight. poolsync learns
//! that in one collision and keeps it, and retries such a PATCH as soon as the write it
//! collided with is done, not after a backoff.

use super::{names, patches, run_all_updated};
use crate::harness::Run;
use std::time::Duration;

/// A server that takes one writer for the whole run on 60 pools: every PATCH that arrives
/// while another is in flight is answered 503 (accepted PATCHes are held 30 ms, so writes
/// overlap when sent together). At most one PATCH is answered 503 (the slow start's first
/// flight of two), and no time is spent
/// backing off: a backoff starts at 0.8 s, the whole wait here stays under 0.5 s.
#[test]
fn a_one_writer_server_costs_one_collision_and_no_backoff() {
    let pools = names(60);
    let scenario = Run::stale_pools(&pools)
        .contention(usize::MAX)
        .hold_patches(Duration::from_millis(30))
        .retries(6);
    let (ran, summary) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();
    let refused = patches(&log)
        .iter()
        .filter(|p| p.pushback == Some(503))
        .count();
    assert!(refused <= 1, "{refused} PATCHes answered 503; {}", ran);
    assert!(summary["retries"].as_u64() <= Some(1), "retries: {}", ran);
    let waited = summary["waited_seconds"].as_f64().unwrap_or_default();
    assert!(waited < 0.5, "waited_seconds {waited}; {}", ran);
    assert_eq!(summary["outcomes"]["failed"], 0);
}
