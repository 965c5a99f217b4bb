//! Which default becomes a pool's three-way base, on the real server: only one that a
//! confirmed write used. A dry run, and a write that fails (a proxy in front of the real
//! server answers the PATCH with 503 or 422 and never forwards it), change no base; after a
//! rollback the base is the restored template's. Each time, the next run (whose base may
//! come only from backups) still shows the upgrade as pending. With the old behaviour (the
//! base recorded before the PATCH) each of these runs said "up to date" and never upgraded.

use crate::harness::Run;
use crate::harness::fixtures::files_under;
use crate::harness::live::{api_url, create_pool, read_template};
use crate::harness::live::{stale_kubernetes, unique};
use crate::harness::proxy;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `update POOL --output json` against `url` with `extra`; the exit code and the outcome.
fn update(url: &str, pool: &str, backups: &Path, extra: &[&str]) -> (i32, String) {
    update_retrying(url, pool, backups, extra, 5)
}

fn update_retrying(
    url: &str,
    pool: &str,
    backups: &Path,
    extra: &[&str],
    retries: u32,
) -> (i32, String) {
    let out = Run::new(["update", pool, "--output", "json", "--api-url", url])
        .backup_dir(backups)
        .args(extra)
        .env("PREFECT_CLIENT_MAX_RETRIES", retries.to_string())
        .server_home()
        .run();
    let (pools, _) = out.outcomes();
    let outcome = pools.get(pool).cloned();
    let outcome = outcome.unwrap_or_else(|| panic!("no outcome for {pool}: {out}"));
    (out.status.expect("exit code"), outcome)
}

/// What the next run would do, from backups only: `would_change` while the upgrade is
/// pending, `up_to_date` once a confirmed write carried it.
fn next_run(url: &str, pool: &str, backups: &Path) -> String {
    update(url, pool, backups, &["--dry-run", "--base", "backup"]).1
}

fn confirmed(backups: &Path) -> usize {
    let files = files_under(backups);
    let name = |p: &std::path::PathBuf| p.to_string_lossy().ends_with(".confirmed.json");
    files.iter().filter(|p| name(p)).count()
}

/// Every run of one pool goes through one proxy (backups are kept per server, so the runs
/// must name the same one); while `refuse` is set it answers each PATCH itself.
#[test]
fn a_dry_run_or_a_failed_write_changes_no_base() {
    let refusals = [
        (503, json!({"exception_message": "Service Unavailable"})),
        (422, json!({"detail": "refused by the test proxy"})),
    ];
    for (status, body) in refusals {
        let pool = unique(&format!("base-{status}"));
        create_pool(&pool, "kubernetes", &stale_kubernetes());
        let dir = tempfile::tempdir().expect("dir");
        let backups = dir.path();
        let refuse = Arc::new(AtomicBool::new(false));
        let url = {
            let (refuse, body) = (refuse.clone(), body.clone());
            proxy::forward(move |sent| {
                let refused = refuse.load(Ordering::SeqCst) && sent.line.starts_with("PATCH ");
                refused.then(|| (status, body.clone()))
            })
        };

        let (code, outcome) = update(&url, &pool, backups, &["--dry-run", "--base", "none"]);
        assert_eq!((code, outcome.as_str()), (0, "would_change"));
        assert!(files_under(backups).is_empty(), "a dry run wrote a backup");

        refuse.store(true, Ordering::SeqCst);
        // Retries would only meet the same refusal, later.
        let (code, outcome) = update_retrying(&url, &pool, backups, &["--base", "none"], 0);
        refuse.store(false, Ordering::SeqCst);
        assert_eq!((code, outcome.as_str()), (1, "failed"), "{status}");
        assert_eq!(
            read_template(&pool),
            stale_kubernetes(),
            "{status}: the write landed"
        );
        assert_eq!(
            files_under(backups).len(),
            1,
            "{status}: the backup before the PATCH"
        );
        assert_eq!(
            confirmed(backups),
            0,
            "{status}: a failed write was confirmed"
        );
        let next = next_run(&url, &pool, backups);
        assert_eq!(
            next, "would_change",
            "{status}: the failed write became the base"
        );

        // The same write, landed: now it is confirmed and the next run has nothing to do.
        let (code, outcome) = update(&url, &pool, backups, &["--base", "none"]);
        assert_eq!((code, outcome.as_str()), (0, "updated"));
        assert_eq!(confirmed(backups), 1);
        assert_eq!(next_run(&url, &pool, backups), "up_to_date");
    }
}

#[test]
fn after_a_rollback_the_base_is_the_restored_templates() {
    let pool = unique("base-rollback");
    create_pool(&pool, "kubernetes", &stale_kubernetes());
    let dir = tempfile::tempdir().expect("dir");
    let backups = dir.path();
    let (code, outcome) = update(api_url(), &pool, backups, &["--base", "none"]);
    assert_eq!((code, outcome.as_str()), (0, "updated"));
    assert_eq!(next_run(api_url(), &pool, backups), "up_to_date");

    Run::new(["rollback", &pool, "--latest"])
        .backup_dir(backups)
        .live()
        .run()
        .code(0);
    assert_eq!(read_template(&pool), stale_kubernetes());
    // The restored template was never synced from today's default: the upgrade is pending
    // again (with today's default as base, the missing variable would read as deleted).
    assert_eq!(next_run(api_url(), &pool, backups), "would_change");
    let template: Value = read_template(&pool);
    assert!(
        template["variables"]["properties"]
            .get("finished_job_ttl")
            .is_none()
    );
}
