//! Replies cut short on the wire, which wiremock cannot send: a raw HTTP server closes the
//! connection mid-body on the read or on the PATCH. Nothing partial is written, and a backup
//! exists exactly when the PATCH was sent.

use crate::mock::{self, POOL, current, cut_short, http_json, merged, pool_body, raw_server};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The pool read's reply is cut mid-body: exit 1, the error names the URL and the body
/// error, nothing but that one read was sent, no backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_closed_mid_body_on_the_read() {
    let (url, seen) = raw_server(|_, _| cut_short());
    let dir = TempDir::new().expect("dir");
    let mut cmd = mock::poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["update", POOL, "--api-url", &url, "--backup-dir"])
        .arg(dir.path());
    let out = mock::run(cmd).await;
    out.code(1);
    assert!(
        out.stderr
            .contains(&format!("GET {url}/work_pools/{POOL} failed")),
        "{out}"
    );
    assert!(out.stderr.contains("body"), "cause not named; {out}");
    let seen: Vec<String> = seen
        .lock()
        .expect("log")
        .iter()
        .map(|r| r.line.clone())
        .collect();
    assert_eq!(seen, [format!("GET /api/work_pools/{POOL} HTTP/1.1")]);
    assert!(mock::files_under(dir.path()).is_empty());
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
    let dir = TempDir::new().expect("dir");
    let mut cmd = mock::poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .args(["update", POOL, "--api-url", &url, "--backup-dir"])
        .arg(dir.path());
    let out = mock::run(cmd).await;
    out.code(1);
    assert!(
        out.stderr
            .contains(&format!("PATCH {url}/work_pools/{POOL} failed")),
        "{out}"
    );
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    let seen = seen.lock().expect("log").clone();
    let lines: Vec<&str> = seen.iter().map(|r| r.line.as_str()).collect();
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
    assert!(
        lines.iter().all(|l| known.iter().any(|k| l.starts_with(k))),
        "{lines:?}"
    );
    let patch = seen
        .iter()
        .find(|r| r.line.starts_with("PATCH"))
        .expect("a PATCH");
    let body: Value = serde_json::from_slice(&patch.body).expect("json");
    assert_eq!(body, json!({"base_job_template": merged()}));
    assert_eq!(mock::files_under(dir.path()).len(), 1);
}
