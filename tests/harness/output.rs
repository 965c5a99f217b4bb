//! [`Output`]: how a run ended, what it printed (with the one JSON-lines parser), and, on a
//! fake backend, the requests the fake saw, what it stores and the backups written.

use super::fake::{self, Fake};
use super::fixtures;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// What the fake backend of a run saw.
pub(crate) struct Served {
    /// The fake itself, with what it stores now.
    pub fake: Fake,
    /// The route of every request, in order (see [`fake::route`]).
    pub routes: Vec<String>,
    /// Every request, in order.
    pub requests: Vec<wiremock::Request>,
}

/// What a finished run printed and how it ended.
pub(crate) struct Output {
    /// The exit code; `None` when a signal ended the run.
    pub status: Option<i32>,
    /// The signal that ended the run, if one did.
    pub signal: Option<i32>,
    /// Stdout, as text (invalid UTF-8 replaced).
    pub stdout: String,
    /// Stderr, as text (invalid UTF-8 replaced).
    pub stderr: String,
    /// Stdout as bytes.
    pub raw: Vec<u8>,
    /// How long it ran (from the signal, for a run sent one).
    pub elapsed: Duration,
    /// When a signal was sent to it ([`super::Run::signal`]).
    pub signalled: Option<Instant>,
    /// The API URL the command was given (empty without a server).
    pub api: String,
    /// The backup folder the command was given, and the temp folder kept alive for it.
    pub(super) backups: Option<(PathBuf, tempfile::TempDir)>,
    pub(super) served: Option<Served>,
}

impl Output {
    /// The output of a process that ended with `status` after `at`.
    pub(super) fn new(status: ExitStatus, out: Vec<u8>, err: Vec<u8>, at: Duration) -> Output {
        Output {
            status: status.code(),
            signal: status.signal(),
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
            raw: out,
            elapsed: at,
            signalled: None,
            api: String::new(),
            backups: None,
            served: None,
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub(crate) fn code(&self, want: i32) -> &Output {
        assert_eq!(self.status, Some(want), "exit code; {self}");
        self
    }

    /// Asserts the exit code and hands the output on, for `let out = run.run().exit(0);`.
    #[track_caller]
    pub(crate) fn exit(self, want: i32) -> Output {
        self.code(want);
        self
    }

    /// Asserts the run failed (any exit code but 0, or none) and hands the output on.
    #[track_caller]
    pub(crate) fn fail(self) -> Output {
        assert_ne!(self.status, Some(0), "exit code; {self}");
        self
    }

    #[track_caller]
    pub(crate) fn stdout_has(&self, text: &str) -> &Output {
        self.holds(self.stdout.contains(text), "stdout lacks", text)
    }

    /// Stdout is exactly `text`.
    #[track_caller]
    pub(crate) fn stdout_is(&self, text: &str) -> &Output {
        assert_eq!(self.stdout, text, "stdout; {self}");
        self
    }

    #[track_caller]
    pub(crate) fn stdout_ends(&self, text: &str) -> &Output {
        self.holds(
            self.stdout.ends_with(text),
            "stdout does not end with",
            text,
        )
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, text: &str) -> &Output {
        self.holds(self.stderr.contains(text), "stderr lacks", text)
    }

    /// Asserts `holds`, a check of the output against `text`, showing the output otherwise.
    #[track_caller]
    fn holds(&self, holds: bool, failure: &str, text: &str) -> &Output {
        assert!(holds, "{failure} {text:?}; {self}");
        self
    }

    /// Stdout as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or_else(|e| panic!("{e}: {self}"))
    }

    /// Stdout as JSON lines (`--output json` of a batch): every line one JSON value.
    #[track_caller]
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        let line =
            |l: &str| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}; {self}"));
        self.stdout.lines().map(line).collect()
    }

    /// The JSON lines of a batch split into the per-pool objects and the summary, which must
    /// be the last line.
    #[track_caller]
    pub(crate) fn batch(&self) -> (Vec<Value>, Value) {
        let mut lines = self.json_lines();
        let summary = lines.pop().unwrap_or_else(|| panic!("no output; {self}"));
        assert!(summary.get("summary").is_some(), "last line: {summary}");
        (lines, summary["summary"].clone())
    }

    /// Each pool's outcome by name, and the summary (`Null` for a single pool, which prints
    /// none).
    #[track_caller]
    pub(crate) fn outcomes(&self) -> (BTreeMap<String, String>, Value) {
        let mut pools = BTreeMap::new();
        let mut summary = Value::Null;
        for value in self.json_lines() {
            match value.get("summary") {
                Some(s) => summary = s.clone(),
                None => {
                    let pool = value["pool"].as_str().expect("pool").to_string();
                    let outcome = value["outcome"].as_str().expect("outcome").to_string();
                    pools.insert(pool, outcome);
                }
            }
        }
        (pools, summary)
    }

    /// Each pool's JSON line by name, and the summary (whose total matches the lines).
    #[track_caller]
    pub(crate) fn by_pool(&self) -> (BTreeMap<String, Value>, Value) {
        let (lines, summary) = self.batch();
        assert_eq!(summary["total"], lines.len(), "{self}");
        let pools = lines
            .into_iter()
            .map(|l| (l["pool"].as_str().unwrap_or_default().to_string(), l))
            .collect();
        (pools, summary)
    }

    /// What the fake backend saw; panics for another backend.
    #[track_caller]
    pub(crate) fn served(&self) -> &Served {
        self.served
            .as_ref()
            .unwrap_or_else(|| panic!("not a run on the fake backend"))
    }

    /// The routes the fake backend saw, in order.
    #[track_caller]
    pub(crate) fn routes(&self) -> &[String] {
        &self.served().routes
    }

    /// Exactly `n` requests of `route` (e.g. `PATCH /work_pools/k8s`) reached the fake.
    #[track_caller]
    pub(crate) fn requests(&self, route: &str, n: usize) -> &Output {
        let routes = self.routes();
        let seen = routes.iter().filter(|r| *r == route).count();
        assert_eq!(seen, n, "{route} requests; all: {routes:#?}; {self}");
        self
    }

    /// Only these routes were requested (each at least once).
    #[track_caller]
    pub(crate) fn only_routes(&self, allowed: &[&str]) -> &Output {
        let other: Vec<&String> = self
            .routes()
            .iter()
            .filter(|r| !allowed.contains(&r.as_str()))
            .collect();
        assert!(other.is_empty(), "unexpected requests {other:?}; {self}");
        self
    }

    /// The JSON bodies of the PATCHes of `pool`, in order.
    pub(crate) fn patch_bodies(&self, pool: &str) -> Vec<Value> {
        let route = format!("PATCH /work_pools/{pool}");
        self.served()
            .requests
            .iter()
            .filter(|r| fake::route(r) == route)
            .map(|r| r.body_json().expect("PATCH body is json"))
            .collect()
    }

    /// Exactly `n` PATCHes of `pool`, each of exactly the merged template (no partial write).
    #[track_caller]
    pub(crate) fn patched_merged(&self, pool: &str, n: usize) -> &Output {
        let sent = self.patch_bodies(pool);
        assert_eq!(sent.len(), n, "PATCHes of {pool}: {sent:?}; {self}");
        for body in sent {
            let want = json!({"base_job_template": fixtures::merged()});
            assert_eq!(body, want, "PATCH of {pool}: partial write");
        }
        self
    }

    /// The `name` header of every PATCH, in order (`None` where missing or not text).
    pub(crate) fn patch_headers(&self, name: &str) -> Vec<Option<&str>> {
        let patches = self
            .served()
            .requests
            .iter()
            .filter(|r| r.method == "PATCH");
        patches.map(|r| fixtures::header_is(r, name)).collect()
    }

    /// Exactly `n` backup files in the run's backup folder; returns them.
    #[track_caller]
    pub(crate) fn backups(&self, n: usize) -> Vec<PathBuf> {
        let (dir, _) = self.backups.as_ref().expect("a run with a backup folder");
        let files = fixtures::files_under(dir);
        assert_eq!(files.len(), n, "backups under {}: {files:?}", dir.display());
        files
    }

    /// The template the fake stores for `pool` now.
    #[track_caller]
    pub(crate) fn stored(&self, pool: &str) -> Value {
        self.served()
            .fake
            .stored(pool)
            .unwrap_or_else(|| panic!("no pool {pool:?}"))
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "status {:?} (signal {:?}) after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.signal, self.elapsed, self.stdout, self.stderr
        )
    }
}
