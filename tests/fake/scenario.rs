//! One test, one chain, in the spirit of just's `Test`:
//!
//! ```ignore
//! Scenario::new()
//!     .pool(POOL, current())
//!     .patches(POOL, vec![Patch::Reply(ResponseTemplate::new(500))])
//!     .args(["update", POOL])
//!     .run()
//!     .await
//!     .code(1)
//!     .requests("PATCH /work_pools/k8s", 1)
//!     .backups(1);
//! ```
//!
//! The scenario owns the fake API, the backup folder and the environment; the command gets
//! `--api-url` and `--backup-dir` appended (connection flags follow the command).

use super::{Csrf, Fake, Patch, Read};
use crate::mock::{self, Out};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use wiremock::ResponseTemplate;

type Setup = Box<dyn FnOnce(&Fake) + Send>;
type Prepare = Box<dyn FnOnce(&str) + Send>;

/// A scenario to run: what the fake serves, the command, and its environment.
pub(crate) struct Scenario {
    setup: Vec<Setup>,
    prepare: Vec<Prepare>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    api_suffix: String,
    cloud: bool,
    backup_dir: Option<PathBuf>,
    /// A signal to send the run, and after how long.
    signal: Option<(Duration, i32)>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::new()
    }
}

impl Scenario {
    /// No pools, the newer kubernetes default, CSRF disabled, retries off.
    pub(crate) fn new() -> Scenario {
        Scenario {
            setup: Vec::new(),
            prepare: Vec::new(),
            args: Vec::new(),
            env: vec![("PREFECT_CLIENT_MAX_RETRIES".into(), "0".into())],
            api_suffix: String::new(),
            cloud: false,
            backup_dir: None,
            signal: None,
        }
        .defaults(mock::defaults("kubernetes", "kubernetes"))
        .csrf(Csrf::Disabled)
    }

    /// `update POOL` of one kubernetes pool [`mock::POOL`] storing [`mock::current()`], with
    /// `retries` client retries (5 is the client's default).
    pub(crate) fn update_pool(retries: u32) -> Scenario {
        Scenario::new()
            .pool(mock::POOL, mock::current())
            .retries(retries)
            .args(["update", mock::POOL])
    }

    /// Kubernetes pools `names`, each storing [`mock::current()`] (so each is stale).
    pub(crate) fn stale_pools(names: &[impl AsRef<str>]) -> Scenario {
        let mut scenario = Scenario::new();
        for name in names {
            scenario = scenario.pool(name.as_ref(), mock::current());
        }
        scenario
    }

    fn with(mut self, step: impl FnOnce(&Fake) + Send + 'static) -> Scenario {
        self.setup.push(Box::new(step));
        self
    }

    /// A kubernetes pool storing `template`.
    pub(crate) fn pool(self, name: &str, template: Value) -> Scenario {
        self.typed_pool(name, "kubernetes", template)
    }

    pub(crate) fn typed_pool(self, name: &str, pool_type: &str, template: Value) -> Scenario {
        let (name, pool_type) = (name.to_string(), pool_type.to_string());
        self.with(move |fake| fake.pool(&name, &pool_type, template))
    }

    /// What the pool's first reads answer, in order; later reads answer the stored pool.
    pub(crate) fn reads(self, name: &str, reads: Vec<Read>) -> Scenario {
        let name = name.to_string();
        self.with(move |fake| fake.reads(&name, reads))
    }

    /// What the pool's PATCHes answer, in order; later ones store and answer 204.
    pub(crate) fn patches(self, name: &str, patches: Vec<Patch>) -> Scenario {
        let name = name.to_string();
        self.with(move |fake| fake.patches(&name, patches))
    }

    /// Every GET of the pool answers `echo` of the request's `Authorization` header.
    pub(crate) fn echo(self, name: &str, echo: super::Echo) -> Scenario {
        let name = name.to_string();
        self.with(move |fake| fake.echo(&name, echo))
    }

    /// A route outside the Prefect API answers `reply` (e.g. `GET /moved/k8s`).
    pub(crate) fn route(self, route: &str, reply: ResponseTemplate) -> Scenario {
        let route = route.to_string();
        self.with(move |fake| fake.route(&route, reply))
    }

    /// The pool is deleted just before the first request that reads it by name.
    pub(crate) fn vanish(self, name: &str) -> Scenario {
        let name = name.to_string();
        self.with(move |fake| fake.vanish(&name))
    }

    /// The pools are deleted just before the second listing page is served (paging shifts).
    pub(crate) fn delete_mid_listing(self, names: &[&str]) -> Scenario {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        self.with(move |fake| fake.delete_mid_listing(&names))
    }

    /// From PATCH number `after` on, every request answers 429 with `Retry-After` for
    /// `window` (see [`Fake::storm`]).
    pub(crate) fn storm(
        self,
        after: usize,
        window: Duration,
        retry_after: &'static str,
    ) -> Scenario {
        self.with(move |fake| fake.storm(after, window, retry_after))
    }

    /// A token bucket of `rate` requests per second, `burst` at once (see [`Fake::bucket`]).
    pub(crate) fn bucket(self, rate: f64, burst: f64) -> Scenario {
        self.with(move |fake| fake.bucket(rate, burst))
    }

    /// 503 to concurrent PATCHes among the first `first` (see [`Fake::contention`]).
    pub(crate) fn contention(self, first: usize) -> Scenario {
        self.with(move |fake| fake.contention(first))
    }

    /// Every accepted PATCH is answered `hold` after it arrived.
    pub(crate) fn hold_patches(self, hold: Duration) -> Scenario {
        self.with(move |fake| fake.hold_patches(hold))
    }

    /// The defaults document (self-hosted and Cloud routes alike).
    pub(crate) fn defaults(self, document: Value) -> Scenario {
        self.defaults_reply(ResponseTemplate::new(200).set_body_json(document))
    }

    pub(crate) fn defaults_reply(self, reply: ResponseTemplate) -> Scenario {
        self.with(move |fake| fake.defaults(reply))
    }

    pub(crate) fn csrf(self, csrf: Csrf) -> Scenario {
        self.with(move |fake| fake.csrf(csrf))
    }

    /// What the first CSRF token requests answer before the `csrf` behaviour.
    pub(crate) fn csrf_replies(self, replies: Vec<ResponseTemplate>) -> Scenario {
        self.with(move |fake| fake.csrf_replies(replies))
    }

    /// The command line, starting with the subcommand.
    pub(crate) fn args<const N: usize>(mut self, args: [&str; N]) -> Scenario {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// `update ARGS --output json`: a batch whose lines [`Ran::by_pool`] reads.
    pub(crate) fn update_json(mut self, args: &[impl AsRef<str>]) -> Scenario {
        self.args.push("update".into());
        self.args
            .extend(args.iter().map(|a| a.as_ref().to_string()));
        self.args(["--output", "json"])
    }

    pub(crate) fn env(mut self, name: &str, value: &str) -> Scenario {
        self.env.push((name.into(), value.into()));
        self
    }

    /// `PREFECT_CLIENT_MAX_RETRIES` (0 unless set).
    pub(crate) fn retries(self, n: u32) -> Scenario {
        self.env("PREFECT_CLIENT_MAX_RETRIES", &n.to_string())
    }

    /// Prefect Cloud: `PREFECT_CLOUD_API_URL` is the fake's `/api`, and the command's API
    /// URL is a workspace below it.
    pub(crate) fn cloud(mut self) -> Scenario {
        self.cloud = true;
        self.api_suffix = mock::CLOUD_PATH.into();
        self
    }

    /// Appends `suffix` to the API URL the command gets (a query, a fragment).
    pub(crate) fn api_suffix(mut self, suffix: &str) -> Scenario {
        self.api_suffix.push_str(suffix);
        self
    }

    /// Runs before the command with the API URL it gets (to write files naming it).
    pub(crate) fn prepare(mut self, step: impl FnOnce(&str) + Send + 'static) -> Scenario {
        self.prepare.push(Box::new(step));
        self
    }

    /// Back up into this path instead of a fresh folder.
    pub(crate) fn backup_dir(mut self, dir: &Path) -> Scenario {
        self.backup_dir = Some(dir.to_path_buf());
        self
    }

    /// Sends the run `signal` (`libc::SIGINT`, ...) `after` it started.
    pub(crate) fn signal(mut self, after: Duration, signal: i32) -> Scenario {
        self.signal = Some((after, signal));
        self
    }

    /// Starts the fake, runs the command, and keeps what is needed to check it.
    pub(crate) async fn run(self) -> Ran {
        let fake = Fake::start().await;
        for step in self.setup {
            step(&fake);
        }
        let backups = TempDir::new().expect("backup dir");
        let dir = self
            .backup_dir
            .unwrap_or_else(|| backups.path().to_path_buf());
        let api = format!("{}{}", fake.api(), self.api_suffix);
        for step in self.prepare {
            step(&api);
        }
        let mut cmd = mock::process();
        if self.cloud {
            cmd.env("PREFECT_CLOUD_API_URL", fake.api());
        }
        cmd.envs(self.env)
            .args(&self.args)
            .args(["--api-url", &api])
            .arg("--backup-dir")
            .arg(&dir);
        let out = match self.signal {
            Some((after, signal)) => mock::run_signalled(cmd, after, signal).await,
            None => {
                let mut cmd = assert_cmd::Command::from_std(cmd);
                cmd.timeout(Duration::from_secs(60));
                mock::run(cmd).await
            }
        };
        let requests = fake.server.received_requests().await.unwrap_or_default();
        Ran {
            out,
            routes: fake.routes().await,
            requests,
            fake,
            api,
            dir,
            _backups: backups,
        }
    }
}

/// A finished scenario: its output, the requests the fake saw, the backups, the state.
pub(crate) struct Ran {
    pub out: Out,
    pub routes: Vec<String>,
    pub requests: Vec<wiremock::Request>,
    pub fake: Fake,
    /// The API URL the command was given.
    pub api: String,
    dir: PathBuf,
    _backups: TempDir,
}

impl Ran {
    #[track_caller]
    pub(crate) fn code(&self, want: i32) -> &Ran {
        self.out.code(want);
        self
    }

    #[track_caller]
    pub(crate) fn stdout_has(&self, text: &str) -> &Ran {
        self.printed(self.out.stdout.contains(text), "stdout lacks", text)
    }

    #[track_caller]
    pub(crate) fn stdout_ends(&self, text: &str) -> &Ran {
        self.printed(
            self.out.stdout.ends_with(text),
            "stdout does not end with",
            text,
        )
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, text: &str) -> &Ran {
        self.printed(self.out.stderr.contains(text), "stderr lacks", text)
    }

    /// Asserts `holds`, a check of the output against `text`, showing the output otherwise.
    #[track_caller]
    fn printed(&self, holds: bool, failure: &str, text: &str) -> &Ran {
        assert!(holds, "{failure} {text:?}; {}", self.out);
        self
    }

    /// Exactly `n` requests of `route` (e.g. `PATCH /work_pools/k8s`) reached the fake.
    #[track_caller]
    pub(crate) fn requests(&self, route: &str, n: usize) -> &Ran {
        let seen = self.routes.iter().filter(|r| *r == route).count();
        assert_eq!(
            seen, n,
            "{route} requests; all: {:#?}; {}",
            self.routes, self.out
        );
        self
    }

    /// Only these routes were requested (each at least once).
    #[track_caller]
    pub(crate) fn only_routes(&self, allowed: &[&str]) -> &Ran {
        let other: Vec<&String> = self
            .routes
            .iter()
            .filter(|r| !allowed.contains(&r.as_str()))
            .collect();
        assert!(
            other.is_empty(),
            "unexpected requests {other:?}; {}",
            self.out
        );
        self
    }

    /// The JSON bodies of the PATCHes of `pool`, in order.
    pub(crate) fn patch_bodies(&self, pool: &str) -> Vec<Value> {
        let route = format!("PATCH /work_pools/{pool}");
        self.requests
            .iter()
            .filter(|r| super::route(r) == route)
            .map(|r| r.body_json().expect("PATCH body is json"))
            .collect()
    }

    /// Exactly `n` PATCHes of `pool`, each of exactly the merged template (no partial write).
    #[track_caller]
    pub(crate) fn patched_merged(&self, pool: &str, n: usize) -> &Ran {
        let sent = self.patch_bodies(pool);
        assert_eq!(sent.len(), n, "PATCHes of {pool}: {sent:?}; {}", self.out);
        for body in sent {
            let want = json!({"base_job_template": mock::merged()});
            assert_eq!(body, want, "PATCH of {pool}: partial write");
        }
        self
    }

    /// The `name` header of every PATCH, in order (`None` where missing or not text).
    pub(crate) fn patch_headers(&self, name: &str) -> Vec<Option<&str>> {
        let patches = self.requests.iter().filter(|r| r.method == "PATCH");
        patches.map(|r| mock::header_is(r, name)).collect()
    }

    /// Each pool's `--output json` line by name, and the summary (whose total matches the
    /// lines).
    #[track_caller]
    pub(crate) fn by_pool(&self) -> (BTreeMap<String, Value>, Value) {
        let (lines, summary) = mock::json_lines(&self.out);
        assert_eq!(summary["total"], lines.len(), "{}", self.out);
        let pools = lines
            .into_iter()
            .map(|l| (l["pool"].as_str().unwrap_or_default().to_string(), l))
            .collect();
        (pools, summary)
    }

    /// Exactly `n` backup files; returns them.
    #[track_caller]
    pub(crate) fn backups(&self, n: usize) -> Vec<PathBuf> {
        let files = mock::files_under(&self.dir);
        assert_eq!(
            files.len(),
            n,
            "backups under {}: {files:?}",
            self.dir.display()
        );
        files
    }

    /// The template the fake stores for `pool` now.
    #[track_caller]
    pub(crate) fn stored(&self, pool: &str) -> Value {
        self.fake
            .stored(pool)
            .unwrap_or_else(|| panic!("no pool {pool:?}"))
    }
}
