//! Idle connections: a self-hosted Prefect server closes a keep-alive connection after 5 s
//! idle (uvicorn's default). A request sent on one just as the server closes it fails
//! ("connection closed before message completed"), and on a PATCH that is a write that may
//! have landed. poolsync drops a connection idle for 4 s rather than reuse it.

use crate::harness::Run;
use crate::harness::fixtures::{POOL, current, defaults, pool_body};
use crate::harness::raw::{http_json, raw_server};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the pool's read was throttled once already.
static THROTTLED: AtomicBool = AtomicBool::new(false);

/// The pool's first read is answered 429 with `Retry-After: 5`; the run waits 5 s with
/// nothing in flight, and the read that follows goes on a new connection, though the raw
/// server kept every earlier one open.
#[test]
fn a_connection_idle_for_five_seconds_is_not_reused() {
    let (url, seen) = raw_server(|line, _| {
        if line.starts_with("GET /api/collections/") {
            http_json("200 OK", &defaults("kubernetes", "kubernetes"))
        } else if line.starts_with(&format!("GET /api/work_pools/{POOL} ")) {
            if THROTTLED.swap(true, Ordering::SeqCst) {
                http_json("200 OK", &pool_body(POOL, "kubernetes", &current(), "t"))
            } else {
                let body = json!({"detail": "slow down"}).to_string();
                let head = format!(
                    "HTTP/1.1 429 Too Many Requests\r\nretry-after: 5\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                (head + &body, false)
            }
        } else {
            http_json("418 I'm a teapot", &json!({"detail": "unexpected"}))
        }
    });
    let out = Run::new(["update", POOL, "--dry-run"]).api(&url).run();
    out.code(0);
    let sent = seen.lock().expect("log").clone();
    let reads: Vec<usize> = (0..sent.len())
        .filter(|&i| sent[i].line.starts_with("GET /api/work_pools/"))
        .collect();
    assert_eq!(reads.len(), 2, "{sent:?}");
    let retried = &sent[reads[1]];
    let earlier: Vec<usize> = sent[..reads[1]].iter().map(|r| r.conn).collect();
    assert!(
        !earlier.contains(&retried.conn),
        "the read after 5 s idle went on connection {} of {earlier:?}",
        retried.conn
    );
}
