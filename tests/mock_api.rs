//! `poolsync update` against a mock Prefect API: Prefect Cloud endpoints, authentication,
//! CSRF, custom headers, malformed replies, dry runs and JSON Patch output. Retries and
//! time-outs are in `mock_retry.rs`. Every mock states how often it must be called, and a
//! catch-all mock fails the test on any request nobody expected.

mod mock;

use mock::{
    CLOUD_PATH, POOL, api, csrf_disabled, csrf_token, current, defaults, defaults_mock, header_is,
    merged, newer_default, pool_mock, pool_reads, poolsync, run, strict,
};
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, body_json, header, header_exists, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Cloud: the default comes from `collections/work_pool_types`, every request carries the
/// Bearer key, the merged template is PATCHed, `/csrf-token` is never asked, and the key is
/// printed nowhere.
async fn cloud_update_with_key(key_from_env: bool) {
    let server = MockServer::start().await;
    let base = format!("/api{CLOUD_PATH}");
    let bearer = || header("authorization", "Bearer pnu_sentinel");
    Mock::given(method("GET"))
        .and(path(format!("{base}/work_pools/{POOL}")))
        .and(bearer())
        .respond_with(pool_reads(POOL, &current()))
        .expect(1..=3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/collections/work_pool_types")))
        .and(bearer())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(defaults("kubernetes", "kubernetes")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{base}/work_pools/{POOL}")))
        .and(bearer())
        .and(body_json(json!({"base_job_template": merged()})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("csrf-token"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLOUD_API_URL", format!("{}/api", server.uri()))
        .args([
            "update",
            POOL,
            "--api-url",
            &format!("{}{base}", server.uri()),
        ]);
    if key_from_env {
        cmd.env("PREFECT_API_KEY", "pnu_sentinel");
    } else {
        cmd.args(["--api-key", "pnu_sentinel"]);
    }
    let out = run(cmd).await;
    out.code(0);
    assert!(out.stdout.ends_with(&format!("{POOL}: updated\n")), "{out}");
    assert!(!out.stdout.contains("pnu_sentinel"), "key on stdout: {out}");
    assert!(!out.stderr.contains("pnu_sentinel"), "key on stderr: {out}");
}

/// Cloud with `--api-key`: Bearer on every request, work_pool_types, no CSRF, no key leak.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_update_sends_api_key_flag_as_bearer_and_skips_csrf() {
    cloud_update_with_key(false).await;
}

/// Cloud with `PREFECT_API_KEY`: the same as with `--api-key`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_update_sends_api_key_env_as_bearer_and_skips_csrf() {
    cloud_update_with_key(true).await;
}

/// Cloud: a default is found by its entry's `type`, not by its key; an entry whose key is
/// the pool type but whose `type` differs is not used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_default_is_matched_by_type_not_key() {
    let server = MockServer::start().await;
    let base = format!("/api{CLOUD_PATH}");
    let decoy = json!({"job_configuration": {"x": "{{ x }}"}, "variables": {"type": "object",
        "properties": {"x": {"type": "string"}}}});
    let body = json!({
        "prefect-kubernetes": {
            "kubernetes": {"type": "docker", "default_base_job_configuration": decoy},
            "k8s-worker-v2": {"type": "kubernetes", "default_base_job_configuration": newer_default()}
        }
    });
    Mock::given(method("GET"))
        .and(path(format!("{base}/work_pools/{POOL}")))
        .respond_with(pool_reads(POOL, &current()))
        .expect(1..=3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/collections/work_pool_types")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{base}/work_pools/{POOL}")))
        .and(body_json(json!({"base_job_template": merged()})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLOUD_API_URL", format!("{}/api", server.uri()))
        .args([
            "update",
            POOL,
            "--api-url",
            &format!("{}{base}", server.uri()),
        ]);
    run(cmd).await.code(0);
}

/// Self-hosted with CSRF on: one token for the whole run, and every write carries
/// `Prefect-Csrf-Token` and the `Prefect-Csrf-Client` the token was issued to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_token_is_fetched_once_and_sent_on_every_write() {
    let server = MockServer::start().await;
    csrf_token(&server, "tok-1", 1).await;
    for name in ["a", "b"] {
        Mock::given(method("GET"))
            .and(path(format!("/api/work_pools/{name}")))
            .respond_with(pool_reads(name, &current()))
            .expect(1..=3)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("/api/work_pools/{name}")))
            .and(header("prefect-csrf-token", "tok-1"))
            .and(header_exists("prefect-csrf-client"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    defaults_mock(&server, 1).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", "a", "b", "--api-url", &api(&server)]);
    run(cmd).await.code(0);

    let requests = server.received_requests().await.unwrap();
    let issued_to = requests
        .iter()
        .find(|r| r.url.path() == "/api/csrf-token")
        .and_then(|r| r.url.query_pairs().find(|(k, _)| k == "client"))
        .map(|(_, v)| v.to_string())
        .expect("csrf-token asked with ?client=");
    assert!(uuid_like(&issued_to), "client id {issued_to:?}");
    for patch in requests.iter().filter(|r| r.method.as_str() == "PATCH") {
        assert_eq!(
            header_is(patch, "prefect-csrf-client"),
            Some(issued_to.as_str())
        );
    }
}

/// Self-hosted with CSRF disabled (422 from `/csrf-token`): writes go without CSRF headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_disabled_writes_carry_no_csrf_headers() {
    let server = MockServer::start().await;
    csrf_disabled(&server, 1).await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(|r: &Request| {
            !r.headers.contains_key("prefect-csrf-token")
                && !r.headers.contains_key("prefect-csrf-client")
        })
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    run(cmd).await.code(0);
}

/// An expired CSRF token (403 "Invalid CSRF token...") is replaced: a new token is fetched
/// and the write is sent again with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_csrf_token_is_refreshed_and_the_write_resent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/csrf-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"token": "old", "client": "c", "expiration": "2999-01-01T00:00:00Z"}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    csrf_token(&server, "new", 1).await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(header("prefect-csrf-token", "old"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"detail": "Invalid CSRF token or client identifier."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(header("prefect-csrf-token", "new"))
        .and(body_json(json!({"base_job_template": merged()})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    run(cmd).await.code(0);
}

/// `PREFECT_API_AUTH_STRING=user:pass` is sent as HTTP Basic auth on every request,
/// the CSRF token request included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_string_is_sent_as_basic_auth() {
    let server = MockServer::start().await;
    every_request_must(&server, || basic_auth("user", "p@ss:word")).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_API_AUTH_STRING", "user:p@ss:word").args([
        "update",
        POOL,
        "--api-url",
        &api(&server),
    ]);
    let out = run(cmd).await;
    out.code(0);
    assert!(
        !out.stderr.contains("p@ss") && !out.stdout.contains("p@ss"),
        "{out}"
    );
}

/// `PREFECT_CLIENT_CUSTOM_HEADERS` adds its headers to every request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_headers_are_sent_on_every_request() {
    let server = MockServer::start().await;
    every_request_must(&server, || header("x-team", "data")).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_CUSTOM_HEADERS", r#"{"X-Team": "data"}"#)
        .args(["update", POOL, "--api-url", &api(&server)]);
    run(cmd).await.code(0);
}

/// A 200 reply whose body is not JSON fails with the URL and "not valid json".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_pool_body_is_reported_with_its_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/work_pools/x"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"name\": \"x\", ", "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", "x", "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    let url = format!("GET {}/work_pools/x", api(&server));
    assert!(out.stderr.contains(&url), "{out}");
    assert!(out.stderr.contains("not valid json"), "{out}");
}

/// A pool with a reserved name (`Prefect-x`) is read but never written: exit 1, "reserved".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_pool_is_not_written() {
    let server = MockServer::start().await;
    pool_mock(&server, "Prefect-x", &current()).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(403))
        .expect(0)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", "Prefect-x", "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.stderr.contains("reserved"), "{out}");
}

/// A dry run writes nothing (no PATCH, no CSRF token) and `--detailed-exitcode` exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_and_exits_3_with_detailed_exitcode() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--dry-run", "--detailed-exitcode"])
        .args(["--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(3);
    assert!(
        out.stdout.contains("would change (dry run, nothing sent)"),
        "{out}"
    );
}

/// A pool already on the newest default is left alone: no PATCH, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_to_date_pool_is_not_written() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &merged()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    assert!(
        out.stdout.starts_with("base: none, merging two-way: "),
        "{out}"
    );
    assert!(
        out.stdout
            .ends_with(&format!("\n{POOL}: up to date, nothing sent\n")),
        "{out}"
    );
}

/// A 500 from the defaults endpoint fails the pool with the URL, status and detail; nothing
/// is written and the 500 is not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_500_is_a_clear_error() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    Mock::given(method("GET"))
        .and(path("/api/collections/views/aggregate-worker-metadata"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"detail": "boom"})))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", POOL, "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    let url = format!(
        "{}/collections/views/aggregate-worker-metadata",
        api(&server)
    );
    assert!(out.stderr.contains(&url), "{out}");
    assert!(
        out.stderr.contains("500") && out.stderr.contains("boom"),
        "{out}"
    );
}

/// `--output json-patch` prints RFC 6902 operations that turn the stored template into
/// exactly the template that was PATCHed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_patch_output_turns_current_into_the_patched_template() {
    let server = MockServer::start().await;
    csrf_disabled(&server, 1).await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args([
        "update",
        POOL,
        "--output",
        "json-patch",
        "--api-url",
        &api(&server),
    ]);
    let out = run(cmd).await;
    out.code(0);
    let ops: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(ops.as_array().is_some_and(|a| !a.is_empty()), "{out}");
    let ops: json_patch::Patch = serde_json::from_value(ops).expect("RFC 6902 operations");

    let requests = server.received_requests().await.unwrap();
    let sent: Value = requests
        .iter()
        .find(|r| r.method.as_str() == "PATCH")
        .map(|r| r.body_json().unwrap())
        .unwrap();
    let mut doc = current();
    json_patch::patch(&mut doc, &ops).expect("the patch applies to the stored template");
    assert_eq!(doc, sent["base_job_template"]);
    assert_eq!(doc, merged());
}

/// Mounts the pool, defaults, CSRF-disabled and PATCH mocks of a plain self-hosted update,
/// each requiring what `matcher` builds (each mock is called exactly once).
async fn every_request_must<M>(server: &MockServer, matcher: impl Fn() -> M)
where
    M: wiremock::Match + 'static,
{
    Mock::given(method("GET"))
        .and(path("/api/csrf-token"))
        .and(matcher())
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"detail": "CSRF protection is disabled."})),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(matcher())
        .respond_with(pool_reads(POOL, &current()))
        .expect(1..=3)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/collections/views/aggregate-worker-metadata"))
        .and(matcher())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(defaults("kubernetes", "kubernetes")),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .and(matcher())
        .and(body_json(json!({"base_job_template": merged()})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(server)
        .await;
    strict(server).await;
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
