//! The fault matrix of one pool's safe write: a server that throttles, fails, times out,
//! cuts a body short, sends garbage, changes the pool under poolsync or stores something
//! else than what was sent, and a backup folder that cannot be written. Every case checks
//! that nothing partial was written (no PATCH, or a PATCH of exactly the merged template),
//! that the error names the pool and the cause, that a backup exists exactly when a PATCH
//! was attempted, and the exit code. Batch faults are in `faults_batch.rs`.

mod mock;

use mock::{
    POOL, api, csrf_disabled, current, cut_short, defaults_mock, files_under, http_json, in_order,
    merged, patches, pool_body, pool_mock, pool_reply, poolsync, raw_server, run, strict,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEFAULTS_PATH: &str = "/api/collections/views/aggregate-worker-metadata";

/// `poolsync update POOL` against `server`, backing up into `dir`, retries as given.
fn update(server: &MockServer, dir: &TempDir, retries: u32) -> assert_cmd::Command {
    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", retries.to_string())
        .args(["update", POOL, "--api-url", &api(server)])
        .arg("--backup-dir")
        .arg(dir.path());
    cmd
}

/// `PATCH /api/work_pools/{POOL}` answering `replies` in order, called exactly `times`.
async fn patch_mock(server: &MockServer, replies: Vec<ResponseTemplate>, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(in_order(replies))
        .expect(times)
        .mount(server)
        .await;
}

/// The mocks of a single update up to its PATCH: pool reads, defaults, CSRF off.
async fn up_to_patch(server: &MockServer) {
    pool_mock(server, POOL, &current()).await;
    defaults_mock(server, 1).await;
    csrf_disabled(server, 1).await;
}

/// Exactly `n` PATCHes reached the server, each of the pool with exactly the merged template.
async fn assert_patched_merged(server: &MockServer, n: usize) {
    let sent = patches(server).await;
    assert_eq!(sent.len(), n, "PATCH count: {sent:?}");
    for (at, body) in sent {
        assert_eq!(at, format!("/api/work_pools/{POOL}"));
        assert_eq!(
            body,
            json!({"base_job_template": merged()}),
            "partial write"
        );
    }
}

/// Exactly `n` backup files under `dir`, each of POOL as read, with the merged template.
fn assert_backups(dir: &Path, n: usize) -> Vec<PathBuf> {
    let files = files_under(dir);
    assert_eq!(files.len(), n, "backups under {}: {files:?}", dir.display());
    for file in &files {
        let pool_dir = file.parent().and_then(Path::file_name);
        let pool_dir = pool_dir.and_then(|d| d.to_str()).unwrap_or_default();
        assert!(
            pool_dir.starts_with(&format!("{POOL}-")),
            "{}",
            file.display()
        );
        let saved: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(saved["pool"]["name"], POOL);
        assert_eq!(saved["pool"]["base_job_template"], current());
        assert_eq!(saved["merged"], merged());
    }
    files
}

/// 429 with `Retry-After: 1` on the PATCH, then 204: waited out, updated, one backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_429_with_retry_after_then_204_updates() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    up_to_patch(&server).await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    patch_mock(&server, vec![throttled, ResponseTemplate::new(204)], 2).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 1)).await;
    out.code(0);
    assert!(out.stdout.ends_with(&format!("{POOL}: updated\n")), "{out}");
    assert!(out.elapsed >= Duration::from_millis(950), "{out}");
    assert_patched_merged(&server, 2).await;
    assert_backups(dir.path(), 1);
}

/// 500 on the PATCH is not retried: failed, exit 1, the error names the pool's URL, the
/// status and the detail; the backup of the attempted write exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_500_is_not_retried_and_leaves_a_backup() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    up_to_patch(&server).await;
    let boom = ResponseTemplate::new(500).set_body_json(json!({"detail": "db exploded"}));
    patch_mock(&server, vec![boom], 1).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 5)).await;
    out.code(1);
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    let line = format!(
        "PATCH {}/work_pools/{POOL} returned 500: db exploded",
        api(&server)
    );
    assert!(out.stderr.contains(&line), "{out}");
    assert_patched_merged(&server, 1).await;
    assert_backups(dir.path(), 1);
}

/// 502 / 503 on the PATCH forever with `PREFECT_CLIENT_MAX_RETRIES=1`: exactly two PATCHes
/// of the merged template, failed, exit 1, one backup (one write attempt, retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_502_and_503_forever_stop_after_max_retries() {
    for statuses in [[502, 502], [503, 503], [502, 503]] {
        let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
        up_to_patch(&server).await;
        let replies = statuses
            .iter()
            .map(|s| ResponseTemplate::new(*s).insert_header("Retry-After", "0"))
            .collect();
        patch_mock(&server, replies, 2).await;
        strict(&server).await;

        let out = run(update(&server, &dir, 1)).await;
        out.code(1);
        let line = format!(
            "PATCH {}/work_pools/{POOL} returned {}",
            api(&server),
            statuses[1]
        );
        assert!(out.stderr.contains(&line), "{statuses:?}: {out}");
        assert_patched_merged(&server, 2).await;
        assert_backups(dir.path(), 1);
        server.verify().await;
    }
}

/// A PATCH answered slower than `--timeout 0.5`, retries off: failed, exit 1, the error
/// says it timed out; a backup exists (the write was sent and may have landed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_slower_than_timeout_fails_after_the_backup() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    up_to_patch(&server).await;
    let slow = ResponseTemplate::new(204).set_delay(Duration::from_secs(3));
    patch_mock(&server, vec![slow], 1).await;
    strict(&server).await;

    let mut cmd = update(&server, &dir, 0);
    cmd.args(["--timeout", "0.5"]);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.elapsed < Duration::from_millis(2500), "{out}");
    let url = format!("PATCH {}/work_pools/{POOL} failed", api(&server));
    assert!(out.stderr.contains(&url), "{out}");
    assert!(out.stderr.contains("timed out"), "{out}");
    assert_patched_merged(&server, 1).await;
    assert_backups(dir.path(), 1);
}

/// Malformed JSON from the defaults endpoint: exit 1, the error names its URL, no PATCH,
/// no backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_defaults_json_writes_nothing() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    pool_mock(&server, POOL, &current()).await;
    Mock::given(method("GET"))
        .and(path(DEFAULTS_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"prefect-kubernetes": {"#, "text/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;

    let out = run(update(&server, &dir, 0)).await;
    out.code(1);
    let url = format!(
        "GET {}/collections/views/aggregate-worker-metadata",
        api(&server)
    );
    assert!(out.stderr.contains(&url), "{out}");
    assert!(out.stderr.contains("not valid json"), "{out}");
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    assert_patched_merged(&server, 0).await;
    assert_backups(dir.path(), 0);
}

/// A stored `base_job_template` that is not an object (string, list, number, null, or
/// absent from the pool body) fails naming the pool and "not an object"; nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_that_is_not_an_object_fails_naming_the_pool() {
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
        let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
        Mock::given(method("GET"))
            .and(path(format!("/api/work_pools/{POOL}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .expect(1)
            .mount(&server)
            .await;
        defaults_mock(&server, 1).await;
        strict(&server).await;

        let out = run(update(&server, &dir, 0)).await;
        out.code(1);
        let want =
            format!("base_job_template of work pool \"{POOL}\": is a json {kind}, not an object");
        assert!(out.stderr.contains(&want), "{body}: {out}");
        assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
        assert_patched_merged(&server, 0).await;
        assert_backups(dir.path(), 0);
        server.verify().await;
    }
}

/// A stored template without `variables` gets the default's sections merged in: its own
/// `{{ image }}` is defined by the default, so the result passes the server's rule and is
/// pushed (exactly the merge, here the default itself) with a backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_without_variables_takes_the_defaults_sections() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let stored = json!({"job_configuration": {"image": "{{ image }}"}});
    let want = mock::newer_default();
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(in_order(vec![
            pool_reply(POOL, "kubernetes", &stored),
            pool_reply(POOL, "kubernetes", &stored),
            pool_reply(POOL, "kubernetes", &want),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, vec![ResponseTemplate::new(204)], 1).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 0)).await;
    out.code(0);
    let sent = patches(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, json!({"base_job_template": want}));
    assert_eq!(files_under(dir.path()).len(), 1);
}

/// A stored template without `variables` whose job configuration uses a placeholder the
/// default does not define: the merge would break the server's rule, so the pool is
/// invalid, the placeholder is named, and nothing is written or backed up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_without_variables_and_an_unknown_placeholder_is_invalid() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let stored = json!({"job_configuration": {"image": "{{ image }}", "gpu": "{{ gpu }}"}});
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(pool_reply(POOL, "kubernetes", &stored))
        .expect(1)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 0)).await;
    out.code(1);
    assert!(
        out.stdout
            .ends_with(&format!("{POOL}: invalid, nothing sent\n")),
        "{out}"
    );
    let subject = format!("merged template for work pool \"{POOL}\" is invalid");
    assert!(out.stderr.contains(&subject), "{out}");
    assert!(out.stderr.contains("gpu"), "{out}");
    assert_patched_merged(&server, 0).await;
    assert_backups(dir.path(), 0);
}

/// The read-back after the PATCH holds something else: failed, exit 1, the error says
/// the server holds something else and names the backup file, which exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_back_mismatch_fails_naming_the_backup() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let mut other = merged();
    other["variables"]["properties"]["cpu"]["default"] = json!("250m");
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(in_order(vec![
            pool_reply(POOL, "kubernetes", &current()),
            pool_reply(POOL, "kubernetes", &current()),
            pool_reply(POOL, "kubernetes", &other),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, vec![ResponseTemplate::new(204)], 1).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 0)).await;
    out.code(1);
    let backup = assert_backups(dir.path(), 1).remove(0);
    let want = format!("work pool \"{POOL}\" does not hold what poolsync sent");
    assert!(out.stderr.contains(&want), "{out}");
    assert!(out.stderr.contains("250m"), "difference not shown; {out}");
    assert!(out.stderr.contains(&backup.display().to_string()), "{out}");
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    assert_patched_merged(&server, 1).await;
}

/// A server that stores JSON with its own key order (PostgreSQL's JSONB sorts keys by
/// length) reads back the same template reordered: that is not a mismatch, it is updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_back_with_other_key_order_is_not_a_mismatch() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let reordered = r#"{"name": "k8s", "type": "kubernetes", "updated": "2024-01-02T00:00:00Z",
        "base_job_template": {"variables": {"properties": {"cpu": {"default": "500m",
        "type": "string"}, "image": {"default": "registry.example.com/flows:2",
        "type": "string"}}, "type": "object"}, "job_configuration": {"cpu": "{{ cpu }}",
        "image": "{{ image }}"}}}"#;
    let read_back: Value = serde_json::from_str(reordered).unwrap();
    assert_eq!(read_back["base_job_template"], merged(), "same template");
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(in_order(vec![
            pool_reply(POOL, "kubernetes", &current()),
            pool_reply(POOL, "kubernetes", &current()),
            ResponseTemplate::new(200).set_body_raw(reordered, "application/json"),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    patch_mock(&server, vec![ResponseTemplate::new(204)], 1).await;
    strict(&server).await;

    let out = run(update(&server, &dir, 0)).await;
    out.code(0);
    assert!(out.stdout.ends_with(&format!("{POOL}: updated\n")), "{out}");
    assert_patched_merged(&server, 1).await;
    assert_backups(dir.path(), 1);
}

/// `--backup-dir` pointing at a regular file: the backup cannot be written, so nothing is
/// sent (no CSRF token, no PATCH); failed, exit 1, the error names the path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_backup_dir_sends_no_patch() {
    let server = MockServer::start().await;
    pool_mock(&server, POOL, &current()).await;
    defaults_mock(&server, 1).await;
    strict(&server).await;
    let dir = TempDir::new().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["update", POOL, "--api-url", &api(&server), "--backup-dir"])
        .arg(&blocker);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.stderr.contains("failed to write backup"), "{out}");
    assert!(out.stderr.contains(&blocker.display().to_string()), "{out}");
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    assert_patched_merged(&server, 0).await;
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "x");
}

/// The pool changed between the read and the re-read before the write (a new `updated`
/// and template, or only a new template): conflict, exit 1, no PATCH, no backup, and the
/// message says the pool changed and to run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edit_is_a_conflict_without_a_write() {
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
        let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
        Mock::given(method("GET"))
            .and(path(format!("/api/work_pools/{POOL}")))
            .respond_with(in_order(vec![
                pool_reply(POOL, "kubernetes", &current()),
                ResponseTemplate::new(200).set_body_json(pool_body(
                    POOL,
                    "kubernetes",
                    &edited,
                    updated,
                )),
            ]))
            .expect(2)
            .mount(&server)
            .await;
        defaults_mock(&server, 1).await;
        strict(&server).await;

        let out = run(update(&server, &dir, 0)).await;
        out.code(1);
        assert!(
            out.stdout
                .ends_with(&format!("{POOL}: conflict, nothing sent\n")),
            "{out}"
        );
        let want = format!(
            "work pool \"{POOL}\" changed on the server while poolsync worked on it ({what}); nothing was written; run poolsync again"
        );
        assert!(out.stderr.contains(&want), "{out}");
        assert_patched_merged(&server, 0).await;
        assert_backups(dir.path(), 0);
        server.verify().await;
    }
}

/// `rollback POOL --to FILE` when the pool changes between rollback's read and its re-read:
/// conflict, exit 1, no PATCH, no new backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_conflict_writes_nothing() {
    let server = MockServer::start().await;
    let (saved_dir, dir) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let file = saved_dir.path().join("k8s-backup.json");
    let backup = json!({
        "poolsync_backup": 1, "created": "2024-01-01T00:00:00+00:00", "api_url": api(&server),
        "pool": pool_body(POOL, "kubernetes", &current(), "2024-01-01T00:00:00Z"),
        "default": mock::newer_default(), "merged": merged()
    });
    std::fs::write(&file, backup.to_string()).unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{POOL}")))
        .respond_with(in_order(vec![
            ResponseTemplate::new(200).set_body_json(pool_body(
                POOL,
                "kubernetes",
                &merged(),
                "2024-02-01T00:00:00Z",
            )),
            ResponseTemplate::new(200).set_body_json(pool_body(
                POOL,
                "kubernetes",
                &mock::newer_default(),
                "2024-03-01T00:00:00Z",
            )),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["rollback", POOL, "--api-url", &api(&server), "--to"])
        .arg(&file)
        .arg("--backup-dir")
        .arg(dir.path());
    let out = run(cmd).await;
    out.code(1);
    let want = format!(
        "work pool \"{POOL}\" changed on the server while poolsync worked on it (updated 2024-02-01T00:00:00Z -> 2024-03-01T00:00:00Z); nothing was written"
    );
    assert!(out.stderr.contains(&want), "{out}");
    assert!(!out.stdout.contains("rolled back"), "{out}");
    assert_patched_merged(&server, 0).await;
    assert_backups(dir.path(), 0);
}

/// The pool read's reply is cut mid-body: exit 1, the error names the URL and the body
/// error, nothing but that one read was sent, no backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_closed_mid_body_on_the_read() {
    let (url, seen) = raw_server(|_, _| cut_short());
    let dir = TempDir::new().unwrap();
    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["update", POOL, "--api-url", &url, "--backup-dir"])
        .arg(dir.path());
    let out = run(cmd).await;
    out.code(1);
    assert!(
        out.stderr
            .contains(&format!("GET {url}/work_pools/{POOL} failed")),
        "{out}"
    );
    assert!(out.stderr.contains("body"), "cause not named; {out}");
    let seen: Vec<String> = seen.lock().unwrap().iter().map(|r| r.0.clone()).collect();
    assert_eq!(seen, [format!("GET /api/work_pools/{POOL} HTTP/1.1")]);
    assert_backups(dir.path(), 0);
}

/// The PATCH's reply is cut mid-body (the write may have landed): failed, exit 1, the
/// error names the URL; the one PATCH held exactly the merged template; one backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_closed_mid_body_on_the_patch_reply() {
    let (url, seen) = raw_server(|line, _| {
        if line.starts_with("PATCH ") {
            cut_short()
        } else if line.starts_with("GET /api/csrf-token") {
            http_json(
                "422 Unprocessable Entity",
                &json!({"detail": "CSRF protection is disabled."}),
            )
        } else if line.starts_with("GET /api/collections/") {
            http_json("200 OK", &mock::defaults("kubernetes", "kubernetes"))
        } else if line.starts_with(&format!("GET /api/work_pools/{POOL} ")) {
            http_json("200 OK", &pool_body(POOL, "kubernetes", &current(), "t"))
        } else {
            http_json("418 I'm a teapot", &json!({"detail": "unexpected"}))
        }
    });
    let dir = TempDir::new().unwrap();
    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["update", POOL, "--api-url", &url, "--backup-dir"])
        .arg(dir.path());
    let out = run(cmd).await;
    out.code(1);
    assert!(
        out.stderr
            .contains(&format!("PATCH {url}/work_pools/{POOL} failed")),
        "{out}"
    );
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    let seen = seen.lock().unwrap().clone();
    let lines: Vec<&str> = seen.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("PATCH")).count(),
        1,
        "{lines:?}"
    );
    let known = [
        "PATCH ",
        "GET /api/csrf-token",
        "GET /api/collections/",
        "GET /api/work_pools/",
    ];
    let unexpected = |l: &&&str| !known.iter().any(|k| l.starts_with(k));
    assert!(!lines.iter().any(|l| unexpected(&l)), "{lines:?}");
    let patch = seen.iter().find(|r| r.0.starts_with("PATCH")).unwrap();
    let body: Value = serde_json::from_slice(&patch.1).unwrap();
    assert_eq!(body, json!({"base_job_template": merged()}));
    assert_backups(dir.path(), 1);
}
