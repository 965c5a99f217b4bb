//! `poolsync update` against a fake Prefect API that fails: 429 with `Retry-After`, 503s,
//! 4xx that must not be retried, `PREFECT_CLIENT_MAX_RETRIES`, slow responses and
//! `--timeout`. Each test counts the requests per route.

use crate::fake::scenario::{Ran, Scenario};
use crate::fake::{Csrf, Patch, Read};
use crate::mock::{POOL, current, header_is, merged, pool_reply};
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;

const PATCH: &str = "PATCH /work_pools/k8s";
const READ: &str = "GET /work_pools/k8s";

/// `update POOL` with the client's default retries (5).
fn update() -> Scenario {
    Scenario::new()
        .pool(POOL, current())
        .retries(5)
        .args(["update", POOL])
}

/// Every PATCH held exactly the merged template.
#[track_caller]
fn all_patches_merged(ran: &Ran) {
    for body in ran.patch_bodies(POOL) {
        assert_eq!(body, json!({"base_job_template": merged()}));
    }
}

/// A 429 with `Retry-After: 1` on the read is waited out (the run takes at least a second),
/// then the read is repeated and the pool is PATCHed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_429_is_honoured() {
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    let ran = update()
        .reads(POOL, vec![Read::Reply(throttled)])
        .run()
        .await;
    ran.code(0).requests(PATCH, 1);
    assert!(
        ran.out.elapsed >= Duration::from_millis(950),
        "Retry-After ignored; {}",
        ran.out
    );
    assert_eq!(ran.stored(POOL), merged());
}

/// A PATCH answered 503 twice then 204 succeeds; every attempt carries the CSRF token,
/// which is fetched once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_503_twice_then_204_updates_the_pool() {
    let unavailable = ResponseTemplate::new(503)
        .set_body_json(json!({"exception_message": "Service Unavailable"}));
    let ran = update()
        .csrf(Csrf::Token("tok"))
        .patches(
            POOL,
            vec![Patch::Reply(unavailable.clone()), Patch::Reply(unavailable)],
        )
        .run()
        .await;
    ran.code(0)
        .stdout_ends(&format!("{POOL}: updated\n"))
        .requests(PATCH, 3)
        .requests("GET /csrf-token", 1);
    all_patches_merged(&ran);
    for patch in ran.requests.iter().filter(|r| r.method.as_str() == "PATCH") {
        assert_eq!(header_is(patch, "prefect-csrf-token"), Some("tok"));
    }
    assert_eq!(ran.stored(POOL), merged());
}

/// A 400 on the PATCH is not retried: one PATCH, exit 1, the status and the server's detail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_400_is_not_retried() {
    let bad = ResponseTemplate::new(400).set_body_json(json!({"detail": "Pool is locked."}));
    let ran = update().patches(POOL, vec![Patch::Reply(bad)]).run().await;
    ran.code(1)
        .stderr_has(&format!("PATCH {}/work_pools/{POOL} returned 400", ran.api))
        .stderr_has("Pool is locked.")
        .requests(PATCH, 1);
    all_patches_merged(&ran);
}

/// A 422 validation error is not retried and its `exception_detail` message is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_422_shows_the_validation_message() {
    let invalid = ResponseTemplate::new(422).set_body_json(json!({
        "exception_message": "Invalid request received.",
        "exception_detail": [{"loc": ["body", "base_job_template"],
            "msg": "Value error, bad", "type": "value_error"}],
        "request_body": {}
    }));
    let ran = update()
        .patches(POOL, vec![Patch::Reply(invalid)])
        .run()
        .await;
    ran.code(1)
        .stderr_has("422")
        .stderr_has("Value error, bad")
        .requests(PATCH, 1);
    assert_eq!(ran.stored(POOL), current());
}

/// `PREFECT_CLIENT_MAX_RETRIES=1` with a PATCH that always answers 503: exactly two
/// attempts, then exit 1 with the status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_retries_bounds_the_attempts() {
    let unavailable = Patch::Reply(ResponseTemplate::new(503));
    let ran = update()
        .retries(1)
        .patches(
            POOL,
            vec![unavailable.clone(), unavailable.clone(), unavailable],
        )
        .run()
        .await;
    ran.code(1).stderr_has("returned 503").requests(PATCH, 2);
    all_patches_merged(&ran);
}

/// A read slower than `--timeout`, with retries off, fails fast: exit 1, and stderr says it
/// timed out and names the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_response_times_out() {
    let slow = pool_reply(POOL, "kubernetes", &current()).set_delay(Duration::from_secs(3));
    let ran = update()
        .retries(0)
        .reads(POOL, vec![Read::Reply(slow)])
        .args(["--timeout", "0.5"])
        .run()
        .await;
    ran.code(1)
        .stderr_has(&format!("GET {}/work_pools/{POOL}", ran.api))
        .stderr_has("timed out")
        .stderr_has("--timeout")
        .requests(READ, 1)
        .requests(PATCH, 0);
    assert!(
        ran.out.elapsed < Duration::from_millis(2500),
        "did not time out; {}",
        ran.out
    );
}

/// A timed-out read is retried like any transient failure; the second, quick answer wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_read_is_retried() {
    let slow = pool_reply(POOL, "kubernetes", &current()).set_delay(Duration::from_secs(3));
    let ran = update()
        .reads(POOL, vec![Read::Reply(slow)])
        .args(["--timeout", "0.5"])
        .run()
        .await;
    ran.code(0).requests(PATCH, 1);
    assert_eq!(ran.stored(POOL), merged());
}

/// A transient 503 on `GET /csrf-token` is retried like any other request (Prefect's own
/// client sends the token request through its retrying `send`), so the write goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_token_request_is_retried_on_503() {
    let ran = update()
        .csrf(Csrf::Token("tok"))
        .csrf_replies(vec![ResponseTemplate::new(503)])
        .run()
        .await;
    ran.code(0)
        .requests("GET /csrf-token", 2)
        .requests(PATCH, 1);
    let patch = ran.requests.iter().find(|r| r.method.as_str() == "PATCH");
    assert_eq!(
        patch.and_then(|p| header_is(p, "prefect-csrf-token")),
        Some("tok")
    );
}
