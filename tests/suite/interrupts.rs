//! Interrupts. On the fake API, SIGINT cuts every wait (issue 17): during a `429` storm
//! (`Retry-After: 5`) or a slow `--max-rps` the run ends within a couple of seconds, exit
//! 130, with the report, and no PATCH reaches the server after the signal (before the fix
//! the run kept waiting out every pause, and PATCHes left after it). On the real server,
//! SIGINT mid-batch (sent once a first pool is upgraded) stops new writes, finishes the ones
//! in flight, prints the report so far and exits 130; a write that never landed changes no
//! three-way base, so the next run still shows its pool as pending.

use crate::harness::live::{api_url, create_pool, read_template};
use crate::harness::live::{stale_kubernetes as stale, unique};
use crate::harness::{Output, Run};
use serde_json::json;
use std::time::Duration;

/// `n` stale pools.
fn pools(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

/// The run ended within 3 s of SIGINT, exit 130, its summary names the signal, and no
/// PATCH arrived after the signal.
#[track_caller]
fn cut_short(ran: &Output) {
    ran.code(130);
    assert!(
        ran.elapsed < Duration::from_secs(3),
        "{:?} after SIGINT; {}",
        ran.elapsed,
        ran
    );
    let (_, summary) = ran.by_pool();
    assert_eq!(summary["interrupted"], "SIGINT", "{}", ran);
    let signalled = ran.signalled.expect("signalled");
    let log = ran.served().fake.log();
    let late: Vec<String> = log
        .iter()
        .filter(|s| s.route.starts_with("PATCH") && s.at > signalled)
        .map(|s| s.route.clone())
        .collect();
    assert!(late.is_empty(), "PATCHes after SIGINT: {late:?}");
}

/// A `429` storm from the third PATCH on, `Retry-After: 5` for 20 s: SIGINT 1.5 s in.
#[test]
fn sigint_cuts_a_429_storm() {
    let ran = Run::stale_pools(&pools(20))
        .storm(2, Duration::from_secs(20), "5")
        .retries(5)
        .update_json(&["--all"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run();
    cut_short(&ran);
    let throttled = ran
        .served()
        .fake
        .log()
        .iter()
        .any(|s| s.pushback == Some(429));
    assert!(throttled, "the storm began before the signal; {}", ran);
}

/// `--max-rps 0.05` (a request every 20 s): SIGINT 1.5 s in, while the run waits its pace.
#[test]
fn sigint_cuts_the_pace() {
    let ran = Run::stale_pools(&pools(3))
        .update_json(&["--all", "--max-rps", "0.05"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run();
    cut_short(&ran);
}

/// SIGINT while a paced batch writes: exit 130 with a JSON report of the pools reached;
/// then a dry run whose base may come only from backups shows every pool that was not
/// updated as still pending (its backup, if written, was never confirmed), and every
/// updated one as up to date.
#[test]
fn sigint_mid_batch_reports_and_poisons_no_base() {
    let prefix = unique("sigint");
    let names: Vec<String> = (0..24).map(|i| format!("{prefix}-{i:02}")).collect();
    for name in &names {
        create_pool(name, "kubernetes", &stale());
    }
    let backups = tempfile::tempdir().expect("backup dir");
    let glob = format!("{prefix}-*");
    let base_args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["update", "--all", "--type", "kubernetes", "--name", &glob]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--api-url", api_url(), "--output", "json", "--backup-dir"].map(String::from));
        args.push(backups.path().display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    // Mid-batch: once the server holds a first upgraded pool (a busy server may answer the
    // first PATCHes 503, and no PATCH leaves after the signal).
    let watched = names.clone();
    let out = Run::new(base_args(&[
        "--base",
        "none",
        "--max-rps",
        "4",
        "--concurrency",
        "2",
    ]))
    .home(backups.path())
    .no_timeout()
    .signal_once(
        move || !watched.iter().all(|name| read_template(name) == stale()),
        libc::SIGINT,
    )
    .run();
    let stdout = out.stdout.clone();
    out.code(130);
    let (first, summary) = out.outcomes();
    assert_eq!(summary["interrupted"], json!("SIGINT"), "{stdout}");
    let updated: Vec<&String> = first
        .iter()
        .filter(|(_, o)| *o == "updated")
        .map(|(n, _)| n)
        .collect();
    assert!(
        !updated.is_empty(),
        "some pools were written before the signal: {stdout}"
    );
    assert!(
        updated.len() < names.len(),
        "the signal came before the end: {stdout}"
    );
    assert!(
        first.values().all(|o| o == "updated" || o == "skipped"),
        "only updated or skipped (interrupted): {stdout}"
    );

    let rerun = Run::new(base_args(&["--dry-run", "--base", "backup"]))
        .home(backups.path())
        .no_timeout()
        .run();
    let stdout = rerun.stdout.clone();
    let (second, _) = rerun.outcomes();
    assert_eq!(second.len(), names.len(), "{stdout}");
    for (name, outcome) in &second {
        let want = match updated.contains(&name) {
            true => "up to date",
            false => "would change",
        };
        assert_eq!(outcome.replace('_', " "), want, "{name}: {stdout}");
    }
}
