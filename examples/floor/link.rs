//! The floor's link to the API, with the pushback that lets it survive a rate-limited or
//! single-writer server: a `429`'s `Retry-After` pauses every request, other pushback is
//! retried with backoff, and PATCHes in flight follow an AIMD window (see `floor.rs`).

use super::Error;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const MAX_RETRIES: u32 = 8;
const RETRY: [u16; 4] = [408, 429, 502, 503];
/// Successful PATCHes that raise the writer window by one.
const RAISE_AFTER: f64 = 16.0;

pub(crate) struct Link {
    http: reqwest::Client,
    base: String,
    /// No request is sent before this instant (a 429's Retry-After, for every request).
    paused_until: Cell<Option<Instant>>,
    /// PATCHes allowed in flight (AIMD between 1 and `max_writers`), and in flight now.
    writers: Cell<f64>,
    max_writers: f64,
    writing: Cell<usize>,
    /// When the window was last halved: a 503 to a PATCH sent before then does not halve it
    /// again (once per burst, as TCP does once per round trip).
    halved_at: Cell<Instant>,
    writer_freed: Notify,
    counts: RefCell<HashMap<&'static str, u64>>,
}

impl Link {
    /// A link to the API at `base`, with at most `concurrency` PATCHes in flight.
    pub(crate) fn new(base: String, concurrency: usize) -> Result<Link, Error> {
        let http = reqwest::Client::builder()
            .user_agent("poolsync-floor")
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Link {
            http,
            base,
            paused_until: Cell::new(None),
            // One write at first: on this bench's SQLite server two writes in flight collide.
            writers: Cell::new(1.0),
            max_writers: concurrency as f64,
            writing: Cell::new(0),
            halved_at: Cell::new(Instant::now()),
            writer_freed: Notify::new(),
            counts: RefCell::new(HashMap::new()),
        })
    }

    /// How many of `what` (requests, retries, throttled) so far.
    pub(crate) fn counted(&self, what: &str) -> u64 {
        self.counts.borrow().get(what).copied().unwrap_or(0)
    }

    fn count(&self, what: &'static str) {
        *self.counts.borrow_mut().entry(what).or_default() += 1;
    }

    async fn acquire_writer(&self) {
        while self.writing.get() as f64 >= self.writers.get().floor() {
            self.writer_freed.notified().await;
        }
        self.writing.set(self.writing.get() + 1);
    }

    fn release_writer(&self, sent: Instant, status: Option<StatusCode>) {
        self.writing.set(self.writing.get() - 1);
        match status {
            Some(StatusCode::SERVICE_UNAVAILABLE) if sent >= self.halved_at.get() => {
                self.writers.set((self.writers.get() / 2.0).max(1.0));
                self.halved_at.set(Instant::now());
            }
            // +1 per RAISE_AFTER successes: on a server where two writes collide (SQLite)
            // a probe costs a 1 s retry, so probing is kept rare.
            Some(s) if s.is_success() => {
                let w = self.writers.get();
                self.writers
                    .set((w + 1.0 / RAISE_AFTER).min(self.max_writers))
            }
            _ => {}
        }
        self.writer_freed.notify_waiters();
    }

    /// One request, retried on pushback; returns the last status and body.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, bytes::Bytes), Error> {
        let url = format!("{}{path}", self.base);
        let write = method == Method::PATCH;
        let mut attempt = 0;
        loop {
            while let Some(until) = self.paused_until.get().filter(|t| *t > Instant::now()) {
                tokio::time::sleep_until(until.into()).await;
            }
            if write {
                self.acquire_writer().await;
            }
            let mut request = self.http.request(method.clone(), &url);
            if let Some(body) = body {
                request = request.json(body);
            }
            self.count("requests");
            let sent = Instant::now();
            let result = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.0);
                    response.bytes().await.map(|b| (status, b, after))
                }
                Err(e) => Err(e),
            };
            if write {
                self.release_writer(sent, result.as_ref().ok().map(|r| r.0));
            }
            let retry = match &result {
                Ok((status, _, _)) => RETRY.contains(&status.as_u16()),
                Err(_) => true,
            };
            if !retry || attempt >= MAX_RETRIES {
                return Ok(result.map(|(s, b, _)| (s, b))?);
            }
            attempt += 1;
            self.count("retries");
            match &result {
                Ok((StatusCode::TOO_MANY_REQUESTS, _, after)) => {
                    self.count("throttled");
                    let until =
                        Instant::now() + Duration::from_secs_f64(after.unwrap_or(1.0).min(30.0));
                    if self.paused_until.get().is_none_or(|t| t < until) {
                        self.paused_until.set(Some(until));
                    }
                }
                _ => {
                    let jitter = 0.8 + 0.4 * rand::random::<f64>();
                    let wait = Duration::from_secs(1 << (attempt - 1).min(4)).mul_f64(jitter);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    pub(crate) async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        let (status, bytes) = self.send(method.clone(), path, body).await?;
        if !status.is_success() {
            return Err(format!("{method} {path}: {status}").into());
        }
        Ok(serde_json::from_slice(&bytes)?)
    }
}
