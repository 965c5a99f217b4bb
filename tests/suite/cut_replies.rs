//! Replies cut short on the wire, which wiremock cannot send: a raw HTTP server closes the
//! connection mid-body on the read or on the PATCH. Nothing partial is written, and a backup
//! exists exactly when the PATCH was sent.

use crate::harness::fixtures::{POOL, current, merged, pool_body};
use crate::harness::raw::{Sent, cut_short, http_json};
use crate::harness::{Output, Run};
use serde_json::{Value, json};
use std::path::PathBuf;
use tempfile::TempDir;

/// What `update POOL` did against a raw server.
struct Wire {
    /// The server's API URL.
    url: String,
    out: Output,
    /// Every request the server saw, in order.
    sent: Vec<Sent>,
    backups: Vec<PathBuf>,
}

impl Wire {
    /// The request lines the server saw, in order.
    fn lines(&self) -> Vec<&str> {
        self.sent.iter().map(|r| r.line.as_str()).collect()
    }

    /// Exit 1, and stderr names the request that failed: `METHOD {url}/work_pools/{POOL}`.
    #[track_caller]
    fn failed_on(&self, method: &str) -> &Output {
        self.out.code(1);
        let want = format!("{method} {}/work_pools/{POOL} failed", self.url);
        assert!(self.out.stderr.contains(&want), "{}", self.out);
        &self.out
    }
}

/// `update POOL` with retries off and a fresh backup folder, against a raw server whose
/// replies `answer` gives (see [`crate::harness::raw::raw_server`]).
fn update(answer: fn(&str, usize) -> (String, bool)) -> Wire {
    let (url, seen) = crate::harness::raw::raw_server(answer);
    let dir = TempDir::new().expect("dir");
    let out = Run::new(["update", POOL])
        .env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .api(&url)
        .backup_dir(dir.path())
        .run();
    let sent = seen.lock().expect("log").clone();
    let backups = crate::harness::fixtures::files_under(dir.path());
    Wire {
        url,
        out,
        sent,
        backups,
    }
}

/// The pool read's reply is cut mid-body: exit 1, the error names the URL and the body
/// error, nothing but that one read was sent, no backup.
#[test]
fn connection_closed_mid_body_on_the_read() {
    let wire = update(|_, _| cut_short());
    let out = wire.failed_on("GET");
    assert!(out.stderr.contains("body"), "cause not named; {out}");
    assert_eq!(
        wire.lines(),
        [format!("GET /api/work_pools/{POOL} HTTP/1.1")]
    );
    assert!(wire.backups.is_empty());
}

/// The PATCH's reply is cut mid-body (the write may have landed): failed, exit 1, the
/// error names the URL; the one PATCH held exactly the merged template; one backup.
#[test]
fn connection_closed_mid_body_on_the_patch_reply() {
    let wire = update(|line, _| {
        if line.starts_with("PATCH ") {
            cut_short()
        } else if line.starts_with("GET /api/csrf-token") {
            http_json(
                "422 Unprocessable Entity",
                &json!({"detail": "CSRF protection is disabled."}),
            )
        } else if line.starts_with("GET /api/collections/") {
            http_json(
                "200 OK",
                &crate::harness::fixtures::defaults("kubernetes", "kubernetes"),
            )
        } else if line.starts_with(&format!("GET /api/work_pools/{POOL} ")) {
            http_json("200 OK", &pool_body(POOL, "kubernetes", &current(), "t"))
        } else {
            http_json("418 I'm a teapot", &json!({"detail": "unexpected"}))
        }
    });
    let out = wire.failed_on("PATCH");
    assert!(out.stdout.ends_with(&format!("{POOL}: failed\n")), "{out}");
    let lines = wire.lines();
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
    let patch = wire
        .sent
        .iter()
        .find(|r| r.line.starts_with("PATCH"))
        .expect("a PATCH");
    let body: Value = serde_json::from_slice(&patch.body).expect("json");
    assert_eq!(body, json!({"base_job_template": merged()}));
    assert_eq!(wire.backups.len(), 1);
}
