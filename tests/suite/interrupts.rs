//! Interrupts on the real server: SIGINT mid-batch (sent once a first pool is upgraded)
//! stops new writes, finishes the ones in flight, prints the report so far and exits 130; a
//! write that never landed changes no three-way base, so the next run still shows its pool
//! as pending.

use crate::harness::Run;
use crate::harness::live::{api_url, create_pool, read_template};
use crate::harness::live::{stale_kubernetes as stale, unique};
use serde_json::json;

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
