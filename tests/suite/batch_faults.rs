//! The fault matrix of batches (`update --all` and several named pools): one pool's fault
//! (deleted, edited concurrently, refused with 422 or 403, reserved) ends that pool only and
//! the others are updated; a defaults endpoint that is down fails every pool without a
//! write. Every case checks the PATCHes that reached the server (only of the healthy pools,
//! each exactly the merged template), each pool's outcome and reason in `--output json`,
//! the summary counts, the backups (exactly one per attempted write), the final server
//! state and the exit code. How poolsync reads the pools (one GET each or filter-by-names)
//! is not asserted: the fake's scripted reads hold either way.

use crate::harness::fake::{DEFAULTS, Patch, Read};
use crate::harness::fixtures::{current, detail, merged};
use crate::harness::{Output, Run};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wiremock::ResponseTemplate;

/// The summary's outcome counts that are not zero.
fn counts(summary: &Value) -> BTreeMap<String, u64> {
    summary["outcomes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, n)| n.as_u64().filter(|n| *n != 0).map(|n| (k.clone(), n)))
        .collect()
}

fn want_counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

/// Exactly one PATCH per pool in `names` (none for the others of `all`), each of the
/// merged template.
#[track_caller]
fn assert_patched(ran: &Output, all: &[&str], names: &[&str]) {
    for name in all {
        ran.patched_merged(name, usize::from(names.contains(name)));
    }
}

/// The pools with a backup (one file each, in the pool's own folder), by recorded name, sorted.
#[track_caller]
fn backed_up(ran: &Output, n: usize) -> Vec<String> {
    let files = ran.backups(n);
    let mut pools: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let saved: Value = serde_json::from_slice(&std::fs::read(f).ok()?).ok()?;
            let name = saved["pool"]["name"].as_str()?.to_string();
            let folder = f.parent()?.file_name()?.to_string_lossy().into_owned();
            assert_eq!(
                folder,
                poolsync::backup::pool_folder(&name),
                "{}",
                f.display()
            );
            Some(name)
        })
        .collect();
    pools.sort();
    pools.dedup();
    assert_eq!(pools.len(), n, "more than one backup of a pool: {files:?}");
    pools
}

fn error(pools: &BTreeMap<String, Value>, name: &str) -> String {
    pools[name]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A pool listed by `--all` but deleted before its re-read (404; the listing's window had
/// passed, so its PATCH waits for one): that pool failed ("was not found"), the others are
/// updated, exit 1, and the summary counts both.
#[test]
fn pool_deleted_between_list_and_update() {
    let ran = Run::stale_pools(&["a", "b", "c"])
        .late_defaults()
        .reads("b", vec![Read::Stored, Read::Deleted])
        .update_json(&["--all"])
        .run();
    ran.code(1);
    let (pools, summary) = ran.by_pool();
    assert_eq!(pools["a"]["outcome"], "updated", "{}", ran);
    assert_eq!(pools["c"]["outcome"], "updated", "{}", ran);
    assert_eq!(pools["b"]["outcome"], "failed", "{}", ran);
    let want = format!("work pool \"b\" was not found at {}", ran.api);
    assert!(error(&pools, "b").contains(&want), "{}", ran);
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("failed", 1)])
    );
    assert_patched(&ran, &["a", "b", "c"], &["a", "c"]);
    assert_eq!(backed_up(&ran, 2), ["a", "c"]);
    assert_eq!(ran.served().fake.stored("b"), None);
    assert_eq!(ran.stored("a"), merged());
}

/// One pool of a batch changes between the listing and its re-read (the listing's window
/// had passed): conflict with the "run poolsync again" message, no PATCH or backup for it;
/// the others are updated.
#[test]
fn concurrent_edit_in_a_batch_spares_the_other_pools() {
    let mut edited = current();
    edited["job_configuration"]["image"] = json!("fixed:1");
    let ran = Run::stale_pools(&["a", "b", "c"])
        .late_defaults()
        .reads(
            "b",
            vec![
                Read::Stored,
                Read::EditedBy(edited.clone(), "2024-05-05T05:05:05Z"),
            ],
        )
        .update_json(&["--all"])
        .run();
    ran.code(1);
    let (pools, summary) = ran.by_pool();
    assert_eq!(pools["b"]["outcome"], "conflict", "{}", ran);
    let error = error(&pools, "b");
    assert!(
        error.contains("work pool \"b\" changed on the server")
            && error.contains("2024-05-05T05:05:05Z")
            && error.contains("nothing was written; run poolsync again"),
        "{error}"
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("conflict", 1)])
    );
    assert_patched(&ran, &["a", "b", "c"], &["a", "c"]);
    assert_eq!(backed_up(&ran, 2), ["a", "c"]);
    assert_eq!(ran.stored("b"), edited, "the other writer's template stays");
}

/// A 422 with the server's `exception_detail` on one pool's PATCH: that pool failed with
/// the `msg` text (not retried; its backup exists, a write was attempted); others updated.
#[test]
fn patch_422_in_a_batch_fails_that_pool_only() {
    let invalid = ResponseTemplate::new(422).set_body_json(json!({
        "exception_message": "Invalid request received.",
        "exception_detail": [{"loc": ["body", "base_job_template"],
            "msg": "Value error, The variables specified in the job configuration template must be present as properties in the variables schema.",
            "type": "value_error"}],
        "request_body": {}
    }));
    let ran = Run::stale_pools(&["a", "b", "c"])
        .patches("b", vec![Patch::Reply(invalid)])
        .retries(5)
        .update_json(&["a", "b", "c"])
        .run();
    ran.code(1);
    let (pools, summary) = ran.by_pool();
    assert_eq!(pools["b"]["outcome"], "failed", "{}", ran);
    let error = error(&pools, "b");
    let head = format!("PATCH {}/work_pools/b returned 422", ran.api);
    assert!(error.starts_with(&head), "{error}");
    assert!(
        error.contains(
            "Value error, The variables specified in the job configuration template must be present"
        ),
        "{error}"
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("failed", 1)])
    );
    assert_eq!(summary["retries"], 0);
    assert_patched(&ran, &["a", "b", "c"], &["a", "b", "c"]);
    assert_eq!(backed_up(&ran, 3), ["a", "b", "c"]);
    assert_eq!(ran.stored("b"), current());
}

/// `--all` over reserved names (`prefect-...`, `PREFECT...`) and a pool whose PATCH is
/// refused with 403: the reserved pools are skipped with the reason and never written;
/// the 403 pool failed with the server's detail; the rest is updated.
#[test]
fn reserved_names_are_skipped_and_403_fails_with_the_detail() {
    let forbidden = detail(403, "Not authorized: missing scope manage_work_pools");
    let ran = Run::stale_pools(&["a", "PREFECTY", "locked"])
        .typed_pool("prefect-managed-x", "prefect:managed", current())
        .patches("locked", vec![Patch::Reply(forbidden)])
        .retries(5)
        .update_json(&["--all"])
        .run();
    ran.code(1);
    let (pools, summary) = ran.by_pool();
    for name in ["prefect-managed-x", "PREFECTY"] {
        assert_eq!(pools[name]["outcome"], "skipped", "{}", ran);
        let want = format!("work pool \"{name}\" has a reserved name");
        assert!(error(&pools, name).contains(&want), "{}", ran);
        ran.requests(&format!("GET /work_pools/{name}"), 0);
    }
    assert_eq!(pools["locked"]["outcome"], "failed", "{}", ran);
    let want = format!(
        "PATCH {}/work_pools/locked returned 403: Not authorized: missing scope manage_work_pools",
        ran.api
    );
    assert_eq!(error(&pools, "locked"), want);
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 1), ("skipped", 2), ("failed", 1)])
    );
    let all = ["a", "PREFECTY", "locked", "prefect-managed-x"];
    assert_patched(&ran, &all, &["a", "locked"]);
    assert_eq!(backed_up(&ran, 2), ["a", "locked"]);
}

/// Named pools with a reserved one: it is read once (to learn it exists), skipped, never
/// written. A skipped pool alone does not fail a batch: exit 0 (a single reserved pool
/// exits 1, see `update_outcomes.rs`).
#[test]
fn reserved_named_pool_in_a_batch_is_read_once_and_skipped() {
    let ran = Run::stale_pools(&["a", "Prefect-x"])
        .update_json(&["a", "Prefect-x"])
        .run();
    ran.code(0);
    let (pools, summary) = ran.by_pool();
    assert_eq!(pools["Prefect-x"]["outcome"], "skipped", "{}", ran);
    assert!(
        error(&pools, "Prefect-x").contains("reserved name"),
        "{}",
        ran
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 1), ("skipped", 1)])
    );
    assert_patched(&ran, &["a", "Prefect-x"], &["a"]);
    assert_eq!(backed_up(&ran, 1), ["a"]);
    assert!(
        ran.routes()
            .iter()
            .filter(|r| r.contains("Prefect-x"))
            .count()
            <= 1,
        "{:#?}",
        ran.routes()
    );
}

/// `update --all --output json` of pools `a`, `b` and `c` while the defaults endpoint
/// answers 503 forever (no retries).
fn defaults_down() -> Run {
    let down = ResponseTemplate::new(503)
        .set_body_json(json!({"exception_message": "Service Unavailable"}));
    Run::stale_pools(&["a", "b", "c"])
        .defaults_reply(down)
        .update_json(&["--all"])
}

/// The defaults endpoint is down (503 forever, no retries): every pool of the batch failed
/// with the defaults URL in its reason; nothing written or backed up.
#[test]
fn defaults_down_fails_every_pool_without_a_write() {
    let ran = defaults_down().run();
    ran.code(1);
    let (pools, summary) = ran.by_pool();
    let url = format!("GET {}{DEFAULTS} returned 503", ran.api);
    for name in ["a", "b", "c"] {
        assert_eq!(pools[name]["outcome"], "failed", "{}", ran);
        assert!(error(&pools, name).contains(&url), "{}", ran);
        assert_eq!(pools[name]["merged"], Value::Null, "{}", ran);
        assert_eq!(ran.stored(name), current());
    }
    assert_eq!(counts(&summary), want_counts(&[("failed", 3)]));
    assert_patched(&ran, &["a", "b", "c"], &[]);
    ran.backups(0);
}

/// The defaults are fetched once per run, and a failed fetch is remembered too: a down
/// endpoint is asked once for the whole batch.
#[test]
fn defaults_down_is_asked_once_per_run() {
    let ran = defaults_down().run();
    ran.code(1).requests(&format!("GET {DEFAULTS}"), 1);
}
