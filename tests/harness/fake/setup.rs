//! The fake backend's side of [`Run`]: what the fake serves and scripts, set up step by
//! step in the scenario and applied when the run starts.
//!
//! ```ignore
//! Run::fake()
//!     .pool(POOL, current())
//!     .patches(POOL, vec![Patch::Reply(ResponseTemplate::new(500))])
//!     .args(["update", POOL])
//!     .run()
//!     .code(1)
//!     .requests("PATCH /work_pools/k8s", 1)
//!     .backups(1);
//! ```
//!
//! The first fake step makes the run's backend a fresh fake serving the newer kubernetes
//! default with CSRF disabled; the command gets `--api-url` and `--backup-dir` appended
//! (connection flags follow the command) and `PREFECT_CLIENT_MAX_RETRIES=0` unless the
//! scenario sets it.

use super::{Csrf, Echo, Fake, Patch, Read};
use crate::harness::{Backend, Run, fixtures};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use wiremock::ResponseTemplate;

type Step = Box<dyn FnOnce(&Fake) + Send>;
type Prepare = Box<dyn FnOnce(&str) + Send>;

/// How to set up a fake backend.
pub(crate) struct FakeSetup {
    steps: Vec<Step>,
    prepare: Vec<Prepare>,
    api_suffix: String,
    cloud: bool,
}

impl FakeSetup {
    /// The newer kubernetes default, CSRF disabled.
    fn new() -> FakeSetup {
        FakeSetup {
            steps: vec![
                Box::new(|fake: &Fake| fake.defaults(fixtures::kubernetes_defaults())),
                Box::new(|fake: &Fake| fake.csrf(Csrf::Disabled)),
            ],
            prepare: Vec::new(),
            api_suffix: String::new(),
            cloud: false,
        }
    }

    /// Sets up `fake` and the command's environment for it; returns the API URL the command
    /// gets.
    pub(crate) fn apply(self, fake: &Fake, cmd: &mut Command) -> String {
        for step in self.steps {
            step(fake);
        }
        let api = format!("{}{}", fake.api(), self.api_suffix);
        for step in self.prepare {
            step(&api);
        }
        cmd.env("PREFECT_CLIENT_MAX_RETRIES", "0");
        if self.cloud {
            cmd.env("PREFECT_CLOUD_API_URL", fake.api());
        }
        api
    }
}

impl Run {
    /// A run on a fresh fake (no pools, the newer kubernetes default, CSRF disabled, retries
    /// off); the command comes with [`Run::args`].
    pub(crate) fn fake() -> Run {
        Run::new(Vec::<String>::new()).fake_setup(|_| {})
    }

    /// `update POOL` of one kubernetes pool [`fixtures::POOL`] storing
    /// [`fixtures::current()`], with `retries` client retries (5 is the client's default).
    pub(crate) fn update_pool(retries: u32) -> Run {
        Run::fake()
            .pool(fixtures::POOL, fixtures::current())
            .retries(retries)
            .args(["update", fixtures::POOL])
    }

    /// Kubernetes pools `names` on a fake, each storing [`fixtures::current()`] (so each is
    /// stale).
    pub(crate) fn stale_pools(names: &[impl AsRef<str>]) -> Run {
        let mut run = Run::fake();
        for name in names {
            run = run.pool(name.as_ref(), fixtures::current());
        }
        run
    }

    /// Makes the backend a fake (if it is not one yet) and changes its setup.
    fn fake_setup(mut self, change: impl FnOnce(&mut FakeSetup)) -> Run {
        if !matches!(self.backend, Backend::Fake(_)) {
            self.backend = Backend::Fake(FakeSetup::new());
        }
        if let Backend::Fake(setup) = &mut self.backend {
            change(setup);
        }
        self
    }

    fn with(self, step: impl FnOnce(&Fake) + Send + 'static) -> Run {
        self.fake_setup(|setup| setup.steps.push(Box::new(step)))
    }

    /// A kubernetes pool storing `template`.
    pub(crate) fn pool(self, name: &str, template: Value) -> Run {
        self.typed_pool(name, "kubernetes", template)
    }

    /// A pool of `pool_type` storing `template`.
    pub(crate) fn typed_pool(self, name: &str, pool_type: &str, template: Value) -> Run {
        let (name, pool_type) = (name.to_string(), pool_type.to_string());
        self.with(move |fake| fake.pool(&name, &pool_type, template))
    }

    /// What the pool's first reads answer, in order; later reads answer the stored pool.
    pub(crate) fn reads(self, name: &str, reads: Vec<Read>) -> Run {
        let name = name.to_string();
        self.with(move |fake| fake.reads(&name, reads))
    }

    /// What the pool's PATCHes answer, in order; later ones store and answer 204.
    pub(crate) fn patches(self, name: &str, patches: Vec<Patch>) -> Run {
        let name = name.to_string();
        self.with(move |fake| fake.patches(&name, patches))
    }

    /// Every GET of the pool answers `echo` of the request's `Authorization` header.
    pub(crate) fn echo(self, name: &str, echo: Echo) -> Run {
        let name = name.to_string();
        self.with(move |fake| fake.echo(&name, echo))
    }

    /// A route outside the Prefect API answers `reply` (e.g. `GET /moved/k8s`).
    pub(crate) fn route(self, route: &str, reply: ResponseTemplate) -> Run {
        let route = route.to_string();
        self.with(move |fake| fake.route(&route, reply))
    }

    /// The pool is deleted just before the first request that reads it by name.
    pub(crate) fn vanish(self, name: &str) -> Run {
        let name = name.to_string();
        self.with(move |fake| fake.vanish(&name))
    }

    /// The pools are deleted just before the second listing page is served (paging shifts).
    pub(crate) fn delete_mid_listing(self, names: &[&str]) -> Run {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        self.with(move |fake| fake.delete_mid_listing(&names))
    }

    /// From PATCH number `after` on, every request answers 429 with `Retry-After` for
    /// `window` (see [`Fake::storm`]).
    pub(crate) fn storm(self, after: usize, window: Duration, retry_after: &'static str) -> Run {
        self.with(move |fake| fake.storm(after, window, retry_after))
    }

    /// A token bucket of `rate` requests per second, `burst` at once (see [`Fake::bucket`]).
    pub(crate) fn bucket(self, rate: f64, burst: f64) -> Run {
        self.with(move |fake| fake.bucket(rate, burst))
    }

    /// 503 to concurrent PATCHes among the first `first` (see [`Fake::contention`]).
    pub(crate) fn contention(self, first: usize) -> Run {
        self.with(move |fake| fake.contention(first))
    }

    /// 503 to the first PATCH that arrives with `level` in flight (see
    /// [`Fake::refuse_at_level`]).
    pub(crate) fn refuse_at_level(self, level: usize) -> Run {
        self.with(move |fake| fake.refuse_at_level(level))
    }

    /// Every accepted PATCH is answered `hold` after it arrived.
    pub(crate) fn hold_patches(self, hold: Duration) -> Run {
        self.with(move |fake| fake.hold_patches(hold))
    }

    /// Every read by names is answered `hold` after it arrived.
    pub(crate) fn hold_reads(self, hold: Duration) -> Run {
        self.with(move |fake| fake.hold_reads(hold))
    }

    /// The defaults are answered 40 ms after they are asked for, as over a remote link:
    /// `update --all` then reads its listing in full pages (of 200), as through Prefect
    /// Cloud, not in pages sized to the write (a server on this host).
    pub(crate) fn remote_defaults(self) -> Run {
        let remote = fixtures::kubernetes_defaults().set_delay(Duration::from_millis(40));
        self.defaults_reply(remote)
    }

    /// The defaults are answered 1.2 s late, so every pool's listing (or `GET`) window of
    /// 500 ms has passed when it is merged (`--all` asks for the defaults alongside the
    /// listing, so a listing slower than 700 ms would still leave it open): its PATCH follows
    /// a re-read, as in a run whose merges take longer than the window. Tests of the re-read
    /// use it. The listing's pages are full, as over a remote link.
    pub(crate) fn late_defaults(self) -> Run {
        let late = fixtures::kubernetes_defaults().set_delay(Duration::from_millis(1200));
        self.defaults_reply(late)
    }

    /// The defaults document (self-hosted and Cloud routes alike).
    pub(crate) fn defaults(self, document: Value) -> Run {
        self.defaults_reply(ResponseTemplate::new(200).set_body_json(document))
    }

    /// What both defaults routes answer.
    pub(crate) fn defaults_reply(self, reply: ResponseTemplate) -> Run {
        self.with(move |fake| fake.defaults(reply))
    }

    /// How the CSRF token endpoint behaves.
    pub(crate) fn csrf(self, csrf: Csrf) -> Run {
        self.with(move |fake| fake.csrf(csrf))
    }

    /// What the first CSRF token requests answer before the `csrf` behaviour.
    pub(crate) fn csrf_replies(self, replies: Vec<ResponseTemplate>) -> Run {
        self.with(move |fake| fake.csrf_replies(replies))
    }

    /// `update ARGS --output json`: a batch whose lines [`Output::by_pool`](crate::harness::Output::by_pool) reads.
    pub(crate) fn update_json(self, args: &[impl AsRef<str>]) -> Run {
        let args = args.iter().map(|a| a.as_ref().to_string());
        self.arg("update").args(args).args(["--output", "json"])
    }

    /// `PREFECT_CLIENT_MAX_RETRIES` (0 unless set).
    pub(crate) fn retries(self, n: u32) -> Run {
        self.env("PREFECT_CLIENT_MAX_RETRIES", n.to_string())
    }

    /// Prefect Cloud: `PREFECT_CLOUD_API_URL` is the fake's `/api`, and the command's API
    /// URL is a workspace below it.
    pub(crate) fn cloud(self) -> Run {
        self.fake_setup(|setup| {
            setup.cloud = true;
            setup.api_suffix = fixtures::CLOUD_PATH.into();
        })
    }

    /// Appends `suffix` to the API URL the command gets (a query, a fragment).
    pub(crate) fn api_suffix(self, suffix: &str) -> Run {
        self.fake_setup(|setup| setup.api_suffix.push_str(suffix))
    }

    /// Runs before the command with the API URL it gets (to write files naming it).
    pub(crate) fn prepare(self, step: impl FnOnce(&str) + Send + 'static) -> Run {
        self.fake_setup(|setup| setup.prepare.push(Box::new(step)))
    }
}
