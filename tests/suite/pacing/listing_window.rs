//! The listing is the first read (issue 19): a pool merged within the window of the listing
//! page it came on is sent with no re-read.

use super::{
    assert_fixed_costs, assert_requests, by_name_reads, listing_offsets, names, routes,
    run_all_updated,
};
use crate::harness::Run;
use crate::harness::fake::pushback::Seen;

/// `update --all` over 50 stale pools merged within the listing's window (the defaults
/// answer within 40 ms, as over a remote link, so the page is full): each PATCH rests on
/// the listing page, so no pool is read by name before its PATCH; after them one read-back
/// by names (two if a PATCH came late). The defaults GET, the listing page, 50 PATCHes and
/// the read-back: 53 requests (1.06 per updated pool), which the summary reports.
#[test]
fn all_50_pools_within_the_listing_window_are_sent_without_a_re_read() {
    let pools = names(50);
    let scenario = Run::stale_pools(&pools).remote_defaults();
    let (ran, summary) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();
    let counts = routes(&log);

    assert_fixed_costs(&log, 50);
    assert_eq!(listing_offsets(&log), [Some(0)], "{counts:#?}");
    let first_patch = log.iter().position(|s| s.route.starts_with("PATCH"));
    let first_patch = first_patch.expect("PATCHes");
    assert!(
        log[..first_patch].iter().all(|s| s.names.is_none()),
        "no re-read before the PATCHes; {counts:#?}"
    );
    for name in &pools {
        let patch = format!("PATCH /work_pools/{name}");
        let at = log.iter().position(|s| s.route == patch);
        let at = at.unwrap_or_else(|| panic!("no PATCH of {name}"));
        let read = |s: &Seen| s.names.as_ref().is_some_and(|n| n.contains(name));
        assert!(
            log[at..].iter().any(read),
            "{name} read back after its PATCH"
        );
    }
    let reads = by_name_reads(&log);
    assert!((1..=2).contains(&reads.len()), "{counts:#?}");
    assert_requests(&ran, &summary, 2 + reads.len() + pools.len());
}
