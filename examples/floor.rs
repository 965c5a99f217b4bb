//! The bare-request floor for `scripts/bench`: the HTTP requests `poolsync update --all`
//! needs, with no merge, checks, diff or output.
//!
//! Its own tiny client (one reqwest client, current-thread tokio runtime; only poolsync's
//! path-segment encoder is shared) making, in order:
//!
//! - `GET  /collections/views/aggregate-worker-metadata` once (the defaults),
//! - `GET  /csrf-token?client=<uuid>` once, before the first write (a server without CSRF
//!   protection answers 422),
//! - `POST /work_pools/filter` `{"limit": 200, "offset": k*200}` until a short page,
//! - then, by default (the batched design of issue 8), per chunk of K pools (`--chunk K`,
//!   default 50): one `POST /work_pools/filter` `{"work_pools": {"name": {"any_": [...]}}}`
//!   (the conflict re-read), the chunk's `PATCH /work_pools/{name}` `{"base_job_template":
//!   <its template as re-read>}` with up to C in flight (`--concurrency C`, default 8), and one
//!   filter by the same names (the read-back). Two chunks are in flight at a time, so a
//!   chunk's last retries do not hold up the next one.
//!
//! `--per-pool` instead sends, per pool with C pools in flight, `GET`, `PATCH`, `GET` (the
//! pattern before issue 8); `--patch-only` only the PATCH; `--read-back-only` the batched
//! design without its re-read (each chunk's PATCHes from the listing, then its read-back).
//! A pool whose template already has every key of its type's default is skipped (what
//! poolsync's merge finds up to date), unless `--every-pool` (a bench that seeded only
//! stale pools: stale pools made from real older defaults may hold every key). The
//! templates are sent back unchanged, so the pools stay as they were, unless `--templates
//! FILE` (a JSON object, pool name to template) gives the template to send: the templates
//! `poolsync update` wrote, so the floor's PATCHes change each pool as poolsync's do. That
//! matters: a PATCH that changes a template costs the server more than one that does not
//! (Prefect emits a `prefect.work-pool.updated` event holding the old and the new
//! template).
//!
//! Pushback, so it survives a rate-limited link: 408/429/502/503 and transport failures are
//! retried (up to 8 times). A 429's `Retry-After` (seconds) pauses every request of the run
//! until then; otherwise the wait is 1 s doubling, +-20%. A 503 on a PATCH halves the PATCHes
//! allowed in flight (at least 1, once per burst); every 16 successful PATCHes raise it by one
//! (up to C). It starts at one: on a SQLite server any two PATCHes in flight collide (503), and
//! each collision costs that pool a 1 s retry.
//!
//!     cargo run --release --example floor -- --api-url URL [--concurrency 8] [--chunk 50]
//!         [--per-pool | --patch-only | --read-back-only] [--every-pool] [--templates FILE]
//!
//! Prints one JSON line: {"pools", "patched", "skipped", "failed", "retries", "throttled",
//! "requests", "seconds"}; exit 1 if a pool failed.

#[path = "floor/link.rs"]
mod link;

use futures::{StreamExt, stream};
use link::Link;
use poolsync::encode;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

const PAGE: usize = 200;

/// Which requests the floor makes for the pools to write.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Per chunk: filter by names, the PATCHes, filter by names.
    Chunked,
    /// Per chunk: the PATCHes (from the listing), filter by names.
    ReadBack,
    /// Per pool: GET, PATCH, GET.
    PerPool,
    /// Per pool: PATCH.
    PatchOnly,
}

struct Floor {
    link: Link,
    /// The template each pool gets (`--templates`), else its own.
    templates: HashMap<String, Value>,
}

impl Floor {
    async fn patch(&self, pool: &Value) -> Result<(), Error> {
        let name = pool["name"].as_str().ok_or("pool without a name")?;
        let path = format!("/work_pools/{}", encode(name));
        let template = self
            .templates
            .get(name)
            .unwrap_or(&pool["base_job_template"]);
        let body = json!({ "base_job_template": template });
        let (status, _) = self.link.send(Method::PATCH, &path, Some(&body)).await?;
        if !matches!(status, StatusCode::OK | StatusCode::NO_CONTENT) {
            return Err(format!("PATCH {path}: {status}").into());
        }
        Ok(())
    }

    /// `POST /work_pools/filter` by names: the pools found, by name.
    async fn by_names(&self, names: &[&str]) -> Result<HashMap<String, Value>, Error> {
        let body = json!({"work_pools": {"name": {"any_": names}}, "limit": names.len()});
        let found: Vec<Value> = serde_json::from_value(
            self.link
                .json(Method::POST, "/work_pools/filter", Some(&body))
                .await?,
        )?;
        Ok(found
            .into_iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_string(), p)))
            .collect())
    }

    /// One chunk: re-read, PATCHes, read-back. Returns the pools that failed.
    async fn chunk(&self, pools: &[Value], concurrency: usize, mode: Mode) -> Vec<String> {
        let names: Vec<&str> = pools.iter().filter_map(|p| p["name"].as_str()).collect();
        let current = match mode {
            Mode::ReadBack => pools
                .iter()
                .filter_map(|p| Some((p["name"].as_str()?.to_string(), p.clone())))
                .collect(),
            _ => match self.by_names(&names).await {
                Ok(current) => current,
                Err(e) => return names.iter().map(|n| format!("{n}: re-read: {e}")).collect(),
            },
        };
        let mut failed: Vec<String> = stream::iter(&names)
            .map(|name| {
                let current = &current;
                async move {
                    let pool = current.get(*name).ok_or("missing from the re-read")?;
                    self.patch(pool).await.map_err(|e| e.to_string())
                }
            })
            .buffered(concurrency)
            .zip(stream::iter(&names))
            .filter_map(|(r, name)| async move { r.err().map(|e| format!("{name}: {e}")) })
            .collect()
            .await;
        if let Err(e) = self.by_names(&names).await {
            failed.push(format!("read-back of {} pools: {e}", names.len()));
        }
        failed
    }

    async fn per_pool(&self, pool: &Value, mode: Mode) -> Result<(), Error> {
        let name = pool["name"].as_str().ok_or("pool without a name")?;
        let path = format!("/work_pools/{}", encode(name));
        if mode == Mode::PatchOnly {
            return self.patch(pool).await;
        }
        let current = self.link.json(Method::GET, &path, None).await?;
        self.patch(&current).await?;
        self.link.json(Method::GET, &path, None).await?;
        Ok(())
    }
}

/// Whether `current` already has every key of `default`, recursively (then a jq-style merge
/// of the default under the current template changes nothing).
fn covers(default: &Value, current: &Value) -> bool {
    match (default, current) {
        (Value::Object(d), Value::Object(c)) => d
            .iter()
            .all(|(k, v)| c.get(k).is_some_and(|cv| covers(v, cv))),
        (Value::Object(_), _) => false,
        _ => true,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (mut api, mut concurrency, mut chunk, mut mode) = (None, 8usize, 50usize, Mode::Chunked);
    let mut every_pool = false;
    let mut templates = HashMap::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--api-url" => api = args.next(),
            "--concurrency" => concurrency = args.next().ok_or("--concurrency N")?.parse()?,
            "--chunk" => chunk = args.next().ok_or("--chunk K")?.parse()?,
            "--per-pool" => mode = Mode::PerPool,
            "--patch-only" => mode = Mode::PatchOnly,
            "--read-back-only" => mode = Mode::ReadBack,
            "--every-pool" => every_pool = true,
            "--templates" => {
                let file = args.next().ok_or("--templates FILE")?;
                templates = serde_json::from_slice(&std::fs::read(&file)?)?;
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if concurrency == 0 || chunk == 0 {
        return Err("--concurrency and --chunk must be at least 1".into());
    }
    let base = api
        .or_else(|| std::env::var("PREFECT_API_URL").ok())
        .ok_or("--api-url or PREFECT_API_URL")?
        .trim_end_matches('/')
        .to_string();
    let floor = Floor {
        link: Link::new(base, concurrency)?,
        templates,
    };
    let floor = &floor;
    let start = Instant::now();

    let meta = floor
        .link
        .json(
            Method::GET,
            "/collections/views/aggregate-worker-metadata",
            None,
        )
        .await?;
    let mut defaults = HashMap::new();
    for worker in meta
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_object)
        .flat_map(|p| p.values())
    {
        if let (Some(t), Some(d)) = (
            worker["type"].as_str(),
            worker.get("default_base_job_configuration"),
        ) {
            defaults.insert(t.to_string(), d.clone());
        }
    }
    let mut pools = Vec::new();
    loop {
        let body = json!({"limit": PAGE, "offset": pools.len()});
        let page: Vec<Value> = serde_json::from_value(
            floor
                .link
                .json(Method::POST, "/work_pools/filter", Some(&body))
                .await?,
        )?;
        let short = page.len() < PAGE;
        pools.extend(page);
        if short {
            break;
        }
    }
    let listed = pools.len();
    pools.retain(|p| {
        if every_pool {
            return true;
        }
        let default = p["type"].as_str().and_then(|t| defaults.get(t));
        default.is_none_or(|d| !covers(d, &p["base_job_template"]))
    });
    if !pools.is_empty() {
        let csrf = format!("/csrf-token?client={}", uuid::Uuid::new_v4());
        floor.link.send(Method::GET, &csrf, None).await?;
    }
    let mut failed: Vec<String> = Vec::new();
    match mode {
        Mode::Chunked | Mode::ReadBack => {
            // Two chunks in flight: the next one's re-read and first PATCHes overlap the
            // stragglers (retries) of the one before; the writer window is shared.
            let parts: Vec<Vec<String>> = stream::iter(pools.chunks(chunk))
                .map(|part| floor.chunk(part, concurrency, mode))
                .buffer_unordered(2)
                .collect()
                .await;
            failed.extend(parts.into_iter().flatten());
        }
        Mode::PerPool | Mode::PatchOnly => {
            let results: Vec<_> =
                stream::iter(&pools)
                    .map(|pool| async move {
                        floor.per_pool(pool, mode).await.map_err(|e| e.to_string())
                    })
                    .buffer_unordered(concurrency)
                    .collect()
                    .await;
            failed.extend(results.into_iter().filter_map(Result::err));
        }
    }
    for f in &failed {
        eprintln!("floor: {f}");
    }
    let get = |what| floor.link.counted(what);
    let summary = json!({
        "pools": listed,
        "patched": pools.len(),
        "skipped": listed - pools.len(),
        "failed": failed.len(),
        "retries": get("retries"),
        "throttled": get("throttled"),
        "requests": get("requests"),
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    if !failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
