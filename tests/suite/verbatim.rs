//! Pools named `..` on the wire: a raw server shows the request target exactly as sent
//! (wiremock's URL parsing would resolve it first). The verbatim client sends the same
//! headers as every other request: credentials, custom headers, the CSRF token.

use crate::harness::Run;
use crate::harness::fixtures::{current, merged, pool_body};
use crate::harness::raw::{Sent, http_json, raw_server};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use tempfile::TempDir;

/// Whether the scripted server has taken its PATCH (only the first test's server writes).
static PATCHED: AtomicBool = AtomicBool::new(false);

fn dot_dot_server(line: &str, _: usize) -> (String, bool) {
    if line.starts_with("GET /api/csrf-token") {
        http_json("200 OK", &json!({"token": "tok-123"}))
    } else if line.starts_with("GET /api/collections/") {
        http_json(
            "200 OK",
            &crate::harness::fixtures::defaults("kubernetes", "kubernetes"),
        )
    } else if line == "PATCH /api/work_pools/%2E%2E HTTP/1.1" {
        PATCHED.store(true, Ordering::SeqCst);
        ("HTTP/1.1 204 No Content\r\n\r\n".to_string(), false)
    } else if line == "GET /api/work_pools/%2E%2E HTTP/1.1" {
        let template = match PATCHED.load(Ordering::SeqCst) {
            true => merged(),
            false => current(),
        };
        http_json("200 OK", &pool_body("..", "kubernetes", &template, "t"))
    } else {
        http_json("418 I'm a teapot", &json!({"detail": "unexpected"}))
    }
}

/// `update ..` with a key, a custom header and a CSRF-protected server: every request for
/// the pool (read, re-read before the write, PATCH, read-back) targets
/// `/api/work_pools/%2E%2E` as written, the PATCH carries the merged
/// template and every header the main client sends, and the pool is updated.
#[test]
fn a_pool_named_dot_dot_is_read_and_written_with_every_header() {
    let (url, seen) = raw_server(dot_dot_server);
    let dir = TempDir::new().expect("dir");
    let out = Run::new(["update", "..", "--output", "json"])
        .env("PREFECT_API_KEY", "pnu_verbatim_secret")
        .env("PREFECT_CLIENT_CUSTOM_HEADERS", r#"{"X-Team": "data"}"#)
        .api(&url)
        .backup_dir(dir.path())
        .run();
    out.code(0);
    let report: Value = serde_json::from_str(out.stdout.trim()).expect("json report");
    assert_eq!(report["outcome"], "updated", "{out}");

    let seen: Vec<Sent> = seen.lock().expect("log").clone();
    let pool: Vec<&Sent> = seen
        .iter()
        .filter(|r| r.line.contains("work_pools"))
        .collect();
    let lines: Vec<&str> = pool.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(
        lines,
        [
            "GET /api/work_pools/%2E%2E HTTP/1.1",
            "GET /api/work_pools/%2E%2E HTTP/1.1",
            "PATCH /api/work_pools/%2E%2E HTTP/1.1",
            "GET /api/work_pools/%2E%2E HTTP/1.1",
        ],
        "{seen:?}"
    );
    for request in &pool {
        assert_eq!(
            request.header("authorization"),
            Some("Bearer pnu_verbatim_secret")
        );
        assert_eq!(request.header("x-team"), Some("data"), "{request:?}");
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("poolsync/"), "{request:?}");
        assert!(request.header("host").is_some(), "{request:?}");
    }
    let patch = pool[2];
    assert_eq!(patch.header("prefect-csrf-token"), Some("tok-123"));
    assert!(patch.header("prefect-csrf-client").is_some(), "{patch:?}");
    assert_eq!(patch.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&patch.body).expect("json body");
    assert_eq!(body, json!({"base_job_template": merged()}));
}

/// A proxy named for the API's host would resolve the dot segment itself: the request is
/// refused before it is sent, with the fix, and nothing reaches the server.
#[test]
fn a_pool_named_dot_dot_is_not_sent_through_a_proxy() {
    let (url, seen) = raw_server(|_, _| http_json("500 Internal Server Error", &json!({})));
    let out = Run::new(["update", "..", "--dry-run"])
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .api(&url)
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("cannot be sent through a proxy") && out.stderr.contains("NO_PROXY"),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!("{url}/work_pools/%2E%2E")),
        "{out}"
    );
    assert!(seen.lock().expect("log").is_empty());
}
