//! Batches at the pace of the API (issue 8), on the fake API: what 50- and 250-pool batches
//! cost in requests per route, a 5xx whose write landed (or did not), and a pool deleted
//! between its listing and its re-read. [`pushback`]: 429 storms, 503s, `--max-rps`;
//! [`collisions`]: 503s to writes that overlapped our own (a server that takes one writer);
//! [`limits`]: a `--max-rps` below the floor.

mod collisions;
mod limits;
mod listing_window;
mod pushback;
mod read_ahead;

use crate::harness::fake::pushback::Seen;
use crate::harness::fake::{CSRF_TOKEN, DEFAULTS, POOL_PATCH, POOL_READ, Patch};
use crate::harness::fixtures::{POOL, current, detail, merged};
use crate::harness::{Output, Run};
use serde_json::Value;
use std::collections::BTreeMap;
use wiremock::ResponseTemplate;

const FILTER: &str = "POST /work_pools/filter";

/// `p00`, `p01`, ... : `n` pool names, in the order the fake lists them.
fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

/// Every pool of `names` ended `updated`, the fake holds the merged template for it, and
/// it was PATCHed (accepted by the API, not refused by pushback) exactly once.
#[track_caller]
fn all_updated(ran: &Output, names: &[String]) -> Value {
    let (pools, summary) = ran.by_pool();
    assert_eq!(pools.len(), names.len(), "{}", ran);
    for name in names {
        assert_eq!(pools[name]["outcome"], "updated", "{name}; {}", ran);
        assert_eq!(ran.stored(name), merged(), "{name}");
    }
    let log = ran.served().fake.log();
    for name in names {
        let route = format!("PATCH /work_pools/{name}");
        let accepted = log
            .iter()
            .filter(|s| s.route == route && s.pushback.is_none())
            .count();
        assert_eq!(accepted, 1, "accepted PATCHes of {name}");
    }
    assert_eq!(summary["outcomes"]["updated"], names.len(), "{}", ran);
    summary
}

/// Runs `update ARGS --output json` on `scenario`, which must exit 0 with every pool of
/// `pools` updated ([`all_updated`]); returns the run and its summary.
fn run_all_updated(scenario: Run, args: &[impl AsRef<str>], pools: &[String]) -> (Output, Value) {
    let ran = scenario.update_json(args).run();
    ran.code(0);
    let summary = all_updated(&ran, pools);
    (ran, summary)
}

/// The requests of `route`.
fn of<'l>(log: &'l [Seen], route: &str) -> Vec<&'l Seen> {
    log.iter().filter(|s| s.route == route).collect()
}

/// The PATCHes, accepted or refused, in order.
fn patches(log: &[Seen]) -> Vec<&Seen> {
    log.iter()
        .filter(|s| s.route.starts_with("PATCH"))
        .collect()
}

/// The offsets of the listing pages (`POST /work_pools/filter` by no names), in order.
fn listing_offsets(log: &[Seen]) -> Vec<Option<u64>> {
    let pages = of(log, FILTER).into_iter().filter(|s| s.names.is_none());
    pages.map(|s| s.offset).collect()
}

/// The `POST /work_pools/filter` requests that read pools by name, each as its sorted names.
fn by_name_reads(log: &[Seen]) -> Vec<Vec<String>> {
    of(log, FILTER)
        .into_iter()
        .filter_map(|s| s.names.clone())
        .map(|mut n| {
            n.sort();
            n
        })
        .collect()
}

/// Seconds from `from` to `to`.
fn secs(from: std::time::Instant, to: std::time::Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64()
}

/// How many requests per route, for failure messages.
fn routes(log: &[Seen]) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for seen in log {
        let key = match &seen.names {
            Some(names) => format!("{} by {} names", seen.route, names.len()),
            None => seen.route.clone(),
        };
        *count.entry(key).or_insert(0) += 1;
    }
    count
}

/// No CSRF token request (CSRF is off: the first request that is not a `GET` is taken
/// without one), one defaults GET, no per-pool GET, and `n` PATCHes.
#[track_caller]
fn assert_fixed_costs(log: &[Seen], n: usize) {
    let counts = routes(log);
    assert_eq!(of(log, CSRF_TOKEN).len(), 0, "{counts:#?}");
    assert_eq!(of(log, &format!("GET {DEFAULTS}")).len(), 1, "{counts:#?}");
    assert!(
        !log.iter().any(|s| s.route.starts_with("GET /work_pools/")),
        "no per-pool GET; {counts:#?}"
    );
    assert_eq!(patches(log).len(), n, "{counts:#?}");
}

/// `re_read` came before the first PATCH, `read_back` after every PATCH was answered.
#[track_caller]
fn assert_reads_around_the_patches(log: &[Seen], re_read: &Seen, read_back: &Seen) {
    let patches = patches(log);
    let first_patch = patches.iter().map(|s| s.at).min().expect("patches");
    let last_answer = patches.iter().map(|s| s.done).max().expect("patches");
    assert!(
        re_read.at <= first_patch,
        "the re-read comes before the PATCHes"
    );
    assert!(read_back.at >= last_answer, "the read-back comes last");
}

/// Exactly `want` requests reached the fake, and the summary reports as many.
#[track_caller]
fn assert_requests(ran: &Output, summary: &Value, want: usize) {
    let log = ran.served().fake.log();
    assert_eq!(log.len(), want, "{:#?}", routes(&log));
    assert_eq!(summary["requests"], want, "{}", ran);
}

/// `update --all` over 50 stale pools whose listing window has passed when they are merged
/// (late defaults; one listing page of 200, short, so the listing ends
/// there): one defaults GET, the listing page, then for the one chunk of 50 a re-read by
/// names before any PATCH and a read-back by names after every PATCH was answered, and one
/// PATCH per pool; no per-pool GET and no CSRF token request. Exactly 54 requests (1.08 per
/// updated pool, at most 1.15), and the summary counts the same 54.
#[test]
fn all_50_pools_cost_one_request_per_pool_and_five_more() {
    let pools = names(50);
    let scenario = Run::stale_pools(&pools).late_defaults();
    let (ran, summary) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();
    let counts = routes(&log);

    assert_fixed_costs(&log, 50);
    let listing = listing_offsets(&log);
    assert_eq!(listing, [Some(0)], "one page, no second pass");
    assert_eq!(
        by_name_reads(&log),
        [pools.clone(), pools.clone()],
        "one re-read and one read-back of the chunk; {counts:#?}"
    );
    let reads: Vec<&Seen> = of(&log, FILTER)
        .into_iter()
        .filter(|s| s.names.is_some())
        .collect();
    assert_reads_around_the_patches(&log, reads[0], reads[1]);

    let listing_pages = 1;
    let per_chunk = 2;
    let want = listing_pages + 1 + per_chunk + pools.len();
    assert_requests(&ran, &summary, want);
    let per_pool = log.len() as f64 / pools.len() as f64;
    assert!(per_pool <= 1.15, "{per_pool:.3} requests per updated pool");
}

/// `update --all` over 250 stale pools whose listing window has passed when they are merged
/// (late defaults), more than one listing page (200): the pages at
/// offsets 0 and 199 (the second starts on the first's last pool, which is still there, so
/// nothing shifted and there is no second pass); rounds of at most 50 PATCHes, each after a
/// re-read by names that also reads back the round before it, and a last read-back; one
/// PATCH per pool and one defaults GET (no CSRF token request). Every pool of the first
/// page is read by name before its PATCH (the second page's may go within its window), and
/// every pool after it; 258 to 260 requests (1.04 per updated pool; five chunks read twice
/// each cost 263), which the summary reports.
#[test]
fn all_250_pools_page_with_one_pool_of_overlap_and_rounds_of_50() {
    let pools: Vec<String> = (0..250).map(|i| format!("p{i:03}")).collect();
    let scenario = Run::stale_pools(&pools).late_defaults();
    let (ran, summary) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();
    let counts = routes(&log);

    assert_eq!(listing_offsets(&log), [Some(0), Some(199)], "{counts:#?}");
    for name in &pools {
        let patch = format!("PATCH /work_pools/{name}");
        let at = log.iter().position(|s| s.route == patch);
        let at = at.unwrap_or_else(|| panic!("no PATCH of {name}"));
        let read = |s: &Seen| s.names.as_ref().is_some_and(|n| n.contains(name));
        // The second page comes once the defaults are known: its pools may go within its
        // window, with no re-read.
        let first_page = name.as_str() < "p199";
        assert!(
            !first_page || log[..at].iter().any(read),
            "{name} re-read before its PATCH"
        );
        assert!(
            log[at..].iter().any(read),
            "{name} read back after its PATCH"
        );
    }
    // Four or five full rounds (a round waits to fill, up to a second: one that waited out
    // a page may go short, which adds a round; the second page's pools may go at once), the
    // last read-back. A machine so loaded that the pools come slower than that (a debug
    // build beside the other tests on two cores) may go short once per second waited.
    let reads = by_name_reads(&log);
    let span = log
        .last()
        .map_or(0, |s| (s.at - log[0].at).as_secs() as usize);
    assert!(
        (5..=7 + span).contains(&reads.len()),
        "{} reads by names over {span} s: {counts:#?}",
        reads.len()
    );
    // A read stays within one page (200): a round of at most 50 and what waits to be read
    // back, which on a loaded machine may be more than one round (the second page's pools
    // sent within their window, with the round before them).
    let longest = reads.iter().map(Vec::len).max().unwrap_or_default();
    assert!(longest <= 200, "{reads:?}");
    assert_requests(&ran, &summary, 2 + 1 + reads.len() + pools.len());
}

/// 250 pools, and three of the first page deleted just before the second page: that page
/// starts three pools later than the first page's last pool, so the listing pages once more
/// from 0 (offsets 0, 199, 0, 199) and finds the three pools the shift skipped. Every
/// remaining pool is updated once; the deleted ones that were listed fail as not found
/// unless their round was written before the delete. They are the first page's last three:
/// gathered last, they are not yet written when the second page is asked for.
#[test]
fn a_shifted_page_makes_the_listing_page_once_more_and_skip_nothing() {
    let pools: Vec<String> = (0..250).map(|i| format!("p{i:03}")).collect();
    let gone = ["p197", "p198", "p199"];
    // Full pages, as over a remote link (a server on this host is read in smaller ones).
    let scenario = Run::stale_pools(&pools)
        .remote_defaults()
        .delete_mid_listing(&gone);
    let ran = scenario.update_json(&["--all"]).run();
    let log = ran.served().fake.log();
    assert_eq!(
        listing_offsets(&log),
        [Some(0), Some(199), Some(0), Some(199)],
        "{:#?}",
        routes(&log)
    );
    let (lines, summary) = ran.by_pool();
    for name in pools.iter().filter(|p| !gone.contains(&p.as_str())) {
        assert_eq!(lines[name]["outcome"], "updated", "{name}; {}", ran);
    }
    // Each of the 250 listed once. A deleted one was updated if its round came before the
    // delete, else it failed as not found.
    assert_eq!(lines.len(), 250, "{}", ran);
    for name in gone {
        let outcome = &lines[name]["outcome"];
        assert!(
            outcome == "updated" || outcome == "failed",
            "{name}: {}",
            ran
        );
        if outcome == "failed" {
            let error = lines[name]["error"].as_str().unwrap_or_default();
            assert!(error.contains("not found"), "{name}: {error}");
        }
    }
    let (updated, failed) = (
        &summary["outcomes"]["updated"],
        &summary["outcomes"]["failed"],
    );
    assert_eq!(
        updated.as_u64().unwrap_or(0) + failed.as_u64().unwrap_or(0),
        250,
        "{}",
        ran
    );
}

/// `update p00 p01 ... p49` (50 names) whose read's window has passed when they are merged
/// (late defaults): one defaults GET, then three `POST
/// /work_pools/filter` by all 50 names (the read, the chunk's re-read before any PATCH and
/// its read-back after them) and one PATCH per pool; no listing page, no per-pool GET and
/// no CSRF token request. Exactly 54 requests (1.08 per updated pool), which the summary
/// reports.
#[test]
fn fifty_named_pools_cost_one_request_per_pool_and_five_more() {
    let pools = names(50);
    let scenario = Run::stale_pools(&pools).late_defaults();
    let (ran, summary) = run_all_updated(scenario, &pools, &pools);
    let log = ran.served().fake.log();
    let counts = routes(&log);

    assert_fixed_costs(&log, 50);
    assert!(
        of(&log, FILTER).iter().all(|s| s.names.is_some()),
        "no listing page; {counts:#?}"
    );
    assert_eq!(
        by_name_reads(&log),
        [pools.clone(), pools.clone(), pools.clone()],
        "the read, the re-read and the read-back; {counts:#?}"
    );
    let reads: Vec<&Seen> = of(&log, FILTER);
    assert_reads_around_the_patches(&log, reads[1], reads[2]);

    assert_requests(&ran, &summary, 1 + 3 + pools.len());
    let per_pool = log.len() as f64 / pools.len() as f64;
    assert!(per_pool <= 1.15, "{per_pool:.3} requests per updated pool");
}

fn applied_but_500() -> Patch {
    Patch::StoreAndReply(
        ResponseTemplate::new(500)
            .set_body_json(serde_json::json!({"exception_message": "Internal Server Error"})),
    )
}

/// A batch PATCH answered 500 that the server applied: the read-back finds the new template,
/// so the pool is `updated` with a note naming the error (not retried: one PATCH); the run
/// exits 0.
#[test]
fn a_500_whose_write_landed_is_updated_with_a_note() {
    let pools: Vec<String> = ["a", "b", "c"].map(String::from).into();
    let scenario = Run::stale_pools(&pools)
        .patches("b", vec![applied_but_500()])
        .retries(5);
    let (ran, _) = run_all_updated(scenario, &pools, &pools);
    ran.requests("PATCH /work_pools/b", 1);
    let (lines, _) = ran.by_pool();
    let note = lines["b"]["note"].as_str().unwrap_or_default();
    let error = format!("PATCH {}/work_pools/b returned 500", ran.api);
    assert!(
        note.contains(&error) && note.contains("holds the new template"),
        "note {note:?}; {}",
        ran
    );
    assert_eq!(lines["a"]["note"], Value::Null);
}

/// `update POOL` whose PATCH answers `patch`; asserts the pool was PATCHed once and read
/// twice (GET/PATCH/GET: the read, whose window the PATCH leaves in, and the read-back).
fn patch_then_read_back(patch: Patch) -> Output {
    let ran = Run::update_pool(0).patches(POOL, vec![patch]).run();
    ran.requests(POOL_PATCH, 1).requests(POOL_READ, 2);
    ran
}

/// The same for one pool (`update POOL`, GET/PATCH/GET): `updated`, and the note on its
/// line; exit 0.
#[test]
fn a_500_whose_write_landed_on_one_pool_is_updated_with_a_note() {
    let ran = patch_then_read_back(applied_but_500());
    ran.code(0)
        .stdout_has("k8s: updated (the server answered an error (PATCH ")
        .stdout_has("returned 500");
    assert_eq!(ran.stored(POOL), merged());
}

/// The contrast: a PATCH answered 500 that the server did not apply is read back too (a
/// second GET), found unchanged, and `failed` with the 500; no note, exit 1.
#[test]
fn a_500_whose_write_did_not_land_fails_after_the_read_back() {
    let ran = patch_then_read_back(Patch::Reply(detail(500, "db down")));
    ran.code(1)
        .stdout_ends("k8s: failed\n")
        .stderr_has("returned 500: db down");
    assert!(!ran.stdout.contains("holds the new template"), "{}", ran);
    assert_eq!(ran.stored(POOL), current());
}

/// `update --all` over 50 pools where `p17` is deleted after the listing, just before the
/// chunk's re-read (the listing's window had passed): `p17` is `failed` ("was not found",
/// never PATCHed, no backup), the other 49 are updated, exit 1.
#[test]
fn a_pool_deleted_before_the_re_read_fails_alone() {
    let pools = names(50);
    let ran = Run::stale_pools(&pools)
        .late_defaults()
        .vanish("p17")
        .update_json(&["--all"])
        .run();
    ran.code(1).requests("PATCH /work_pools/p17", 0);
    let (lines, summary) = ran.by_pool();
    assert_eq!(lines["p17"]["outcome"], "failed", "{}", ran);
    let want = format!("work pool \"p17\" was not found at {}", ran.api);
    let error = lines["p17"]["error"].as_str().unwrap_or_default();
    assert!(error.contains(&want), "{error}");
    let others: Vec<String> = pools.into_iter().filter(|n| n != "p17").collect();
    for name in &others {
        assert_eq!(lines[name]["outcome"], "updated", "{name}; {}", ran);
        assert_eq!(ran.stored(name), merged());
    }
    assert_eq!(summary["outcomes"]["updated"], 49);
    assert_eq!(summary["outcomes"]["failed"], 1);
    ran.backups(49);
    assert_eq!(ran.served().fake.stored("p17"), None);
}
