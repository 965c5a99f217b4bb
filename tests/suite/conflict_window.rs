//! The conflict window on the real server (issue 17): a write that waited is re-read before
//! it is sent again. A proxy in front of the server answers a pool's first PATCH `503`
//! (never forwarding it), after another writer edited the pool through the API; poolsync
//! backs off, re-reads, and ends the pool `conflict` with the edit kept and nothing else
//! sent. Before the fix the client re-sent the PATCH after its backoff: the edit was gone,
//! no backup held it, and poolsync said `updated`.

use crate::harness::Run;
use crate::harness::live::{api_url, create_pool, read_template, send};
use crate::harness::live::{stale_kubernetes, unique};
use crate::harness::proxy;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Another writer's edit of `pool` through the API (a new image default); returns the
/// template it stored.
fn edit(pool: &str) -> Value {
    let mut template = read_template(pool);
    template["variables"]["properties"]["image"]["default"] = json!("example.com/edited:7");
    let url = format!("{}/work_pools/{pool}", api_url());
    let body = json!({ "base_job_template": template });
    let (resp, _) = send("edit the pool", |c| c.patch(&url).json(&body));
    assert!(resp.status().is_success(), "edit: {}", resp.status());
    template
}

/// The first PATCH waits out a `503` (the default 5 retries, backoff from about 1 s) while
/// another writer's edit is on the server: `conflict`, exit 1, the edit stays, and only
/// that first PATCH was ever sent.
#[test]
fn an_edit_while_a_patch_waits_out_a_503_is_a_conflict_not_lost() {
    let pool = unique("window-503");
    create_pool(&pool, "kubernetes", &stale_kubernetes());
    let patches = Arc::new(AtomicUsize::new(0));
    let edited = Arc::new(std::sync::Mutex::new(None));
    let url = {
        let (patches, edited, pool) = (patches.clone(), edited.clone(), pool.clone());
        proxy::forward(move |sent| {
            if !sent.line.starts_with("PATCH ") {
                return None;
            }
            match patches.fetch_add(1, Ordering::SeqCst) {
                0 => {
                    *edited.lock().expect("lock") = Some(edit(&pool));
                    Some((503, json!({"exception_message": "Service Unavailable"})))
                }
                _ => None,
            }
        })
    };
    let backups = tempfile::tempdir().expect("backup dir");
    let out = Run::new(["update", &pool, "--output", "json", "--base", "none"])
        .args(["--api-url", &url, "--backup-dir"])
        .arg(backups.path())
        .server_home()
        .run();
    let stdout = out.stdout.clone();
    let stderr = out.stderr.clone();
    let (pools, _) = out.outcomes();

    let edited = edited
        .lock()
        .expect("lock")
        .clone()
        .expect("the proxy saw a PATCH");
    assert_eq!(
        read_template(&pool),
        edited,
        "the edit was overwritten: {stdout}{stderr}"
    );
    assert_eq!(
        pools.get(&pool).map(String::as_str),
        Some("conflict"),
        "{stdout}{stderr}"
    );
    assert_eq!(out.status, Some(1), "{stdout}{stderr}");
    assert_eq!(patches.load(Ordering::SeqCst), 1, "PATCHes sent: {stdout}");
}
