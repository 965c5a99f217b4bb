//! The fault matrix of one pool's safe write: a server that throttles, fails, times out,
//! cuts a body short, sends garbage, changes the pool under poolsync or stores something
//! else than what was sent, and a backup folder that cannot be written. Every case checks
//! that nothing partial was written (no PATCH, or a PATCH of exactly the merged template),
//! that the error names the pool and the cause, that a backup exists exactly when a PATCH
//! was attempted, and the exit code. Batch faults are in `batch_faults.rs`; replies cut
//! short on the wire in `cut_replies.rs`.

use crate::harness::fake::{CSRF_TOKEN, POOL_PATCH, POOL_READ, Patch, Read};
use crate::harness::fixtures::{POOL, current, detail, merged, pool_body};
use crate::harness::{Output, Run};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use wiremock::ResponseTemplate;

/// Exactly `n` backup files, each of POOL as read, with the merged template.
#[track_caller]
fn assert_backups(ran: &Output, n: usize) -> Vec<PathBuf> {
    let files = ran.backups(n);
    for file in &files {
        let pool_dir = file.parent().and_then(Path::file_name);
        let folder = poolsync::backup::pool_folder(POOL);
        assert_eq!(pool_dir, Some(folder.as_ref()), "{}", file.display());
        let saved: Value =
            serde_json::from_slice(&std::fs::read(file).expect("backup")).expect("json");
        assert_eq!(saved["pool"]["name"], POOL);
        assert_eq!(saved["pool"]["base_job_template"], current());
        assert_eq!(saved["merged"], merged());
    }
    files
}

/// 429 with `Retry-After: 1` on the PATCH, then 204: waited out, updated, one backup.
#[test]
fn patch_429_with_retry_after_then_204_updates() {
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    let ran = Run::update_pool(1)
        .patches(POOL, vec![Patch::Reply(throttled), Patch::Store])
        .run();
    ran.code(0).stdout_ends(&format!("{POOL}: updated\n"));
    assert!(ran.elapsed >= Duration::from_millis(950), "{}", ran);
    ran.patched_merged(POOL, 2);
    assert_backups(&ran, 1);
    assert_eq!(ran.stored(POOL), merged());
}

/// 500 on the PATCH is not retried: failed, exit 1, the error names the pool's URL, the
/// status and the detail; the backup of the attempted write exists.
#[test]
fn patch_500_is_not_retried_and_leaves_a_backup() {
    let ran = Run::update_pool(5)
        .patches(POOL, vec![Patch::Reply(detail(500, "db exploded"))])
        .run();
    ran.code(1)
        .stdout_ends(&format!("{POOL}: failed\n"))
        .stderr_has(&format!(
            "PATCH {}/work_pools/{POOL} returned 500: db exploded",
            ran.api
        ));
    ran.patched_merged(POOL, 1);
    assert_backups(&ran, 1);
    assert_eq!(ran.stored(POOL), current());
}

/// 502 / 503 on the PATCH forever with `PREFECT_CLIENT_MAX_RETRIES=1`: exactly two PATCHes
/// of the merged template, failed, exit 1, one backup (one write attempt, retried).
#[test]
fn patch_502_and_503_forever_stop_after_max_retries() {
    for statuses in [[502, 502], [503, 503], [502, 503]] {
        let replies = statuses
            .iter()
            .map(|s| Patch::Reply(ResponseTemplate::new(*s).insert_header("Retry-After", "0")))
            .collect();
        let ran = Run::update_pool(1).patches(POOL, replies).run();
        ran.code(1).stderr_has(&format!(
            "PATCH {}/work_pools/{POOL} returned {}",
            ran.api, statuses[1]
        ));
        ran.patched_merged(POOL, 2);
        assert_backups(&ran, 1);
        assert_eq!(ran.stored(POOL), current(), "{statuses:?}");
    }
}

/// A PATCH answered slower than `--timeout 0.5`, retries off: failed, exit 1, the error
/// says it timed out; a backup exists (the write was sent and may have landed).
#[test]
fn patch_slower_than_timeout_fails_after_the_backup() {
    let slow = ResponseTemplate::new(204).set_delay(Duration::from_secs(3));
    let ran = Run::update_pool(0)
        .patches(POOL, vec![Patch::Reply(slow)])
        .args(["--timeout", "0.5"])
        .run();
    ran.code(1)
        .stderr_has(&format!("PATCH {}/work_pools/{POOL} failed", ran.api))
        .stderr_has("timed out");
    assert!(ran.elapsed < Duration::from_millis(2500), "{}", ran);
    ran.patched_merged(POOL, 1);
    assert_backups(&ran, 1);
}

/// Malformed JSON from the defaults endpoint: exit 1, the error names its URL, no PATCH,
/// no backup.
#[test]
fn malformed_defaults_json_writes_nothing() {
    let garbage =
        ResponseTemplate::new(200).set_body_raw(r#"{"prefect-kubernetes": {"#, "text/json");
    let ran = Run::update_pool(0).defaults_reply(garbage).run();
    ran.code(1)
        .stderr_has(&format!(
            "GET {}{}",
            ran.api,
            crate::harness::fake::DEFAULTS
        ))
        .stderr_has("not valid json")
        .stdout_ends(&format!("{POOL}: failed\n"))
        .requests(POOL_PATCH, 0);
    assert_backups(&ran, 0);
}

/// A stored `base_job_template` that is not an object (string, list, number, null, or
/// absent from the pool body) fails naming the pool and "not an object"; nothing written.
#[test]
fn template_that_is_not_an_object_fails_naming_the_pool() {
    let absent = json!({"name": POOL, "type": "kubernetes", "updated": "2024-01-01T00:00:00Z"});
    let cases = [
        ("string", pool_body(POOL, "kubernetes", &json!("{}"), "t")),
        (
            "array",
            pool_body(POOL, "kubernetes", &json!([current()]), "t"),
        ),
        ("number", pool_body(POOL, "kubernetes", &json!(7), "t")),
        ("null", pool_body(POOL, "kubernetes", &Value::Null, "t")),
        ("null", absent),
    ];
    for (kind, body) in cases {
        let reply = Read::Reply(ResponseTemplate::new(200).set_body_json(&body));
        let ran = Run::update_pool(0).reads(POOL, vec![reply]).run();
        ran.code(1)
            .stderr_has(&format!(
                "base_job_template of work pool \"{POOL}\": is a json {kind}, not an object"
            ))
            .stdout_ends(&format!("{POOL}: failed\n"))
            .requests(POOL_READ, 1)
            .requests(POOL_PATCH, 0);
        assert_backups(&ran, 0);
    }
}

/// A stored template without `variables` gets the default's sections merged in: its own
/// `{{ image }}` is defined by the default, so the result passes the server's rule and is
/// pushed (exactly the merge, here the default itself) with a backup.
#[test]
fn template_without_variables_takes_the_defaults_sections() {
    let stored = json!({"job_configuration": {"image": "{{ image }}"}});
    let want = crate::harness::fixtures::newer_default();
    let ran = Run::fake().pool(POOL, stored).args(["update", POOL]).run();
    ran.code(0).requests(POOL_PATCH, 1);
    assert_eq!(ran.patch_bodies(POOL), [json!({"base_job_template": want})]);
    assert_eq!(ran.stored(POOL), want);
    ran.backups(1);
}

/// A stored template without `variables` whose job configuration uses a placeholder the
/// default does not define: the merge would break the server's rule, so the pool is
/// invalid, the placeholder is named, and nothing is written or backed up.
#[test]
fn template_without_variables_and_an_unknown_placeholder_is_invalid() {
    let stored = json!({"job_configuration": {"image": "{{ image }}", "gpu": "{{ gpu }}"}});
    let ran = Run::fake()
        .pool(POOL, stored.clone())
        .args(["update", POOL])
        .run();
    ran.code(1)
        .stdout_ends(&format!("{POOL}: invalid, nothing sent\n"))
        .stderr_has(&format!(
            "merged template for work pool \"{POOL}\" is invalid"
        ))
        .stderr_has("gpu")
        .requests(POOL_READ, 1)
        .requests(POOL_PATCH, 0);
    assert_eq!(ran.stored(POOL), stored);
    ran.backups(0);
}

/// The read-back after the PATCH holds something else: failed, exit 1, the error says
/// the server holds something else and names the backup file, which exists.
#[test]
fn read_back_mismatch_fails_naming_the_backup() {
    let mut other = merged();
    other["variables"]["properties"]["cpu"]["default"] = json!("250m");
    let read_back = crate::harness::fixtures::pool_reply(POOL, "kubernetes", &other);
    let ran = Run::update_pool(0)
        .reads(POOL, vec![Read::Stored, Read::Reply(read_back)])
        .run();
    let backup = assert_backups(&ran, 1).remove(0);
    ran.code(1)
        .stderr_has(&format!(
            "work pool \"{POOL}\" does not hold what poolsync sent"
        ))
        .stderr_has("250m")
        .stderr_has(&backup.display().to_string())
        .stdout_ends(&format!("{POOL}: failed\n"))
        .requests(POOL_READ, 2);
    ran.patched_merged(POOL, 1);
}

/// A server that stores JSON with its own key order (PostgreSQL's JSONB sorts keys by
/// length) reads back the same template reordered: that is not a mismatch, it is updated.
#[test]
fn read_back_with_other_key_order_is_not_a_mismatch() {
    let reordered = r#"{"name": "k8s", "type": "kubernetes", "updated": "2024-01-02T00:00:00Z",
        "base_job_template": {"variables": {"properties": {"cpu": {"default": "500m",
        "type": "string"}, "image": {"default": "registry.example.com/flows:2",
        "type": "string"}}, "type": "object"}, "job_configuration": {"cpu": "{{ cpu }}",
        "image": "{{ image }}"}}}"#;
    let read_back: Value = serde_json::from_str(reordered).expect("json");
    assert_eq!(read_back["base_job_template"], merged(), "same template");
    let raw = ResponseTemplate::new(200).set_body_raw(reordered, "application/json");
    let ran = Run::update_pool(0)
        .reads(POOL, vec![Read::Stored, Read::Stored, Read::Reply(raw)])
        .run();
    ran.code(0).stdout_ends(&format!("{POOL}: updated\n"));
    ran.patched_merged(POOL, 1);
    assert_backups(&ran, 1);
}

/// `--backup-dir` pointing at a regular file: the backup cannot be written, so nothing is
/// sent (no CSRF token, no PATCH); failed, exit 1, the error names the path.
#[test]
fn unwritable_backup_dir_sends_no_patch() {
    let dir = TempDir::new().expect("dir");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").expect("blocker");
    let ran = Run::update_pool(0).backup_dir(&blocker).run();
    ran.code(1)
        .stderr_has("failed to write backup")
        .stderr_has(&blocker.display().to_string())
        .stdout_ends(&format!("{POOL}: failed\n"))
        .requests(POOL_PATCH, 0)
        .requests(CSRF_TOKEN, 0);
    assert_eq!(std::fs::read_to_string(&blocker).expect("blocker"), "x");
    assert_eq!(ran.stored(POOL), current());
}

/// The pool changed between the read and the re-read before the write (a new `updated`
/// and template, or only a new template): conflict, exit 1, no PATCH, no backup, and the
/// message says the pool changed and to run again.
#[test]
fn concurrent_edit_is_a_conflict_without_a_write() {
    let mut edited = current();
    edited["variables"]["properties"]["image"]["default"] = json!("someone/else:3");
    let cases = [
        (
            "2024-06-01T12:00:00Z",
            "updated 2024-01-01T00:00:00Z -> 2024-06-01T12:00:00Z",
        ),
        ("2024-01-01T00:00:00Z", "its base job template changed"),
    ];
    for (updated, what) in cases {
        let ran = Run::update_pool(0)
            .late_defaults()
            .reads(
                POOL,
                vec![Read::Stored, Read::EditedBy(edited.clone(), updated)],
            )
            .run();
        ran.code(1)
            .stdout_ends(&format!("{POOL}: conflict, nothing sent\n"))
            .stderr_has(&format!(
                "work pool \"{POOL}\" changed on the server while poolsync worked on it ({what}); nothing was written; run poolsync again"
            ))
            .requests(POOL_READ, 2)
            .requests(POOL_PATCH, 0);
        assert_eq!(
            ran.stored(POOL),
            edited,
            "the other writer's template stays"
        );
        assert_backups(&ran, 0);
    }
}

/// `rollback POOL --to FILE` when the pool changes between rollback's read and its re-read:
/// conflict, exit 1, no PATCH, no new backup.
#[test]
fn rollback_conflict_writes_nothing() {
    let saved_dir = TempDir::new().expect("dir");
    let file = saved_dir.path().join("k8s-backup.json");
    let write_to = file.clone();
    let ran = Run::fake()
        .pool(POOL, merged())
        .reads(
            POOL,
            vec![
                Read::EditedBy(merged(), "2024-02-01T00:00:00Z"),
                Read::EditedBy(
                    crate::harness::fixtures::newer_default(),
                    "2024-03-01T00:00:00Z",
                ),
            ],
        )
        .prepare(move |api| {
            let backup = json!({
                "poolsync_backup": 1, "created": "2024-01-01T00:00:00+00:00", "api_url": api,
                "pool": pool_body(POOL, "kubernetes", &current(), "2024-01-01T00:00:00Z"),
                "default": crate::harness::fixtures::newer_default(), "merged": merged()
            });
            std::fs::write(&write_to, backup.to_string()).expect("backup file");
        })
        .args(["rollback", POOL, "--to", &file.display().to_string()])
        .run();
    ran.code(1)
        .stderr_has(&format!(
            "work pool \"{POOL}\" changed on the server while poolsync worked on it (updated 2024-02-01T00:00:00Z -> 2024-03-01T00:00:00Z); nothing was written"
        ))
        .requests(POOL_READ, 2)
        .requests(POOL_PATCH, 0);
    assert!(!ran.stdout.contains("rolled back"), "{}", ran);
    assert_backups(&ran, 0);
}
