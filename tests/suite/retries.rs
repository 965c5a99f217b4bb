//! `poolsync update` against a fake Prefect API that fails: 429 with `Retry-After`, 503s,
//! 4xx that must not be retried, `PREFECT_CLIENT_MAX_RETRIES`, slow responses and
//! `--timeout`. Each test counts the requests per route.

use crate::harness::Run;
use crate::harness::fake::{CSRF_TOKEN, Csrf, POOL_PATCH, POOL_READ, Patch, Read};
use crate::harness::fixtures::{POOL, current, detail, merged, pool_reply};
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;

/// A 429 with `Retry-After: 1` on the read is waited out (the run takes at least a second),
/// then the read is repeated and the pool is PATCHed exactly once.
#[test]
fn retry_after_on_429_is_honoured() {
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    let ran = Run::update_pool(5)
        .reads(POOL, vec![Read::Reply(throttled)])
        .run();
    ran.code(0).requests(POOL_PATCH, 1);
    assert!(
        ran.elapsed >= Duration::from_millis(950),
        "Retry-After ignored; {}",
        ran
    );
    assert_eq!(ran.stored(POOL), merged());
}

/// A PATCH answered 503 twice then 204 succeeds; every attempt after the first (sent without
/// a token and refused for it) carries the CSRF token, which is fetched once.
#[test]
fn patch_503_twice_then_204_updates_the_pool() {
    let unavailable = ResponseTemplate::new(503)
        .set_body_json(json!({"exception_message": "Service Unavailable"}));
    let ran = Run::update_pool(5)
        .csrf(Csrf::Token("tok"))
        .patches(
            POOL,
            vec![Patch::Reply(unavailable.clone()), Patch::Reply(unavailable)],
        )
        .run();
    ran.code(0)
        .stdout_ends(&format!("{POOL}: updated\n"))
        .requests(POOL_PATCH, 4)
        .patched_merged(POOL, 4)
        .requests(CSRF_TOKEN, 1);
    let tok = Some("tok");
    assert_eq!(
        ran.patch_headers("prefect-csrf-token"),
        [None, tok, tok, tok]
    );
    assert_eq!(ran.stored(POOL), merged());
}

/// A 400 on the PATCH is not retried: one PATCH, exit 1, the status and the server's detail.
#[test]
fn patch_400_is_not_retried() {
    let ran = Run::update_pool(5)
        .patches(POOL, vec![Patch::Reply(detail(400, "Pool is locked."))])
        .run();
    ran.code(1)
        .stderr_has(&format!("PATCH {}/work_pools/{POOL} returned 400", ran.api))
        .stderr_has("Pool is locked.")
        .requests(POOL_PATCH, 1)
        .patched_merged(POOL, 1);
}

/// A 422 validation error is not retried and its `exception_detail` message is shown.
#[test]
fn patch_422_shows_the_validation_message() {
    let invalid = ResponseTemplate::new(422).set_body_json(json!({
        "exception_message": "Invalid request received.",
        "exception_detail": [{"loc": ["body", "base_job_template"],
            "msg": "Value error, bad", "type": "value_error"}],
        "request_body": {}
    }));
    let ran = Run::update_pool(5)
        .patches(POOL, vec![Patch::Reply(invalid)])
        .run();
    ran.code(1)
        .stderr_has("422")
        .stderr_has("Value error, bad")
        .requests(POOL_PATCH, 1);
    assert_eq!(ran.stored(POOL), current());
}

/// `PREFECT_CLIENT_MAX_RETRIES=1` with a PATCH that always answers 503: exactly two
/// attempts, then exit 1 with the status.
#[test]
fn max_retries_bounds_the_attempts() {
    let unavailable = Patch::Reply(ResponseTemplate::new(503));
    let ran = Run::update_pool(1)
        .patches(
            POOL,
            vec![unavailable.clone(), unavailable.clone(), unavailable],
        )
        .run();
    ran.code(1)
        .stderr_has("returned 503")
        .requests(POOL_PATCH, 2)
        .patched_merged(POOL, 2);
}

/// `update POOL --timeout 0.5` with `retries`, whose first read of the pool is answered 3 s
/// late.
fn slow_first_read(retries: u32) -> Run {
    let slow = pool_reply(POOL, "kubernetes", &current()).set_delay(Duration::from_secs(3));
    Run::update_pool(retries)
        .reads(POOL, vec![Read::Reply(slow)])
        .args(["--timeout", "0.5"])
}

/// A read slower than `--timeout`, with retries off, fails fast: exit 1, and stderr says it
/// timed out and names the URL.
#[test]
fn slow_response_times_out() {
    let ran = slow_first_read(0).run();
    ran.code(1)
        .stderr_has(&format!("GET {}/work_pools/{POOL}", ran.api))
        .stderr_has("timed out")
        .stderr_has("--timeout")
        .requests(POOL_READ, 1)
        .requests(POOL_PATCH, 0);
    assert!(
        ran.elapsed < Duration::from_millis(2500),
        "did not time out; {}",
        ran
    );
}

/// A timed-out read is retried like any transient failure; the second, quick answer wins.
#[test]
fn timed_out_read_is_retried() {
    let ran = slow_first_read(5).run();
    ran.code(0).requests(POOL_PATCH, 1);
    assert_eq!(ran.stored(POOL), merged());
}

/// A transient 503 on `GET /csrf-token` is retried like any other request (Prefect's own
/// client sends the token request through its retrying `send`), so the write goes through:
/// the first PATCH without a token (refused), the second with it.
#[test]
fn csrf_token_request_is_retried_on_503() {
    let ran = Run::update_pool(5)
        .csrf(Csrf::Token("tok"))
        .csrf_replies(vec![ResponseTemplate::new(503)])
        .run();
    ran.code(0).requests(CSRF_TOKEN, 2).requests(POOL_PATCH, 2);
    assert_eq!(ran.patch_headers("prefect-csrf-token"), [None, Some("tok")]);
}
