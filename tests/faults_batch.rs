//! The fault matrix of batches (`update --all` and several named pools): one pool's fault
//! (deleted, edited concurrently, refused with 422 or 403, reserved) ends that pool only and
//! the others are updated; a defaults endpoint that is down fails every pool without a
//! write. Every case checks the PATCHes that reached the server (only of the healthy pools,
//! each exactly the merged template), each pool's outcome and reason in `--output json`,
//! the summary counts, the backups (exactly one per attempted write) and the exit code.

mod mock;

use mock::{
    Out, api, csrf_disabled, current, defaults_mock, files_under, filter_mock, json_lines,
    listed_pool_reads, merged, patches, pool_body, pool_mock, poolsync, run, strict,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UPDATED: &str = "2024-01-01T00:00:00Z";

/// A kubernetes pool as a listing returns it, holding `current()`.
fn listed(name: &str) -> Value {
    pool_body(name, "kubernetes", &current(), UPDATED)
}

/// `GET /api/work_pools/{name}` answering `reply`, called exactly `times`.
async fn read_mock(
    server: &MockServer,
    name: &str,
    reply: impl wiremock::Respond + 'static,
    times: u64,
) {
    Mock::given(method("GET"))
        .and(path(format!("/api/work_pools/{name}")))
        .respond_with(reply)
        .expect(times)
        .mount(server)
        .await;
}

/// `PATCH /api/work_pools/{name}` answering `reply`, called exactly `times`.
async fn patch_mock(server: &MockServer, name: &str, reply: ResponseTemplate, times: u64) {
    Mock::given(method("PATCH"))
        .and(path(format!("/api/work_pools/{name}")))
        .respond_with(reply)
        .expect(times)
        .mount(server)
        .await;
}

/// A listed pool that updates cleanly: its re-read, its PATCH, its read-back.
async fn healthy_listed(server: &MockServer, name: &str) {
    read_mock(server, name, listed_pool_reads(name, &current()), 2).await;
    patch_mock(server, name, ResponseTemplate::new(204), 1).await;
}

/// `poolsync update <args> --output json` with retries as given, backing up into `dir`.
async fn batch(server: &MockServer, dir: &TempDir, retries: u32, args: &[&str]) -> Out {
    let mut cmd = poolsync();
    cmd.env("PREFECT_CLIENT_MAX_RETRIES", retries.to_string())
        .arg("update")
        .args(args)
        .args([
            "--output",
            "json",
            "--api-url",
            &api(server),
            "--backup-dir",
        ])
        .arg(dir.path());
    run(cmd).await
}

/// Each pool's JSON line by name; checks the summary's total against the lines.
fn by_pool(out: &Out) -> (BTreeMap<String, Value>, Value) {
    let (lines, summary) = json_lines(out);
    assert_eq!(summary["total"], lines.len(), "{out}");
    let pools: BTreeMap<String, Value> = lines
        .into_iter()
        .map(|l| (l["pool"].as_str().unwrap().to_string(), l))
        .collect();
    (pools, summary)
}

/// The summary's outcome counts that are not zero.
fn counts(summary: &Value) -> BTreeMap<String, u64> {
    summary["outcomes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, n)| n.as_u64() != Some(0))
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

fn want_counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

/// The PATCHes received were exactly one per pool in `names`, each of the merged template.
async fn assert_patched(server: &MockServer, names: &[&str]) {
    let mut sent = patches(server).await;
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    let paths: Vec<String> = sent.iter().map(|p| p.0.clone()).collect();
    let want: Vec<String> = names
        .iter()
        .map(|n| format!("/api/work_pools/{n}"))
        .collect();
    assert_eq!(paths, want);
    for (at, body) in sent {
        assert_eq!(body, json!({"base_job_template": merged()}), "{at}");
    }
}

/// The pools with a backup under `dir` (one file each), sorted.
fn backed_up(dir: &TempDir) -> Vec<String> {
    let files = files_under(dir.path());
    let mut pools: Vec<String> = files
        .iter()
        .map(|f| {
            // The pool's folder name carries a hash; the file records the real name.
            let saved: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            saved["pool"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    pools.sort();
    let n = pools.len();
    pools.dedup();
    assert_eq!(pools.len(), n, "more than one backup of a pool: {files:?}");
    pools
}

/// A pool listed by `--all` but deleted before its re-read (404): that pool failed ("was
/// not found"), the others are updated, exit 1, and the summary counts both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_deleted_between_list_and_update() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    filter_mock(&server, vec![listed("a"), listed("b"), listed("c")]).await;
    healthy_listed(&server, "a").await;
    healthy_listed(&server, "c").await;
    let gone = ResponseTemplate::new(404).set_body_json(json!({"detail": "Work pool not found."}));
    read_mock(&server, "b", gone, 1).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let out = batch(&server, &dir, 0, &["--all"]).await;
    out.code(1);
    let (pools, summary) = by_pool(&out);
    assert_eq!(pools["a"]["outcome"], "updated", "{out}");
    assert_eq!(pools["c"]["outcome"], "updated", "{out}");
    assert_eq!(pools["b"]["outcome"], "failed", "{out}");
    let error = pools["b"]["error"].as_str().unwrap();
    let want = format!("work pool \"b\" was not found at {}", api(&server));
    assert!(error.contains(&want), "{error}");
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("failed", 1)])
    );
    assert_patched(&server, &["a", "c"]).await;
    assert_eq!(backed_up(&dir), ["a", "c"]);
}

/// One pool of a batch changes between the listing and its re-read: conflict with the
/// "run poolsync again" message, no PATCH or backup for it; the others are updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edit_in_a_batch_spares_the_other_pools() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    filter_mock(&server, vec![listed("a"), listed("b"), listed("c")]).await;
    healthy_listed(&server, "a").await;
    healthy_listed(&server, "c").await;
    let mut edited = current();
    edited["job_configuration"]["image"] = json!("fixed:1");
    let later = pool_body("b", "kubernetes", &edited, "2024-05-05T05:05:05Z");
    read_mock(
        &server,
        "b",
        ResponseTemplate::new(200).set_body_json(later),
        1,
    )
    .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let out = batch(&server, &dir, 0, &["--all"]).await;
    out.code(1);
    let (pools, summary) = by_pool(&out);
    assert_eq!(pools["b"]["outcome"], "conflict", "{out}");
    let error = pools["b"]["error"].as_str().unwrap();
    assert!(
        error.contains("work pool \"b\" changed on the server")
            && error.contains("2024-05-05T05:05:05Z")
            && error.contains("nothing was written; run poolsync again"),
        "{error}"
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("conflict", 1)])
    );
    assert_patched(&server, &["a", "c"]).await;
    assert_eq!(backed_up(&dir), ["a", "c"]);
}

/// A 422 with the server's `exception_detail` on one pool's PATCH: that pool failed with
/// the `msg` text (not retried; its backup exists, a write was attempted); others updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_422_in_a_batch_fails_that_pool_only() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    for name in ["a", "c"] {
        pool_mock(&server, name, &current()).await;
        patch_mock(&server, name, ResponseTemplate::new(204), 1).await;
    }
    pool_mock(&server, "b", &current()).await;
    let invalid = ResponseTemplate::new(422).set_body_json(json!({
        "exception_message": "Invalid request received.",
        "exception_detail": [{"loc": ["body", "base_job_template"],
            "msg": "Value error, The variables specified in the job configuration template must be present as properties in the variables schema.",
            "type": "value_error"}],
        "request_body": {}
    }));
    patch_mock(&server, "b", invalid, 1).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let out = batch(&server, &dir, 5, &["a", "b", "c"]).await;
    out.code(1);
    let (pools, summary) = by_pool(&out);
    assert_eq!(pools["b"]["outcome"], "failed", "{out}");
    let error = pools["b"]["error"].as_str().unwrap();
    let head = format!("PATCH {}/work_pools/b returned 422", api(&server));
    assert!(error.starts_with(&head), "{error}");
    assert!(
        error.contains(
            "Value error, The variables specified in the job configuration template must be present"
        ),
        "{error}"
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 2), ("failed", 1)])
    );
    assert_eq!(summary["retries"], 0);
    assert_patched(&server, &["a", "b", "c"]).await;
    assert_eq!(backed_up(&dir), ["a", "b", "c"]);
}

/// `--all` over reserved names (`prefect-...`, `PREFECT...`) and a pool whose PATCH is
/// refused with 403: the reserved pools are skipped with the reason and never read again
/// nor written; the 403 pool failed with the server's detail; the rest is updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_names_are_skipped_and_403_fails_with_the_detail() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let pools = vec![
        listed("a"),
        pool_body("prefect-managed-x", "prefect:managed", &current(), UPDATED),
        listed("PREFECTY"),
        listed("locked"),
    ];
    filter_mock(&server, pools).await;
    healthy_listed(&server, "a").await;
    read_mock(
        &server,
        "locked",
        listed_pool_reads("locked", &current()),
        1,
    )
    .await;
    let forbidden = ResponseTemplate::new(403)
        .set_body_json(json!({"detail": "Not authorized: missing scope manage_work_pools"}));
    patch_mock(&server, "locked", forbidden, 1).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let out = batch(&server, &dir, 5, &["--all"]).await;
    out.code(1);
    let (pools, summary) = by_pool(&out);
    for name in ["prefect-managed-x", "PREFECTY"] {
        assert_eq!(pools[name]["outcome"], "skipped", "{out}");
        let error = pools[name]["error"].as_str().unwrap();
        let want = format!("work pool \"{name}\" has a reserved name");
        assert!(error.contains(&want), "{error}");
    }
    assert_eq!(pools["locked"]["outcome"], "failed", "{out}");
    let error = pools["locked"]["error"].as_str().unwrap();
    let want = format!(
        "PATCH {}/work_pools/locked returned 403: Not authorized: missing scope manage_work_pools",
        api(&server)
    );
    assert_eq!(error, want);
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 1), ("skipped", 2), ("failed", 1)])
    );
    assert_patched(&server, &["a", "locked"]).await;
    assert_eq!(backed_up(&dir), ["a", "locked"]);
}

/// Named pools with a reserved one: it is read once (to learn it exists), skipped, never
/// written. A skipped pool alone does not fail a batch: exit 0 (a single reserved pool
/// exits 1, see `mock_api.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_named_pool_in_a_batch_is_read_once_and_skipped() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    pool_mock(&server, "a", &current()).await;
    patch_mock(&server, "a", ResponseTemplate::new(204), 1).await;
    read_mock(
        &server,
        "Prefect-x",
        mock::pool_reads("Prefect-x", &current()),
        1,
    )
    .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let out = batch(&server, &dir, 0, &["a", "Prefect-x"]).await;
    out.code(0);
    let (pools, summary) = by_pool(&out);
    assert_eq!(pools["Prefect-x"]["outcome"], "skipped", "{out}");
    assert!(
        pools["Prefect-x"]["error"]
            .as_str()
            .unwrap()
            .contains("reserved name"),
        "{out}"
    );
    assert_eq!(
        counts(&summary),
        want_counts(&[("updated", 1), ("skipped", 1)])
    );
    assert_patched(&server, &["a"]).await;
    assert_eq!(backed_up(&dir), ["a"]);
}

/// Mounts a defaults endpoint answering 503 forever, called `times`.
async fn defaults_down(server: &MockServer, times: impl Into<wiremock::Times>) {
    Mock::given(method("GET"))
        .and(path("/api/collections/views/aggregate-worker-metadata"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"exception_message": "Service Unavailable"})),
        )
        .expect(times)
        .mount(server)
        .await;
}

/// The defaults endpoint is down (503 forever, no retries): every pool of the batch failed
/// with the defaults URL in its reason; no pool is re-read, nothing written or backed up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_down_fails_every_pool_without_a_write() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    filter_mock(&server, vec![listed("a"), listed("b"), listed("c")]).await;
    defaults_down(&server, 1..=3).await;
    csrf_disabled(&server, 1).await; // asked by the listing POST
    strict(&server).await;

    let out = batch(&server, &dir, 0, &["--all"]).await;
    out.code(1);
    let (pools, summary) = by_pool(&out);
    let url = format!(
        "GET {}/collections/views/aggregate-worker-metadata returned 503",
        api(&server)
    );
    for name in ["a", "b", "c"] {
        assert_eq!(pools[name]["outcome"], "failed", "{out}");
        let error = pools[name]["error"].as_str().unwrap();
        assert!(error.contains(&url), "{error}");
        assert_eq!(pools[name]["merged"], Value::Null, "{out}");
    }
    assert_eq!(counts(&summary), want_counts(&[("failed", 3)]));
    assert_patched(&server, &[]).await;
    assert!(files_under(dir.path()).is_empty());
}

/// The defaults are "fetched once per run" (`Context`), but a failed fetch is not
/// remembered: every pool of a batch asks the endpoint again, each time with the full
/// retry schedule, so a down endpoint costs pools x (retries + 1) requests and, with the
/// default 5 retries, about 31 s per pool in sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]

async fn defaults_down_is_asked_once_per_run() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    filter_mock(&server, vec![listed("a"), listed("b"), listed("c")]).await;
    defaults_down(&server, 1).await;
    csrf_disabled(&server, 1).await; // asked by the listing POST
    strict(&server).await;

    let out = batch(&server, &dir, 0, &["--all"]).await;
    out.code(1);
}
