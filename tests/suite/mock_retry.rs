//! `poolsync update` against a mock Prefect API that fails: 429 with `Retry-After`, 503s,
//! 4xx that must not be retried, `PREFECT_CLIENT_MAX_RETRIES`, slow responses and
//! `--timeout`. Every mock states how often it must be called, and a catch-all mock fails
//! the test on any request nobody expected.

use crate::mock;

use mock::{
    POOL, api, csrf_disabled, csrf_token, current, defaults_mock, header_is, merged, pool_mock,
    pool_reply, poolsync, run, strict,
};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `PATCH /api/work_pools/{POOL}` answering `reply`: at most `times` times when
/// `up_to` is set, and it must be called exactly `times` times.
async fn patch_mock(server: &MockServer, reply: ResponseTemplate, times: u64, up_to: bool) {
    let mock = Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(body_json(json!({"base_job_template": merged()})))
        .respond_with(reply)
        .expect(times);
    let mock = if up_to {
        mock.up_to_n_times(times)
    } else {
        mock
    };
    mock.mount(server).await;
}

/// A 429 with `Retry-After: 1` on the read is waited out (the run takes at least a second),
/// then the read is repeated and the pool is PATCHed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_429_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, ResponseTemplate::new(204), 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    assert!(
        out.elapsed >= Duration::from_millis(950),
        "Retry-After ignored; {out}"
    );
}

/// A PATCH answered 503 twice then 204 succeeds; every attempt carries the CSRF token,
/// which is fetched once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_503_twice_then_204_updates_the_pool() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_token(&server, "tok", 1).await;
    let unavailable = ResponseTemplate::new(503)
        .set_body_json(json!({"exception_message": "Service Unavailable"}));
    patch_mock(&server, unavailable, 2, true).await;
    patch_mock(&server, ResponseTemplate::new(204), 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    assert!(out.stdout.ends_with(&format!("{POOL}: updated\n")), "{out}");
    let requests = server.received_requests().await.unwrap();
    let patches: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .collect();
    assert_eq!(patches.len(), 3);
    for patch in patches {
        assert_eq!(header_is(patch, "prefect-csrf-token"), Some("tok"));
    }
}

/// A 400 on the PATCH is not retried: one PATCH, exit 1, the status and the server's detail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_400_is_not_retried() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    let bad = ResponseTemplate::new(400).set_body_json(json!({"detail": "Pool is locked."}));
    patch_mock(&server, bad, 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    let line = format!("PATCH {}/work_pools/{POOL} returned 400", api(&server));
    assert!(out.stderr.contains(&line), "{out}");
    assert!(out.stderr.contains("Pool is locked."), "{out}");
}

/// A 422 validation error is not retried and its `exception_detail` message is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_422_shows_the_validation_message() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    let invalid = ResponseTemplate::new(422).set_body_json(json!({
        "exception_message": "Invalid request received.",
        "exception_detail": [{"loc": ["body", "base_job_template"],
            "msg": "Value error, bad", "type": "value_error"}],
        "request_body": {}
    }));
    patch_mock(&server, invalid, 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.stderr.contains("422"), "{out}");
    assert!(out.stderr.contains("Value error, bad"), "{out}");
}

/// `PREFECT_CLIENT_MAX_RETRIES=1` with a PATCH that always answers 503: exactly two
/// attempts, then exit 1 with the status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_retries_bounds_the_attempts() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, ResponseTemplate::new(503), 2, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "1")
        .args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.stderr.contains("returned 503"), "{out}");
}

/// A read slower than `--timeout`, with retries off, fails fast: exit 1, and stderr says it
/// timed out and names the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_response_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(pool_reply(POOL, "kubernetes", &current()).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0").args([
        "update",
        POOL,
        "--timeout",
        "0.5",
        "--api-url",
        &api(&server),
    ]);
    let out = run(cmd).await;
    out.code(1);
    assert!(
        out.elapsed < Duration::from_millis(2500),
        "did not time out; {out}"
    );
    let url = format!("GET {}/work_pools/{POOL}", api(&server));
    assert!(out.stderr.contains(&url), "{out}");
    assert!(out.stderr.contains("timed out"), "{out}");
    assert!(out.stderr.contains("--timeout"), "no hint; {out}");
}

/// A timed-out read is retried like any transient failure; the second, quick answer wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_read_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(pool_reply(POOL, "kubernetes", &current()).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, ResponseTemplate::new(204), 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args([
        "update",
        POOL,
        "--timeout",
        "0.5",
        "--api-url",
        &api(&server),
    ]);
    run(cmd).await.code(0);
}

/// A transient 503 on `GET /csrf-token` is retried like any other request (Prefect's own
/// client sends the token request through its retrying `send`), so the write goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_token_request_is_retried_on_503() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/csrf-token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    csrf_token(&server, "tok", 1).await;
    patch_mock(&server, ResponseTemplate::new(204), 1, false).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    let requests = server.received_requests().await.unwrap();
    let patch = requests
        .iter()
        .find(|r| r.method.as_str() == "PATCH")
        .unwrap();
    assert_eq!(header_is(patch, "prefect-csrf-token"), Some("tok"));
}
