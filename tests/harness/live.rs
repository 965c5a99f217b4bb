//! The live backend: one real Prefect server per test process (and a CSRF-protected one),
//! REST helpers that tolerate the SQLite server's transient 503s, unique pool names, and
//! the server's default templates.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

/// Env var holding the API URL of an already running server
/// (`http://127.0.0.1:PORT/api`). `scripts/test` always sets it.
pub(crate) const API_URL_ENV: &str = "POOLSYNC_TEST_API_URL";

/// How long `send` keeps retrying a transient answer. The SQLite server answers 503 at once
/// when a write meets another (its busy timeout does not cover a read upgrading to a write),
/// and a loaded CI machine running the suite in parallel can keep that up for seconds.
const RETRY_FOR: Duration = Duration::from_secs(60);

/// A running Prefect server.
pub(crate) struct Server {
    /// API base URL, e.g. `http://127.0.0.1:4200/api` (no trailing slash).
    pub url: String,
}

/// The repository's root folder.
pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The server shared by every test of this process: `$POOLSYNC_TEST_API_URL`
/// if set, otherwise one started on first use via `scripts/prefect-server`
/// (stopped by its watchdog when this process exits).
pub(crate) fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let url = match std::env::var(API_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => start_server(),
        };
        Server {
            url: url.trim_end_matches('/').to_string(),
        }
    })
}

/// A second server with CSRF protection on, started once for the tests that need it
/// (`$POOLSYNC_TEST_CSRF_API_URL` if set), stopped by its watchdog when this process exits.
pub(crate) fn csrf_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let url = match std::env::var("POOLSYNC_TEST_CSRF_API_URL") {
            Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
            _ => start(&format!("cargo-csrf-{}", std::process::id()), &["--csrf"]),
        };
        Server {
            url: url.trim_end_matches('/').to_string(),
        }
    })
}

fn start_server() -> String {
    start(&format!("cargo-{}", std::process::id()), &[])
}

fn start(name: &str, flags: &[&str]) -> String {
    let script = repo_root().join("scripts/prefect-server");
    let parent = repo_root().join(".prefect-test");
    remove_stale_dirs(&parent);
    let dir: PathBuf = parent.join(name);
    eprintln!(
        "harness: {API_URL_ENV} not set; starting a Prefect server in {} (~20 s)",
        dir.display()
    );
    let out = StdCommand::new("bash")
        .arg(&script)
        .arg("start")
        .arg("--dir")
        .arg(&dir)
        .arg("--owner-pid")
        .arg(std::process::id().to_string())
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout.lines().last().unwrap_or("").trim().to_string();
    if !out.status.success() || !url.starts_with("http") {
        panic!(
            "{} start failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    url
}

/// Remove `cargo-<pid>` server dirs left by earlier test processes that have
/// exited (their watchdog already stopped the server; only files remain).
fn remove_stale_dirs(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("cargo-"))
            .map(|n| n.strip_prefix("csrf-").unwrap_or(n))
        else {
            continue;
        };
        let alive = Path::new("/proc").join(pid).exists();
        let running = entry.path().join("pid").exists();
        if !alive && !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Shorthand for `server().url`.
pub(crate) fn api_url() -> &'static str {
    &server().url
}

/// A name unique across test processes and tests: `prefix-<pid>-<n>-<hex>`.
pub(crate) fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}-{n}-{}", std::process::id(), &rand[..6])
}

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("build reqwest client")
    })
}

fn transient(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY | StatusCode::TOO_MANY_REQUESTS
    )
}

/// Send a request, retrying on 502/503/429 and connection errors with a
/// jittered exponential backoff for up to `RETRY_FOR`. Returns the final response and
/// whether an earlier attempt may have reached the server (so 409/404 can be judged).
#[track_caller]
pub(crate) fn send(what: &str, build: impl Fn(&Client) -> RequestBuilder) -> (Response, bool) {
    let start = Instant::now();
    let mut retried = false;
    let mut attempt = 0u32;
    loop {
        if attempt > 0 {
            let base = 100u64 << (attempt - 1).min(4); // 100 ms .. 1.6 s
            let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % 100;
            sleep(Duration::from_millis(base + jitter));
        }
        let more = start.elapsed() < RETRY_FOR;
        match build(client()).send() {
            Ok(resp) if transient(resp.status()) && more => retried = true,
            Ok(resp) => return (resp, retried),
            Err(e) if (e.is_connect() || e.is_timeout()) && more => retried = true,
            Err(e) => panic!("{what}: request failed after {attempt} retries: {e}"),
        }
        attempt += 1;
    }
}

#[track_caller]
pub(crate) fn fail(what: &str, resp: Response) -> ! {
    let status = resp.status();
    let body = resp.text().unwrap_or_default();
    panic!("{what}: unexpected HTTP {status}: {body}")
}

/// `POST /work_pools/`; panics unless the pool is created.
#[track_caller]
pub(crate) fn create_pool(name: &str, type_: &str, base_job_template: &Value) -> Value {
    let what = format!("create work pool {name:?}");
    let body = json!({ "name": name, "type": type_, "base_job_template": base_job_template });
    let url = format!("{}/work_pools/", api_url());
    let (resp, retried) = send(&what, |c| c.post(&url).json(&body));
    match resp.status() {
        StatusCode::CREATED => resp.json().expect("work pool JSON"),
        // An earlier attempt answered 503 but committed anyway.
        StatusCode::CONFLICT if retried => read_pool(name),
        _ => fail(&what, resp),
    }
}

/// `GET /work_pools/{name}`; panics unless found.
#[track_caller]
pub(crate) fn read_pool(name: &str) -> Value {
    try_read_pool(name).unwrap_or_else(|| panic!("work pool {name:?} not found"))
}

/// The stored base job template of a pool.
pub(crate) fn read_template(name: &str) -> Value {
    read_pool(name)["base_job_template"].clone()
}

/// `GET /work_pools/{name}`; `None` on 404.
#[track_caller]
pub(crate) fn try_read_pool(name: &str) -> Option<Value> {
    let what = format!("read work pool {name:?}");
    let url = format!("{}/work_pools/{name}", api_url());
    let (resp, _) = send(&what, |c| c.get(&url));
    match resp.status() {
        StatusCode::OK => Some(resp.json().expect("work pool JSON")),
        StatusCode::NOT_FOUND => None,
        _ => fail(&what, resp),
    }
}

/// `DELETE /work_pools/{name}`; a pool that is already gone is fine.
#[track_caller]
pub(crate) fn delete_pool(name: &str) {
    let what = format!("delete work pool {name:?}");
    let url = format!("{}/work_pools/{name}", api_url());
    let (resp, _) = send(&what, |c| c.delete(&url));
    match resp.status() {
        StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::NOT_FOUND => {}
        _ => fail(&what, resp),
    }
}

/// The server's whole `aggregate-worker-metadata` collection view:
/// `{package: {worker_key: {"type": ..., "default_base_job_configuration": ...}}}`.
#[track_caller]
pub(crate) fn worker_metadata() -> &'static Value {
    static META: OnceLock<Value> = OnceLock::new();
    META.get_or_init(|| {
        let what = "read aggregate-worker-metadata";
        let url = format!("{}/collections/views/aggregate-worker-metadata", api_url());
        let (resp, _) = send(what, |c| c.get(&url));
        if resp.status() != StatusCode::OK {
            fail(what, resp);
        }
        resp.json().expect("collection view JSON")
    })
}

/// The default base job template the server ships for worker type `type_`
/// (e.g. `"kubernetes"`, `"process"`, `"docker"`).
#[track_caller]
pub(crate) fn default_template(type_: &str) -> Value {
    worker_metadata()
        .as_object()
        .into_iter()
        .flat_map(|packages| packages.values())
        .filter_map(Value::as_object)
        .flat_map(|workers| workers.values())
        .find(|w| w["type"] == type_)
        .and_then(|w| w.get("default_base_job_configuration"))
        .cloned()
        .unwrap_or_else(|| panic!("no default base job template for worker type {type_:?}"))
}

fn leaked_tempdir(label: &str) -> &'static Path {
    let dir = tempfile::Builder::new()
        .prefix(&format!("poolsync-test-{label}-"))
        .tempdir()
        .expect("create temp dir");
    Box::leak(Box::new(dir)).path()
}

/// `HOME` for `poolsync()` runs (one per test process, kept for its lifetime).
pub(crate) fn test_home() -> &'static Path {
    static DIR: OnceLock<&'static Path> = OnceLock::new();
    DIR.get_or_init(|| leaked_tempdir("home"))
}

/// `PREFECT_HOME` for `poolsync()` runs (one per test process).
pub(crate) fn test_prefect_home() -> &'static Path {
    static DIR: OnceLock<&'static Path> = OnceLock::new();
    DIR.get_or_init(|| leaked_tempdir("prefect-home"))
}

/// Creates a flow named `flow` (or finds it) and a deployment of it on `pool` with these
/// job variables; returns the deployment's id.
#[track_caller]
pub(crate) fn create_deployment(
    flow: &str,
    name: &str,
    pool: &str,
    job_variables: &Value,
) -> String {
    let what = format!("create deployment {name:?}");
    let flows = format!("{}/flows/", api_url());
    let (resp, _) = send(&what, |c| c.post(&flows).json(&json!({ "name": flow })));
    if !resp.status().is_success() {
        fail(&what, resp);
    }
    let flow_id = resp.json::<Value>().expect("flow JSON")["id"].clone();
    let body = json!({"name": name, "flow_id": flow_id, "work_pool_name": pool, "job_variables": job_variables});
    let url = format!("{}/deployments/", api_url());
    let (resp, _) = send(&what, |c| c.post(&url).json(&body));
    if !resp.status().is_success() {
        fail(&what, resp);
    }
    resp.json::<Value>().expect("deployment JSON")["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Today's kubernetes default less one optional variable (`finished_job_ttl`, unwired): a
/// two-way merge brings it back, while a three-way merge whose base is today's default reads
/// its absence as the user's deletion and changes nothing.
pub(crate) fn stale_kubernetes() -> Value {
    let mut template = default_template("kubernetes");
    template["variables"]["properties"]
        .as_object_mut()
        .expect("properties")
        .shift_remove("finished_job_ttl");
    let config = template["job_configuration"].to_string();
    template["job_configuration"] =
        serde_json::from_str(&config.replace("\"{{ finished_job_ttl }}\"", "null")).expect("json");
    template
}

/// The keys of `default` that `merged` lacks, as pointers in `default` (objects key by key,
/// arrays whose elements all have distinct `name`s element by element; a missing key once).
pub(crate) fn missing_keys(default: &Value, merged: &Value, at: &str, out: &mut Vec<String>) {
    let names = |items: &[Value]| -> Option<()> {
        let names: Vec<&str> = items
            .iter()
            .map(|i| i.get("name")?.as_str())
            .collect::<Option<_>>()?;
        let unique: std::collections::HashSet<&&str> = names.iter().collect();
        (!names.is_empty() && unique.len() == names.len()).then_some(())
    };
    match (default, merged) {
        (Value::Object(d), Value::Object(m)) => {
            for (key, value) in d {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match m.get(key) {
                    Some(mine) => missing_keys(value, mine, &here, out),
                    None => out.push(here),
                }
            }
        }
        (Value::Array(d), Value::Array(m)) if names(d).is_some() && names(m).is_some() => {
            for (i, item) in d.iter().enumerate() {
                match m.iter().find(|x| x.get("name") == item.get("name")) {
                    Some(mine) => missing_keys(item, mine, &format!("{at}/{i}"), out),
                    None => out.push(format!("{at}/{i}")),
                }
            }
        }
        _ => {}
    }
}
