//! Read ahead (issue 19): unpaced, the next round's re-read goes while a round's last
//! PATCHes are in flight, so the server does not wait on poolsync between rounds, and a
//! read reads a pool back only after its PATCH was answered.

use super::{patches, routes, run_all_updated};
use crate::harness::Run;
use crate::harness::fake::pushback::Seen;
use std::time::Duration;

/// `update --all --concurrency 1` over 60 stale pools whose listing window has passed
/// (late defaults), each PATCH answered 30 ms and each read by names 50 ms after it
/// arrived: a round's last PATCH takes less than a re-read's round trip, so the next
/// round's re-read goes while it is in flight, and the two are served at once. Without
/// read-ahead a round's re-read is answered before its PATCHes go and the next one goes
/// after their answers, so no read by names and PATCH are ever served at once. Every pool
/// is updated once, and every read by names that holds a pool after its PATCH arrived
/// came after that PATCH's answer (a read-back never overtakes its write).
#[test]
fn the_next_re_read_goes_while_a_patch_is_in_flight_and_never_reads_back_too_early() {
    let pools: Vec<String> = (0..60).map(|i| format!("p{i:02}")).collect();
    let scenario = Run::stale_pools(&pools)
        .late_defaults()
        .hold_patches(Duration::from_millis(30))
        .hold_reads(Duration::from_millis(50));
    let (ran, _) = run_all_updated(scenario, &["--all", "--concurrency", "1"], &pools);
    let log = ran.served().fake.log();
    let counts = routes(&log);
    let accepted: Vec<&Seen> = (patches(&log).into_iter())
        .filter(|p| p.accepted_patch())
        .collect();
    let reads: Vec<&Seen> = log.iter().filter(|s| s.names.is_some()).collect();

    let at_once = |read: &&Seen| (accepted.iter()).any(|p| p.at < read.done && read.at < p.done);
    assert!(
        reads.iter().any(at_once),
        "a re-read served while a PATCH was; {counts:#?}"
    );
    for patch in &accepted {
        let name = patch.route.trim_start_matches("PATCH /work_pools/");
        let holds = |read: &&&Seen| (read.names.iter().flatten()).any(|n| n == name);
        for read in reads.iter().filter(holds).filter(|r| r.at > patch.at) {
            assert!(
                read.at >= patch.done,
                "{name} read back before its PATCH was answered; {counts:#?}"
            );
        }
    }
}
