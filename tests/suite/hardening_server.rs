//! Hostile names on the real Prefect server. The server accepts pools named `.` and `..`
//! and routes `/work_pools/%2E%2E` to them, but every URL parser that follows the URL
//! standard, reqwest's included, resolves `%2E%2E` as a dot segment. poolsync sends those
//! requests through its verbatim client; these tests show the pools really change, and that
//! nothing reaches the endpoint a resolved path would name.

use crate::harness::Run;
use crate::harness::live::{api_url, create_pool, default_template, read_template, unique};
use serde_json::{Value, json};
use std::io::{Read, Write};

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
        .args(["--backup-dir", dir, "--api-url", api_url()])
        .server_home()
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
        .args(["--api-url", api_url()])
        .server_home()
        .run()
        .code(0);
    assert_eq!(DotPools::template(".."), json!({}));
    assert_eq!(
        DotPools::template("."),
        want,
        "rolling back `..` touched `.`"
    );

    let out = Run::new(["update", "--all", "--name", ".*", "--output", "json"])
        .args(["--backup-dir", dir, "--api-url", api_url()])
        .server_home()
        .run();
    out.code(0);
    let lines = out.json_lines();
    assert_eq!(outcome(&lines, ".."), "updated", "{lines:?}");
    assert_eq!(outcome(&lines, "."), "up_to_date", "{lines:?}");
    assert_eq!(DotPools::template(".."), want);
}
