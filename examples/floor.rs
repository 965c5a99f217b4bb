//! The bare-request floor for `scripts/bench`: the HTTP requests `poolsync update --all`
//! makes against a self-hosted server, with no merge, checks, diff or output.
//!
//! Same client set-up as poolsync (one reqwest client, current-thread tokio runtime,
//! `futures::stream::buffer_unordered(C)` over lazily fetched pages) and the same requests:
//!
//! - `GET  /collections/views/aggregate-worker-metadata` once (poolsync's defaults),
//! - `GET  /csrf-token?client=<uuid>` once, before the first write,
//! - `POST /work_pools/filter` `{"limit": 200, "offset": k*200}` until a short page,
//! - per pool, as poolsync's safe write does: `GET /work_pools/{name}` (the re-read that
//!   detects a concurrent edit), `PATCH /work_pools/{name}` `{"base_job_template": <its
//!   current template>}` (unchanged: no merge work), `GET /work_pools/{name}` (the read-back).
//!
//! `--patch-only` sends only the PATCH per pool; `--get-patch` a GET and the PATCH (what a
//! per-pool read-then-write script does). 408/429/502/503 and transport failures are retried
//! with poolsync's own `RetryPolicy`, and after a 503 on a PATCH writes go one at a time, as
//! in poolsync's client.
//!
//!     cargo run --release --example floor -- --api-url URL [--concurrency 8] [--patch-only|--get-patch]
//!
//! Prints one JSON line: {"pools": n, "failed": f, "retries": r, "seconds": s}.

use futures::{StreamExt, TryStreamExt, stream};
use poolsync::api::{PAGE_SIZE, RetryPolicy, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

struct Floor {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
    retries: AtomicU64,
    contended: AtomicBool,
    one_writer: tokio::sync::Mutex<()>,
}

/// Which requests the floor makes per pool.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// GET, PATCH, GET: poolsync's safe write.
    Poolsync,
    /// PATCH only.
    PatchOnly,
    /// GET, PATCH.
    GetPatch,
}

impl Floor {
    /// One request with poolsync's retry rules; returns the last status and body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, bytes::Bytes), reqwest::Error> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let write = method == Method::PATCH;
            let one_writer = match write && self.contended.load(Ordering::Relaxed) {
                true => Some(self.one_writer.lock().await),
                false => None,
            };
            let mut request = self.http.request(method.clone(), &url);
            if let Some(body) = body {
                request = request.json(body);
            }
            let (retry_after, result) = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    (retry_after, response.bytes().await.map(|b| (status, b)))
                }
                Err(e) => (None, Err(e)),
            };
            let retry = match &result {
                Ok((status, _)) => self.policy.retries_status(status.as_u16()),
                Err(_) => true,
            };
            if write && matches!(&result, Ok((StatusCode::SERVICE_UNAVAILABLE, _))) {
                self.contended.store(true, Ordering::Relaxed);
            }
            drop(one_writer);
            if !retry || attempt >= self.policy.max_retries {
                return result;
            }
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.policy.delay(attempt, retry_after.as_deref())).await;
        }
    }

    async fn json(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Error> {
        let (status, bytes) = self.send(method.clone(), path, body).await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}").into());
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// One pool: the reads `mode` asks for around a PATCH of its own template.
    async fn pool(&self, pool: Value, mode: Mode) -> Result<(), Error> {
        let name = pool["name"]
            .as_str()
            .ok_or("pool without a name")?
            .to_string();
        let path = format!("/work_pools/{}", encode(&name));
        let pool = match mode {
            Mode::PatchOnly => pool,
            Mode::Poolsync | Mode::GetPatch => self.json(Method::GET, &path, None).await?,
        };
        let body = json!({ "base_job_template": pool["base_job_template"] });
        let (status, _) = self.send(Method::PATCH, &path, Some(&body)).await?;
        if !matches!(status, StatusCode::OK | StatusCode::NO_CONTENT) {
            return Err(format!("PATCH {path}: {status}").into());
        }
        if mode == Mode::Poolsync {
            self.json(Method::GET, &path, None).await?;
        }
        Ok(())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (mut api, mut concurrency, mut mode) = (None, 8usize, Mode::Poolsync);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--api-url" => api = args.next(),
            "--concurrency" => concurrency = args.next().ok_or("--concurrency N")?.parse()?,
            "--get-patch" => mode = Mode::GetPatch,
            "--patch-only" => mode = Mode::PatchOnly,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let base = api
        .or_else(|| std::env::var("PREFECT_API_URL").ok())
        .ok_or("--api-url or PREFECT_API_URL")?
        .trim_end_matches('/')
        .to_string();
    let http = reqwest::Client::builder()
        .user_agent("poolsync-floor")
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(64)
        .build()?;
    let floor = Floor {
        http,
        base,
        policy: RetryPolicy {
            max_retries: 5,
            extra_codes: Vec::new(),
        },
        retries: AtomicU64::new(0),
        contended: AtomicBool::new(false),
        one_writer: tokio::sync::Mutex::new(()),
    };
    let floor = &floor;
    let start = Instant::now();

    // poolsync fetches the defaults once, on the first pool; the CSRF probe before its
    // first write (a server without CSRF protection answers 422).
    floor
        .json(
            Method::GET,
            "/collections/views/aggregate-worker-metadata",
            None,
        )
        .await?;
    let csrf = format!("/csrf-token?client={}", uuid::Uuid::new_v4());
    floor.send(Method::GET, &csrf, None).await?;

    let pages = stream::try_unfold(Some(0usize), move |offset| async move {
        let Some(offset) = offset else {
            return Ok(None);
        };
        let body = json!({"limit": PAGE_SIZE, "offset": offset});
        let page = floor
            .json(Method::POST, "/work_pools/filter", Some(&body))
            .await?;
        let page: Vec<Value> = serde_json::from_value(page)?;
        let next = (page.len() == PAGE_SIZE).then_some(offset + PAGE_SIZE);
        Ok::<_, Error>(Some((page, next)))
    });
    let results = pages
        .map_ok(|page| stream::iter(page.into_iter().map(Ok::<_, Error>)))
        .try_flatten()
        .map(|pool| async move { floor.pool(pool?, mode).await })
        .buffer_unordered(concurrency);
    let mut results = std::pin::pin!(results);
    let (mut pools, mut failed) = (0u64, 0u64);
    while let Some(result) = results.next().await {
        pools += 1;
        if let Err(e) = result {
            failed += 1;
            eprintln!("floor: {e}");
        }
    }
    let summary = json!({
        "pools": pools,
        "failed": failed,
        "retries": floor.retries.load(Ordering::Relaxed),
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
