//! Interrupts on the real server: SIGINT mid-batch (sent once a first pool is upgraded)
//! stops new writes, finishes the ones in flight, prints the report so far and exits 130; a
//! write that never landed changes no three-way base, so the next run still shows its pool
//! as pending.

use crate::support::{api_url, create_pool, outcomes, read_template};
use crate::support::{stale_kubernetes as stale, unique};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

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
    let child = Command::new(env!("CARGO_BIN_EXE_poolsync"))
        .args(base_args(&[
            "--base",
            "none",
            "--max-rps",
            "4",
            "--concurrency",
            "2",
        ]))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", backups.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("poolsync starts");
    // Mid-batch: once the server holds a first upgraded pool (a busy server may answer the
    // first PATCHes 503, and no PATCH leaves after the signal).
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(60)
        && names.iter().all(|name| read_template(name) == stale())
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
    let out = child.wait_with_output().expect("poolsync ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    let (first, summary) = outcomes(&stdout);
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

    let rerun = Command::new(env!("CARGO_BIN_EXE_poolsync"))
        .args(base_args(&["--dry-run", "--base", "backup"]))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", backups.path())
        .output()
        .expect("poolsync runs");
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    let (second, _) = outcomes(&stdout);
    assert_eq!(second.len(), names.len(), "{stdout}");
    for (name, outcome) in &second {
        let want = match updated.contains(&name) {
            true => "up to date",
            false => "would change",
        };
        assert_eq!(outcome.replace('_', " "), want, "{name}: {stdout}");
    }
}
