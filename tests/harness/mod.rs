//! The one test harness: a [`Run`] of the built `poolsync` binary against a backend the
//! scenario chooses, and one [`Output`] of what it printed and what the backend saw.
//!
//! ```ignore
//! Run::new(["update", POOL])
//!     .pool(POOL, current())                                 // a fake backend
//!     .patches(POOL, vec![Patch::Reply(detail(500, "down"))])
//!     .run()
//!     .code(1)
//!     .requests("PATCH /work_pools/k8s", 1)
//!     .backups(1);
//! Run::new(["update", &name]).live().run().code(0).stdout_has("updated");
//! Run::new(["schema"]).run().code(0);                        // no server at all
//! ```
//!
//! Backends ([`Backend`]): none; the real Prefect server shared by the test process
//! ([`live`], from `POOLSYNC_TEST_API_URL`) or its CSRF-protected twin; a stateful fake
//! Prefect API on wiremock ([`fake`], scripted with [`Run`]'s fake methods, see
//! `fake/setup.rs`); or any URL (a raw server of [`raw`] or [`tls`], a [`proxy`] in front
//! of the real server, a fake the test started itself).
//!
//! Every run gets a hermetic environment: only `PATH`, `NO_COLOR=1` and a `HOME` (a fresh
//! one per run; on the real server one per test process, with a `PREFECT_HOME`), plus what
//! the scenario adds.

pub(crate) mod fake;
pub(crate) mod fixtures;
pub(crate) mod live;
mod output;
pub(crate) mod own_pools;
mod process;
pub(crate) mod proxy;
pub(crate) mod raw;
pub(crate) mod tls;

pub(crate) use output::Output;

use fake::setup::FakeSetup;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the command's API is.
pub(crate) enum Backend {
    /// No server: the command gets no `--api-url`.
    Offline,
    /// The real Prefect server shared by the test process.
    Live,
    /// The real Prefect server with CSRF protection on ([`live::csrf_server`]).
    LiveCsrf,
    /// Any server at this API URL.
    Url(String),
    /// A fresh fake Prefect API, set up by these steps.
    Fake(FakeSetup),
}

/// Where the command backs up: `--backup-dir` only on a fake (a fresh folder), or this
/// folder.
enum Backups {
    Unset,
    At(PathBuf),
}

/// When to send a run its signal.
pub(crate) enum When {
    /// This long after it started.
    After(Duration),
    /// As soon as this holds (polled every 100 ms; after 60 s the signal goes anyway).
    Once(Box<dyn Fn() -> bool>),
}

/// One `poolsync` run to make: its arguments, environment, stdin and backend.
pub(crate) struct Run {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    cwd: Option<PathBuf>,
    backend: Backend,
    backups: Backups,
    home: Option<PathBuf>,
    /// A signal to send the run, and when.
    signal: Option<(When, i32)>,
    timeout: Option<Duration>,
    /// `ulimit -v` for the run, in KiB.
    memory_kib: Option<u64>,
    /// Read stdout up to its first line, then close it.
    first_line: bool,
}

impl Run {
    /// `poolsync ARGS`, with no server until a backend is chosen.
    pub(crate) fn new<I, S>(args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Run {
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            stdin: None,
            cwd: None,
            backend: Backend::Offline,
            backups: Backups::Unset,
            home: None,
            signal: None,
            timeout: Some(Duration::from_secs(60)),
            memory_kib: None,
            first_line: false,
        }
    }

    /// Appends an argument.
    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Run {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable (later settings of one name win).
    pub(crate) fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Run {
        self.env.push((name.into(), value.into()));
        self
    }

    /// What the command reads on stdin (otherwise stdin is empty).
    pub(crate) fn stdin(mut self, input: impl Into<Vec<u8>>) -> Run {
        self.stdin = Some(input.into());
        self
    }

    /// Runs in this directory instead of the test's.
    pub(crate) fn current_dir(mut self, dir: &Path) -> Run {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// `HOME` is this folder (where a profile or default backups live).
    pub(crate) fn home(mut self, dir: &Path) -> Run {
        self.home = Some(dir.to_path_buf());
        self
    }

    /// The `HOME` and `PREFECT_HOME` of runs on the real server (one per test process) and
    /// no time limit, for a run that names the real server itself (its URL in a file, in
    /// an environment variable, or before other flags).
    pub(crate) fn server_home(mut self) -> Run {
        self.home = Some(live::test_home().to_path_buf());
        self.timeout = None;
        self.env("PREFECT_HOME", live::test_prefect_home())
    }

    /// Backs up into `dir` (`--backup-dir DIR`).
    pub(crate) fn backup_dir(mut self, dir: &Path) -> Run {
        self.backups = Backups::At(dir.to_path_buf());
        self
    }

    /// Sends the run `signal` (`libc::SIGINT`, ...) `after` it started; [`Output::elapsed`]
    /// then counts from the signal.
    pub(crate) fn signal(mut self, after: Duration, signal: i32) -> Run {
        self.signal = Some((When::After(after), signal));
        self
    }

    /// Sends the run `signal` as soon as `ready()` holds (say, once the server holds a first
    /// write); [`Output::elapsed`] then counts from the signal.
    pub(crate) fn signal_once(mut self, ready: impl Fn() -> bool + 'static, signal: i32) -> Run {
        self.signal = Some((When::Once(Box::new(ready)), signal));
        self
    }

    /// Runs under `ulimit -v KIB` (through `sh`), so an allocation beyond it fails.
    pub(crate) fn memory_limit(mut self, kib: u64) -> Run {
        self.memory_kib = Some(kib);
        self
    }

    /// Reads stdout up to its first line and closes it, as `poolsync ... | head -1` does:
    /// [`Output::stdout`] is that line, and [`Output::signal`] tells a death by `SIGPIPE`.
    pub(crate) fn first_line_then_close(mut self) -> Run {
        self.first_line = true;
        self
    }

    /// No time limit (the default kills a run after 60 s; the real server has none).
    pub(crate) fn no_timeout(mut self) -> Run {
        self.timeout = None;
        self
    }

    /// Against the real Prefect server shared by the test process (`--api-url` last).
    pub(crate) fn live(mut self) -> Run {
        self.backend = Backend::Live;
        self.timeout = None;
        self
    }

    /// Against the real Prefect server with CSRF protection on.
    pub(crate) fn live_csrf(mut self) -> Run {
        self.backend = Backend::LiveCsrf;
        self.timeout = None;
        self
    }

    /// Against the server at this API URL (`--api-url URL` last).
    pub(crate) fn api(mut self, url: &str) -> Run {
        self.backend = Backend::Url(url.to_string());
        self
    }

    /// Starts the backend, runs the command and waits for it: what it printed, and on a fake
    /// backend what the fake saw ([`Output`]).
    pub(crate) fn run(self) -> Output {
        process::run(self)
    }
}
