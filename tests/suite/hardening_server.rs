//! Hostile names on the real Prefect server. The server accepts pools named `.` and `..`
//! (and routes `/work_pools/%2E%2E` to them), but every URL parser that follows the URL
//! standard, reqwest's included, resolves `%2E%2E` as a dot segment: no request of
//! poolsync's can name such a pool. poolsync must say so by name, send nothing to the
//! endpoint the resolved path would reach, and still update the other pools of the run.

use crate::support::{api_url, create_pool, default_template, poolsync, read_template, unique};
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

/// `update . .. POOL`: the dot pools fail by name with the reason, unchanged; POOL is
/// updated; the run exits 1.
#[test]
fn pools_named_dot_and_dot_dot_fail_by_name_and_the_rest_update() {
    let _dots = DotPools::create();
    let other = unique("beside-dots");
    create_pool(&other, "process", &json!({}));
    let backups = tempfile::tempdir().unwrap();

    let out = poolsync()
        .args(["update", ".", "..", &other, "--output", "json"])
        .args(["--backup-dir", backups.path().to_str().unwrap()])
        .args(["--api-url", api_url()])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let report = |name: &str| {
        lines
            .iter()
            .find(|l| l["pool"] == name)
            .unwrap_or_else(|| panic!("no report of {name:?}: {stdout}"))
            .clone()
    };
    for name in [".", ".."] {
        let line = report(name);
        assert_eq!(line["outcome"], "failed", "{line}");
        let error = line["error"].as_str().unwrap_or_default();
        assert!(error.contains("cannot be addressed"), "{line}");
        assert_eq!(DotPools::template(name), json!({}), "{name:?} changed");
    }
    assert_eq!(report(&other)["outcome"], "updated", "{stdout}");
    assert_eq!(read_template(&other), default_template("process"));
}
