//! Pushback (issue 8): a 429 storm every worker waits out, 503s that lower the writes in
//! flight and successes that raise them again, `--max-rps` and `POOLSYNC_MAX_RPS`.

use super::{names, patches, routes, run_all_updated, secs};
use crate::harness::Run;
use crate::harness::fake::pushback::Seen;
use std::time::Duration;

/// Pools worked on at once and writes in flight (`--concurrency`'s default).
const CONCURRENCY: usize = 8;

/// A 429 storm on `n` pools: from the fifth PATCH on, the fake answers every request 429
/// with `Retry-After: 1` for one second, and holds the PATCHes it accepts 300 ms, so their
/// workers are free again in the middle of the storm. Every worker waits the pause out:
/// after the first 429 only requests already sent arrive (within 150 ms of it), at most
/// [`CONCURRENCY`] PATCHes that were not answered before it arrive before the pause ends (the
/// writes that can be in flight; a round's first PATCH, which goes alone while the run is
/// unpaced, may be answered before),
/// and the first request after it is answered. Nothing fails, every pool is PATCHed once,
/// and the summary counts each 429 the fake sent and at least the second waited.
fn storm(n: usize) {
    let pools = names(n);
    let scenario = Run::stale_pools(&pools)
        .storm(4, Duration::from_secs(1), "1")
        .hold_patches(Duration::from_millis(300));
    let (ran, summary) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();

    let throttled: Vec<&Seen> = log.iter().filter(|s| s.pushback == Some(429)).collect();
    let start = throttled.first().expect("the storm threw 429s").at;
    let end = start + Duration::from_secs(1);
    let during: Vec<String> = log
        .iter()
        .filter(|s| s.at > start && s.at < end)
        .map(|s| format!("{:.3} {}", secs(start, s.at), s.route))
        .collect();
    let late = log
        .iter()
        .filter(|s| s.at > start && s.at < end)
        .any(|s| secs(start, s.at) >= 0.150);
    let patches = (patches(&log).iter())
        .filter(|s| s.at < end && s.done >= start)
        .count();
    assert!(
        !late && during.len() <= CONCURRENCY && patches <= CONCURRENCY,
        "{patches} PATCHes before the pause ended; requests during it, seconds after the \
         first 429: {during:#?}"
    );
    let after = log
        .iter()
        .find(|s| s.at >= end)
        .expect("requests after the storm");
    assert!(
        after.pushback.is_none(),
        "the first request after the storm was throttled"
    );

    assert_eq!(summary["throttled"], throttled.len(), "{}", ran);
    assert!(
        summary["retries"].as_u64() >= Some(throttled.len() as u64),
        "{}",
        ran
    );
    let waited = summary["waited_seconds"].as_f64().unwrap_or_default();
    assert!(
        waited >= 0.95 && waited <= ran.elapsed.as_secs_f64(),
        "waited_seconds {waited}; {}",
        ran
    );
    assert_eq!(summary["outcomes"]["failed"], 0);
}

/// [`storm`] on 20 pools: one chunk, whose PATCHes all hold a write slot when the 429 comes.
#[test]
fn a_429_storm_pauses_every_worker() {
    storm(20);
}

/// [`storm`] on 60 pools: two chunks in flight (50 and 10), so PATCHes of the second wait
/// for a write slot when the 429 comes; they must wait out the pause too.
#[test]
fn a_429_storm_pauses_writes_waiting_for_a_slot() {
    storm(60);
}

/// A 503 to one write among many in flight on 60 pools (the fake holds each PATCH 30 ms, so
/// the slow start reaches eight writes in flight; the first PATCH to arrive with six in
/// flight is refused, whenever a slow machine gets there): the writes in flight come down
/// (the limit, six to eight, halves) and successes raise them again, past where they came
/// down to. One write of six or more refused is no sign of a one-writer server: nothing is
/// settled. (A 503 to the second of two writes is: `collisions.rs`.) Every pool is updated,
/// each accepted once.
#[test]
fn a_503_lowers_the_writes_in_flight_and_successes_raise_them() {
    let pools = names(60);
    let scenario = Run::stale_pools(&pools)
        .refuse_at_level(6)
        .hold_patches(Duration::from_millis(30))
        .retries(6);
    let (ran, _) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();

    let patches = patches(&log);
    // How many PATCHes were at the server when each arrived (itself included).
    let in_flight: Vec<usize> = patches
        .iter()
        .map(|p| {
            1 + patches
                .iter()
                .filter(|o| o.at < p.at && o.done > p.at)
                .count()
        })
        .collect();
    let profile: Vec<String> = patches
        .iter()
        .zip(&in_flight)
        .map(|(p, n)| format!("{n}{}", if p.pushback.is_some() { "x" } else { "" }))
        .collect();
    let refused = patches
        .iter()
        .position(|p| p.pushback == Some(503))
        // The fake refuses only a PATCH that arrives with six in flight: the slow start grew.
        .unwrap_or_else(|| panic!("the slow start never reached six in flight: {profile:?}"));
    let level = in_flight[refused];
    // The PATCHes sent once the 503 was answered and taken in (20 ms: on a loaded machine
    // the client can take that long to read the answer, and what it sent meanwhile was sent
    // at the old limit), in flights: each PATCH held 30 ms, a flight's writes end together
    // and the next flight starts low again, so a flight is a run of rising counts.
    let answered = patches[refused].done + Duration::from_millis(20);
    let sent_after: Vec<usize> = patches
        .iter()
        .zip(&in_flight)
        .filter(|(p, _)| p.at > answered)
        .map(|(_, n)| *n)
        .collect();
    let flights: Vec<usize> = sent_after
        .chunk_by(|a, b| b > a)
        .map(|flight| flight.iter().copied().max().unwrap_or_default())
        .collect();
    let (first, later) = flights.split_first().expect("PATCHes after the 503");
    // The limit halved (to three or four) and the first flight's successes raise it by
    // one at most.
    assert!(
        *first < level,
        "the writes in flight came down: {profile:?}"
    );
    assert!(
        later.iter().any(|f| f > first),
        "successes raised them again: {profile:?}"
    );
}

/// A run paced at 5 requests per second (`--max-rps 5` or `POOLSYNC_MAX_RPS=5`) on `n`
/// pools, against a fake that allows 5 requests per second (a token bucket, three at once:
/// a write waits for the CSRF probe it triggered, so those two arrive together) and answers
/// 429 above it: no request is throttled, the requests arrive at least 0.18 s apart on
/// average (0.2 s less jitter), and every pool is updated.
fn paced_at_5(n: usize, scenario: fn(Run) -> Run, flags: &[&str]) {
    let pools = names(n);
    let args = [&["--all"], flags].concat();
    let scenario = scenario(Run::stale_pools(&pools).bucket(5.0, 3.0));
    let (ran, summary) = run_all_updated(scenario, &args, &pools);
    let log = ran.served().fake.log();
    let throttled = log.iter().filter(|s| s.pushback.is_some()).count();
    assert_eq!(throttled, 0, "{:#?}", routes(&log));
    assert_eq!(summary["throttled"], 0);
    let span = secs(log[0].at, log[log.len() - 1].at);
    let gap = span / (log.len() - 1) as f64;
    assert!(
        gap >= 0.18,
        "{} requests in {span:.2} s: {gap:.3} s apart on average",
        log.len()
    );
}

/// [`paced_at_5`] with `--max-rps 5` on 20 pools.
#[test]
fn max_rps_spaces_the_requests_and_needs_no_429() {
    paced_at_5(20, |s| s, &["--max-rps", "5"]);
}

/// [`paced_at_5`] with `POOLSYNC_MAX_RPS=5` on 8 pools.
#[test]
fn max_rps_from_the_environment_paces_too() {
    paced_at_5(8, |s| s.env("POOLSYNC_MAX_RPS", "5"), &[]);
}

/// A single early 429 does not pin the pace far below what the server allows: `--max-rps 5`
/// on 20 pools against a bucket of 5 per second, two at once (the CSRF probe and the write
/// that triggered it may arrive together, so one request in the first second may be throttled).
/// From the first request after that pause to the end (a later 429 and its pause included:
/// the clocks of the bucket and the pacer can drift apart), they still arrive at most 0.3 s
/// apart on average (at least two thirds of the budget); nothing fails.
#[test]
fn an_early_429_keeps_the_pace_near_the_budget() {
    let pools = names(20);
    let scenario = Run::stale_pools(&pools).bucket(5.0, 2.0);
    let (ran, _) = run_all_updated(scenario, &["--all", "--max-rps", "5"], &pools);
    let log = ran.served().fake.log();
    // Paced writes that book their slots may get no 429 at all; then the pace is measured
    // from the first request.
    let after = match log.iter().position(|s| s.pushback.is_some()) {
        Some(first) => &log[first + 1..],
        None => &log[..],
    };
    let gap = secs(after[0].at, after[after.len() - 1].at) / (after.len() - 1) as f64;
    assert!(
        gap <= 0.3,
        "{} requests after the first 429, {gap:.3} s apart on average",
        after.len()
    );
}

/// A short backoff (a lone write's `503`: one second, +-20%) that only the refused pool
/// waits out, the 19 others of 20 written meanwhile within their listing's window: they are
/// not read back on their own (each time the loop found nothing else to send, it used to
/// read back what was sent: four reads); the refused pool's re-read after the backoff reads
/// them back, and the last read-back that pool: two reads in all, both after the backoff.
#[test]
fn a_short_backoff_leaves_the_read_back_to_the_re_read_after_it() {
    let pools = names(20);
    let scenario = Run::stale_pools(&pools).refuse_at_level(1).retries(6);
    let (ran, _) = run_all_updated(scenario, &["--all"], &pools);
    let log = ran.served().fake.log();

    let refused = log.iter().find(|s| s.pushback == Some(503));
    let start = refused.expect("the fake answered a 503").at;
    let read = |s: &&Seen| s.names.is_some() || s.route.starts_with("GET /work_pools/");
    let reads: Vec<&Seen> = log.iter().filter(read).collect();
    let when: Vec<String> = (reads.iter())
        .map(|s| format!("{:.3} s: {} {:?}", secs(start, s.at), s.route, s.names))
        .collect();
    assert_eq!(reads.len(), 2, "reads after the 503: {when:#?}");
    assert!(
        reads
            .iter()
            .all(|s| s.at >= start + Duration::from_millis(750)),
        "no read during the backoff: {when:#?}"
    );
    let first = reads[0].names.as_ref().map_or(0, Vec::len);
    assert_eq!(
        first,
        pools.len(),
        "the re-read reads back the 19: {when:#?}"
    );
}
