//! One pool's `update` outcomes on the fake API: a malformed reply, a reserved pool, a dry
//! run (and `--detailed-exitcode`), a pool already up to date, a defaults endpoint that
//! fails, and `--output json-patch`. Each test counts the requests per route.

use crate::harness::Run;
use crate::harness::fake::{CSRF_TOKEN, DEFAULTS, POOL_PATCH, Read};
use crate::harness::fixtures::{POOL, current, detail, merged};
use serde_json::Value;
use wiremock::ResponseTemplate;

/// A 200 reply whose body is not JSON fails with the URL and "not valid json".
#[test]
fn malformed_pool_body_is_reported_with_its_url() {
    let cut = ResponseTemplate::new(200).set_body_raw("{\"name\": \"x\", ", "application/json");
    let ran = Run::fake()
        .reads("x", vec![Read::Reply(cut)])
        .args(["update", "x"])
        .run();
    ran.code(1)
        .stderr_has(&format!("GET {}/work_pools/x", ran.api))
        .stderr_has("not valid json")
        .requests("GET /work_pools/x", 1)
        .only_routes(&["GET /work_pools/x"]);
}

/// A pool with a reserved name (`Prefect-x`) is read but never written: exit 1, "reserved".
#[test]
fn reserved_pool_is_not_written() {
    let ran = Run::fake()
        .pool("Prefect-x", current())
        .args(["update", "Prefect-x"])
        .run();
    ran.code(1)
        .stderr_has("reserved")
        .requests("PATCH /work_pools/Prefect-x", 0);
    assert_eq!(ran.stored("Prefect-x"), current());
}

/// A dry run writes nothing (no PATCH, no CSRF token) and `--detailed-exitcode` exits 3.
#[test]
fn dry_run_writes_nothing_and_exits_3_with_detailed_exitcode() {
    let ran = Run::update_pool(5)
        .args(["--dry-run", "--detailed-exitcode"])
        .run();
    ran.code(3)
        .stdout_has("would change (dry run, nothing sent)")
        .requests(POOL_PATCH, 0)
        .requests(CSRF_TOKEN, 0);
    assert_eq!(ran.stored(POOL), current());
    ran.backups(0);
}

/// A pool already on the newest default is left alone: no PATCH, exit 0.
#[test]
fn up_to_date_pool_is_not_written() {
    let ran = Run::fake()
        .pool(POOL, merged())
        .args(["update", POOL])
        .run();
    ran.code(0).requests(POOL_PATCH, 0);
    // The fixture is no released default: no base is inferred, and the run says so.
    assert!(
        ran.stdout.starts_with("base: none, merging two-way: "),
        "{}",
        ran
    );
    assert!(
        ran.stdout
            .ends_with(&format!("\n{POOL}: up to date, nothing sent\n")),
        "{}",
        ran
    );
    ran.backups(0);
}

/// A 500 from the defaults endpoint fails the pool with the URL, status and detail; nothing
/// is written and the 500 is not retried.
#[test]
fn defaults_500_is_a_clear_error() {
    let boom = detail(500, "boom");
    let ran = Run::update_pool(5).defaults_reply(boom).run();
    ran.code(1)
        .stderr_has(&format!("{}{DEFAULTS}", ran.api))
        .stderr_has("500")
        .stderr_has("boom")
        .requests(&format!("GET {DEFAULTS}"), 1)
        .requests(POOL_PATCH, 0);
}

/// `--output json-patch` prints RFC 6902 operations that turn the stored template into
/// exactly the template that was PATCHed.
#[test]
fn json_patch_output_turns_current_into_the_patched_template() {
    let ran = Run::update_pool(5).args(["--output", "json-patch"]).run();
    ran.code(0).requests(POOL_PATCH, 1);
    let ops: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran));
    assert!(ops.as_array().is_some_and(|a| !a.is_empty()), "{}", ran);
    let ops: json_patch::Patch = serde_json::from_value(ops).expect("RFC 6902 operations");
    let sent = ran.patch_bodies(POOL).remove(0);
    let mut doc = current();
    json_patch::patch(&mut doc, &ops).expect("the patch applies to the stored template");
    assert_eq!(doc, sent["base_job_template"]);
    assert_eq!(doc, merged());
}
