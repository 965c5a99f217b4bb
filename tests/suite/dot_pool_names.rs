//! Pools named `.` and `..`. The Prefect server accepts them and routes
//! `/work_pools/%2E%2E` to them, but every URL parser that follows the URL standard,
//! reqwest's and wiremock's included, resolves `%2E%2E` as a dot segment; poolsync sends
//! those requests through its verbatim client. On a raw server the request target is shown
//! exactly as sent, with the same headers as every other request (credentials, custom
//! headers, the CSRF token), and a proxy is refused; on the real server the pools really
//! change, and roll back.

use crate::harness::Run;
use crate::harness::fixtures::{current, merged, pool_body};
use crate::harness::live::{api_url, create_pool, default_template, read_template, unique};
use crate::harness::raw::{Sent, http_json, raw_server};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use tempfile::TempDir;

/// Whether the scripted server has taken its PATCH (only the first test's server writes).
static PATCHED: AtomicBool = AtomicBool::new(false);
/// Whether it has issued its CSRF token: until then it refuses a PATCH as a CSRF-protected
/// Prefect server refuses one without a token (it sees only the request line).
static ISSUED: AtomicBool = AtomicBool::new(false);

fn dot_dot_server(line: &str, _: usize) -> (String, bool) {
    if line.starts_with("GET /api/csrf-token") {
        ISSUED.store(true, Ordering::SeqCst);
        http_json("200 OK", &json!({"token": "tok-123"}))
    } else if line.starts_with("PATCH ") && !ISSUED.load(Ordering::SeqCst) {
        http_json("403 Forbidden", &json!({"detail": "Missing CSRF token."}))
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
/// the pool (read, PATCH within that read's window refused for want of a CSRF token, PATCH
/// with it, read-back) targets `/api/work_pools/%2E%2E` as written, the PATCH carries the
/// merged template and every header the main client sends, and the pool is updated.
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
            "PATCH /api/work_pools/%2E%2E HTTP/1.1",
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
    assert_eq!(pool[1].header("prefect-csrf-token"), None, "{:?}", pool[1]);
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

/// One raw HTTP/1.1 request with its path sent exactly as given (the only way to reach a
/// pool named `..`); returns the status line and body.
fn raw(method: &str, path: &str, body: Option<&Value>) -> (String, String) {
    let rest = api_url().trim_start_matches("http://");
    let (host, base) = rest.split_once('/').expect("api url with a path");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    let request = format!(
        "{method} /{base}{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    (
        head.lines().next().unwrap_or_default().to_string(),
        body.to_string(),
    )
}

/// Pools named `.` and `..`, created for one test and deleted after it, panicking or not.
struct DotPools;

impl DotPools {
    fn create() -> DotPools {
        for name in [".", ".."] {
            let (status, body) = raw(
                "POST",
                "/work_pools/",
                Some(&json!({"name": name, "type": "process", "base_job_template": {}})),
            );
            assert!(
                status.contains(" 201 ") || status.contains(" 409 "),
                "create {name:?}: {status} {body}"
            );
        }
        DotPools
    }

    fn template(name: &str) -> Value {
        let encoded = name.replace('.', "%2E");
        let (status, body) = raw("GET", &format!("/work_pools/{encoded}"), None);
        assert!(status.contains(" 200 "), "read {name:?}: {status} {body}");
        let body = body.trim();
        // A chunked body: take the JSON object out of it.
        let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
        serde_json::from_str::<Value>(json).expect("pool json")["base_job_template"].clone()
    }
}

impl Drop for DotPools {
    fn drop(&mut self) {
        for name in ["%2E", "%2E%2E"] {
            let _ = raw("DELETE", &format!("/work_pools/{name}"), None);
        }
    }
}

fn outcome(lines: &[Value], pool: &str) -> String {
    let line = lines
        .iter()
        .find(|l| l["pool"] == pool)
        .unwrap_or_else(|| panic!("no report of {pool:?}: {lines:?}"));
    line["outcome"].as_str().unwrap_or_default().to_string()
}

/// One scenario (the dot pools are server-wide names, so one test owns them): `update . ..
/// POOL` updates all three; `rollback ..` restores `..` alone; `update --all --name '.*'`
/// finds both dot pools through the listing and updates `..` again.
#[test]
fn pools_named_dot_and_dot_dot_update_and_roll_back() {
    let _dots = DotPools::create();
    let other = unique("beside-dots");
    create_pool(&other, "process", &json!({}));
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().to_str().unwrap();
    let want = default_template("process");

    let out = Run::new(["update", ".", "..", &other, "--output", "json", "-v"])
        .args(["--backup-dir", dir])
        .live()
        .run();
    out.code(0);
    let lines = out.json_lines();
    let log = out.stderr.clone();
    for name in [".", "..", other.as_str()] {
        assert_eq!(outcome(&lines, name), "updated", "{name:?}: {lines:?}");
    }
    assert_eq!(DotPools::template("."), want);
    assert_eq!(DotPools::template(".."), want);
    assert_eq!(read_template(&other), want);
    for path in ["/work_pools/%2E ->", "/work_pools/%2E%2E ->"] {
        assert!(log.contains(&format!("PATCH {}{path}", api_url())), "{log}");
    }
    // Nothing went to the paths the dot segments resolve to.
    for resolved in ["/work_pools/ ->", "/work_pools ->", "/api/ ->", "/api ->"] {
        assert!(!log.contains(resolved), "{resolved}: {log}");
    }

    Run::new(["rollback", "..", "--latest", "--backup-dir", dir])
        .live()
        .run()
        .code(0);
    assert_eq!(DotPools::template(".."), json!({}));
    assert_eq!(
        DotPools::template("."),
        want,
        "rolling back `..` touched `.`"
    );

    let out = Run::new(["update", "--all", "--name", ".*", "--output", "json"])
        .args(["--backup-dir", dir])
        .live()
        .run();
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(outcome(&lines, ".."), "updated", "{lines:?}");
    assert_eq!(outcome(&lines, "."), "up_to_date", "{lines:?}");
    assert_eq!(DotPools::template(".."), want);
}
