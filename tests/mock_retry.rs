//! `poolsync update` against a mock Prefect API that fails: 429 with `Retry-After`, 503s,
//! 4xx that must not be retried, `PREFECT_CLIENT_MAX_RETRIES`, slow responses and
//! `--timeout`. Every mock states how often it must be called, and a catch-all mock fails
//! the test on any request nobody expected.

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

/// A mock Prefect API and a poolsync process to point at it. A copy of the module in
/// `mock_api.rs` (each test binary compiles its own); keep the two in step.
#[allow(dead_code)]
mod mock {
    use assert_cmd::Command;
    use serde_json::{Value, json};
    use std::fmt;
    use std::sync::LazyLock;
    use std::time::{Duration, Instant};
    use wiremock::matchers::{any, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    /// The pool most tests update.
    pub const POOL: &str = "k8s";
    /// A Prefect Cloud workspace path, appended to `PREFECT_CLOUD_API_URL`.
    pub const CLOUD_PATH: &str = "/accounts/9c0a5c36-2b38-4a43-9e77-1f2f8e3c1a01\
        /workspaces/5f6e7d8c-1234-4abc-8def-0123456789ab";

    /// One empty HOME for every run of this test binary, so no real profile is read.
    static HOME: LazyLock<tempfile::TempDir> =
        LazyLock::new(|| tempfile::tempdir().expect("temp HOME"));

    /// The poolsync binary with a clean environment: only PATH, an empty HOME, NO_COLOR.
    pub fn poolsync() -> Command {
        let mut cmd = Command::cargo_bin("poolsync").expect("poolsync binary");
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", HOME.path())
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// What a run printed and how it ended.
    pub struct Out {
        pub status: Option<i32>,
        pub stdout: String,
        pub stderr: String,
        pub elapsed: Duration,
    }

    impl Out {
        /// Asserts the exit code, showing the output when it differs.
        pub fn code(&self, want: i32) {
            assert_eq!(self.status, Some(want), "exit code; {self}");
        }
    }

    impl fmt::Display for Out {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "status {:?} after {:?}\n--- stdout\n{}--- stderr\n{}",
                self.status, self.elapsed, self.stdout, self.stderr
            )
        }
    }

    /// Runs the command off the async runtime, so the mock server keeps answering.
    pub async fn run(mut cmd: Command) -> Out {
        tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let out = cmd.output().expect("poolsync runs");
            Out {
                status: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                elapsed: start.elapsed(),
            }
        })
        .await
        .expect("runner thread")
    }

    /// `{mock}/api`, a self-hosted API URL.
    pub fn api(server: &MockServer) -> String {
        format!("{}/api", server.uri())
    }

    /// Fails the test on any request no other mock matched.
    pub async fn strict(server: &MockServer) {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
            .with_priority(u8::MAX)
            .named("unexpected request")
            .expect(0)
            .mount(server)
            .await;
    }

    /// `GET /api/csrf-token?client=...` issuing `token` to the asking client, `times` times.
    pub async fn csrf_token(server: &MockServer, token: &'static str, times: u64) {
        Mock::given(method("GET"))
            .and(path("/api/csrf-token"))
            .respond_with(move |r: &Request| {
                let client = r
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "client")
                    .map(|(_, v)| v.into_owned());
                match client {
                    Some(client) => ResponseTemplate::new(200).set_body_json(json!({
                        "token": token, "client": client, "expiration": "2999-01-01T00:00:00Z"
                    })),
                    None => ResponseTemplate::new(422)
                        .set_body_json(json!({"detail": "missing client"})),
                }
            })
            .expect(times)
            .mount(server)
            .await;
    }

    /// `GET /api/csrf-token` answering "CSRF protection is disabled.", `times` times.
    pub async fn csrf_disabled(server: &MockServer, times: u64) {
        Mock::given(method("GET"))
            .and(path("/api/csrf-token"))
            .respond_with(
                ResponseTemplate::new(422)
                    .set_body_json(json!({"detail": "CSRF protection is disabled."})),
            )
            .expect(times)
            .mount(server)
            .await;
    }

    /// The stored template: a valid one whose image default the user customised.
    pub fn current() -> Value {
        json!({
            "job_configuration": {"image": "{{ image }}"},
            "variables": {"type": "object", "properties": {
                "image": {"type": "string", "default": "registry.example.com/flows:2"}
            }}
        })
    }

    /// The server's newer default: a stock image and a new `cpu` variable.
    pub fn newer_default() -> Value {
        json!({
            "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
            "variables": {"type": "object", "properties": {
                "image": {"type": "string", "default": "a:1"},
                "cpu": {"type": "string", "default": "500m"}
            }}
        })
    }

    /// What `update` must push: the newer default keeping the customised image.
    pub fn merged() -> Value {
        json!({
            "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
            "variables": {"type": "object", "properties": {
                "image": {"type": "string", "default": "registry.example.com/flows:2"},
                "cpu": {"type": "string", "default": "500m"}
            }}
        })
    }

    /// A defaults document with `newer_default()` under `key`, of type `pool_type`.
    pub fn defaults(key: &str, pool_type: &str) -> Value {
        json!({"prefect-kubernetes": {key: {
            "type": pool_type, "default_base_job_configuration": newer_default()
        }}})
    }

    /// A 200 work pool reply.
    pub fn pool_reply(name: &str, pool_type: &str, template: &Value) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({
            "name": name, "type": pool_type, "base_job_template": template,
            "updated": "2024-01-01T00:00:00Z"
        }))
    }

    /// `GET /api/work_pools/{name}` answering a kubernetes pool with `template`, called once.
    pub async fn pool_mock(server: &MockServer, name: &str, template: &Value) {
        Mock::given(method("GET"))
            .and(path(format!("/api/work_pools/{name}")))
            .respond_with(pool_reply(name, "kubernetes", template))
            .expect(1)
            .mount(server)
            .await;
    }

    /// The self-hosted defaults endpoint with the newer kubernetes default, called `times`.
    pub async fn defaults_mock(server: &MockServer, times: u64) {
        Mock::given(method("GET"))
            .and(path("/api/collections/views/aggregate-worker-metadata"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(defaults("kubernetes", "kubernetes")),
            )
            .expect(times)
            .mount(server)
            .await;
    }

    /// A request header's value, when it is there and text.
    pub fn header_is<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
        request.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
