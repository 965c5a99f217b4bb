//! A stateful fake Prefect API on wiremock: one catch-all responder over shared state that
//! stores pools, pages and filters them, stores what a PATCH sends, and answers the defaults
//! and CSRF endpoints. Tests script the exceptions (the n-th read of a pool, the n-th PATCH
//! answer, a pool whose GETs echo the request's credentials, a route outside the API such as
//! a redirect's target) and count requests per route afterwards; a second fake stands for
//! another origin. A [`Run`](crate::harness::Run) sets it up ([`setup`]); it runs on its own
//! threads, so tests stay synchronous.
//! [`pushback`] records when each request came and scripts 429 storms, a token bucket and
//! 503s to concurrent PATCHes.

mod answer;
pub(crate) mod pushback;
pub(crate) mod setup;

use super::fixtures;
use pushback::{Bucket, Seen, Storm};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The self-hosted defaults route.
pub(crate) const DEFAULTS: &str = "/collections/views/aggregate-worker-metadata";
/// Prefect Cloud's defaults route.
pub(crate) const CLOUD_DEFAULTS: &str = "/collections/work_pool_types";
/// The route of [`fixtures::POOL`]'s write.
pub(crate) const POOL_PATCH: &str = "PATCH /work_pools/k8s";
/// The route of [`fixtures::POOL`]'s read.
pub(crate) const POOL_READ: &str = "GET /work_pools/k8s";
/// The route of the CSRF token.
pub(crate) const CSRF_TOKEN: &str = "GET /csrf-token";

/// What one scripted read of a pool answers. A read is a `GET /work_pools/{name}` or the
/// pool's appearance in a `POST /work_pools/filter` page, so scripts hold whichever way
/// poolsync reads (one GET per pool, or filter-by-names).
#[derive(Clone)]
pub(crate) enum Read {
    /// The stored pool.
    Stored,
    /// Someone else edits the stored pool first (new template, `updated` as given), then
    /// the stored pool.
    EditedBy(Value, &'static str),
    /// Someone else deletes the pool first: 404, or missing from the page.
    Deleted,
    /// This reply to a GET instead (a page lists the stored pool); the state is untouched.
    Reply(ResponseTemplate),
}

/// What one scripted PATCH answers.
#[derive(Clone)]
pub(crate) enum Patch {
    /// Stores the template and answers 204.
    Store,
    /// Answers this, stores nothing.
    Reply(ResponseTemplate),
    /// Stores the template but answers this (a server that applied the write, then failed).
    StoreAndReply(ResponseTemplate),
}

/// Builds a reply from the `Authorization` header a request carried (`none` without one).
pub(crate) type Echo = fn(&str) -> ResponseTemplate;

/// How the CSRF token endpoint behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Csrf {
    /// 422 "CSRF protection is disabled." (a server with CSRF off).
    Disabled,
    /// Issues this token; a PATCH without it (or with another) gets the server's 403.
    Token(&'static str),
}

#[derive(Default)]
struct State {
    pools: BTreeMap<String, Value>,
    reads: HashMap<String, VecDeque<Read>>,
    patches: HashMap<String, VecDeque<Patch>>,
    defaults: Option<ResponseTemplate>,
    csrf: Option<Csrf>,
    csrf_replies: VecDeque<ResponseTemplate>,
    always: HashMap<String, ResponseTemplate>,
    echoes: HashMap<String, Echo>,
    extra: HashMap<String, ResponseTemplate>,
    writes: u64,
    /// Pools deleted just before the first request that reads them by name.
    vanish: HashSet<String>,
    /// Pools deleted just before the first listing page after the first (offset > 0).
    mid_listing: Vec<String>,
    pushback: pushback::Pushback,
}

/// The fake API: a wiremock server whose every request goes to [`Fake::answer`].
pub(crate) struct Fake {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = lock(&self.0);
        let (now, route) = (Instant::now(), route(request));
        let (pushback, reply) = match state.pushback.refuse(now, &route) {
            Some((status, reply)) => (Some(status), reply),
            None => (None, answer::answer(&mut state, request)),
        };
        state.pushback.record(request, now, route, pushback, reply)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fake {
    /// Starts an empty fake: no pools, CSRF disabled, defaults answering 404.
    pub(crate) fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let responder = Responder(state.clone());
        let server = block_on(async move {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(responder)
                .mount(&server)
                .await;
            server
        });
        Fake { server, state }
    }

    /// Starts a fake serving the newer kubernetes default (as a run's fake does) and these
    /// kubernetes pools, each storing `template`.
    pub(crate) fn serving(pools: &[&str], template: &Value) -> Fake {
        let fake = Fake::start();
        fake.defaults(fixtures::kubernetes_defaults());
        for name in pools {
            fake.pool(name, "kubernetes", template.clone());
        }
        fake
    }

    /// The self-hosted API URL, `{mock}/api`.
    pub(crate) fn api(&self) -> String {
        format!("{}/api", self.server.uri())
    }

    /// Stores a pool (`updated` 2024-01-01).
    pub(crate) fn pool(&self, name: &str, pool_type: &str, template: Value) {
        lock(&self.state).pools.insert(
            name.into(),
            json!({"id": format!("id-{name}"), "name": name, "type": pool_type,
                   "base_job_template": template, "updated": "2024-01-01T00:00:00Z"}),
        );
    }

    /// Every GET of pool `name` answers `reply` (a pool that is denied, broken or slow).
    pub(crate) fn always(&self, name: &str, reply: ResponseTemplate) {
        lock(&self.state).always.insert(name.into(), reply);
    }

    /// Every GET of pool `name` answers `echo` of the request's `Authorization` header (a
    /// server that echoes credentials into its errors).
    pub(crate) fn echo(&self, name: &str, echo: Echo) {
        lock(&self.state).echoes.insert(name.into(), echo);
    }

    /// A route outside the Prefect API (e.g. `GET /moved/k8s`, a redirect's target) answers
    /// `reply`; its path is below `/api` like the others.
    pub(crate) fn route(&self, route: &str, reply: ResponseTemplate) {
        lock(&self.state).extra.insert(route.into(), reply);
    }

    /// Every request received so far, in order.
    pub(crate) fn requests(&self) -> Vec<Request> {
        block_on(self.server.received_requests()).unwrap_or_default()
    }

    /// The routes of every request received so far, in order.
    pub(crate) fn routes(&self) -> Vec<String> {
        self.requests().iter().map(route).collect()
    }

    /// What the pool's first reads answer, in order ([`Read`]).
    pub(crate) fn reads(&self, name: &str, reads: Vec<Read>) {
        lock(&self.state).reads.insert(name.into(), reads.into());
    }

    /// What the pool's first PATCHes answer, in order ([`Patch`]).
    pub(crate) fn patches(&self, name: &str, patches: Vec<Patch>) {
        lock(&self.state)
            .patches
            .insert(name.into(), patches.into());
    }

    /// What both defaults routes answer.
    pub(crate) fn defaults(&self, reply: ResponseTemplate) {
        lock(&self.state).defaults = Some(reply);
    }

    /// How the CSRF token endpoint behaves.
    pub(crate) fn csrf(&self, csrf: Csrf) {
        lock(&self.state).csrf = Some(csrf);
    }

    /// What the first token requests answer instead (e.g. a transient 503).
    pub(crate) fn csrf_replies(&self, replies: Vec<ResponseTemplate>) {
        lock(&self.state).csrf_replies = replies.into();
    }

    /// Deletes the pool just before the first request that reads it by name (a GET of it, or
    /// a `POST /work_pools/filter` whose name filter holds it); listing pages do not count.
    pub(crate) fn vanish(&self, name: &str) {
        lock(&self.state).vanish.insert(name.into());
    }

    /// Deletes the pools just before the first listing page at an offset above 0.
    pub(crate) fn delete_mid_listing(&self, names: &[String]) {
        lock(&self.state).mid_listing.extend(names.iter().cloned());
    }

    /// From PATCH number `after` on (0-based), every request answers 429 with
    /// `Retry-After: retry_after` for `window`.
    pub(crate) fn storm(&self, after: usize, window: Duration, retry_after: &'static str) {
        lock(&self.state).pushback.storm = Some(Storm {
            after,
            window,
            retry_after,
            started: None,
        });
    }

    /// Allows `rate` requests per second, `burst` at once; above it answers 429 with
    /// `Retry-After: 1`.
    pub(crate) fn bucket(&self, rate: f64, burst: f64) {
        lock(&self.state).pushback.bucket = Some(Bucket {
            rate,
            burst,
            tokens: burst,
            last: None,
        });
    }

    /// Of the first `first` PATCHes, each that arrives while another PATCH is in flight
    /// answers 503; later PATCHes are accepted at any concurrency.
    pub(crate) fn contention(&self, first: usize) {
        lock(&self.state).pushback.contention = Some(first);
    }

    /// The first PATCH that arrives while `level` PATCHes (itself included) are in flight
    /// answers 503.
    pub(crate) fn refuse_at_level(&self, level: usize) {
        lock(&self.state).pushback.refuse_at_level = Some(level);
    }

    /// Every PATCH the API answers is answered `hold` after it arrived.
    pub(crate) fn hold_patches(&self, hold: Duration) {
        lock(&self.state).pushback.patch_hold = Some(hold);
    }

    /// Every read by names is answered `hold` after it arrived.
    pub(crate) fn hold_reads(&self, hold: Duration) {
        lock(&self.state).pushback.read_hold = Some(hold);
    }

    /// Every request so far, in the order they arrived.
    pub(crate) fn log(&self) -> Vec<Seen> {
        lock(&self.state).pushback.log.clone()
    }

    /// The stored template of a pool, `None` once it is gone.
    pub(crate) fn stored(&self, name: &str) -> Option<Value> {
        lock(&self.state)
            .pools
            .get(name)
            .map(|p| p["base_job_template"].clone())
    }
}

/// Drives `future` to its end on a runtime of its own (the mock server itself serves from
/// its own thread).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// The route of a request: method and path below the API base (Cloud's account and
/// workspace segments dropped), e.g. `PATCH /work_pools/k8s`.
pub(crate) fn route(request: &Request) -> String {
    let path = request.url.path();
    let mut rest = path.strip_prefix("/api").unwrap_or(path).to_string();
    if rest.starts_with("/accounts/") {
        rest = format!("/{}", rest.splitn(6, '/').nth(5).unwrap_or_default());
    }
    format!("{} {rest}", request.method)
}
