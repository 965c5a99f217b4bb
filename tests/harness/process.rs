//! Starting the binary for a [`Run`]: the hermetic environment, the backend's URL and
//! backup folder, a plain run (with a time limit) or a run sent a signal.

use super::fake::Fake;
use super::output::{Output, Served};
use super::{Backend, Backups, Run, When, live};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// The folder under which every run off the real server gets its own empty HOME.
static HOMES: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("temp HOME"));

/// The built binary (under `ulimit -v` when `memory_kib` is set) with only `PATH` and
/// `NO_COLOR` from outside.
fn binary(memory_kib: Option<u64>) -> Command {
    let bin = env!("CARGO_BIN_EXE_poolsync");
    let mut cmd = match memory_kib {
        Some(kib) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(bin);
            sh
        }
        None => Command::new(bin),
    };
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    cmd
}

/// A new, empty HOME, so no real profile is read and no backup of another test (whose fake
/// may have had the same port) becomes this run's three-way base.
fn fresh_home() -> std::path::PathBuf {
    let home = HOMES.path().join(uuid::Uuid::new_v4().to_string());
    std::fs::create_dir(&home).expect("temp HOME");
    home
}

/// Starts the backend, runs the command against it and gathers what it printed and saw.
pub(super) fn run(run: Run) -> Output {
    let mut cmd = binary(run.memory_kib);
    let on_live = matches!(run.backend, Backend::Live | Backend::LiveCsrf);
    match (&run.home, on_live) {
        (Some(home), _) => cmd.env("HOME", home),
        (None, true) => cmd
            .env("HOME", live::test_home())
            .env("PREFECT_HOME", live::test_prefect_home()),
        (None, false) => cmd.env("HOME", fresh_home()),
    };
    let (fake, api) = match run.backend {
        Backend::Offline => (None, None),
        Backend::Live => (None, Some(live::api_url().to_string())),
        Backend::LiveCsrf => (None, Some(live::csrf_server().url.clone())),
        Backend::Url(url) => (None, Some(url)),
        Backend::Fake(setup) => {
            let fake = Fake::start();
            let api = setup.apply(&fake, &mut cmd);
            (Some(fake), Some(api))
        }
    };
    if let Some(cwd) = &run.cwd {
        cmd.current_dir(cwd);
    }
    cmd.envs(run.env).args(&run.args);
    if let Some(api) = &api {
        cmd.args(["--api-url", api]);
    }
    let fresh = tempfile::TempDir::new().expect("backup dir");
    let backups = match (run.backups, fake.is_some()) {
        (Backups::At(dir), _) => Some(dir),
        (Backups::Unset, true) => Some(fresh.path().to_path_buf()),
        (Backups::Unset, false) => None,
    };
    if let Some(dir) = &backups {
        cmd.arg("--backup-dir").arg(dir);
    }
    let mut out = match run.signal {
        _ if run.first_line => first_line(cmd),
        Some((when, signal)) => signalled(cmd, run.stdin, when, signal),
        None => plain(cmd, run.stdin, run.timeout),
    };
    out.api = api.unwrap_or_default();
    out.backups = backups.map(|dir| (dir, fresh));
    out.served = fake.map(|fake| {
        let requests = fake.requests();
        let routes = requests.iter().map(super::fake::route).collect();
        Served {
            fake,
            routes,
            requests,
        }
    });
    out
}

/// Runs to the end (killed after `timeout`, if any).
fn plain(cmd: Command, stdin: Option<Vec<u8>>, timeout: Option<Duration>) -> Output {
    let mut cmd = assert_cmd::Command::from_std(cmd);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    if let Some(timeout) = timeout {
        cmd.timeout(timeout);
    }
    let start = Instant::now();
    let out = cmd.output().expect("poolsync runs");
    Output::new(out.status, out.stdout, out.stderr, start.elapsed())
}

/// Reads stdout up to its first line, then closes it (later writes hit a closed pipe);
/// stdin is empty.
fn first_line(mut cmd: Command) -> Output {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("poolsync starts");
    let mut line = String::new();
    {
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read one line");
    } // the reader is gone: later writes hit a closed pipe
    let mut stderr = Vec::new();
    let mut pipe = child.stderr.take().expect("piped stderr");
    pipe.read_to_end(&mut stderr).expect("read stderr");
    let status = child.wait().expect("poolsync ends");
    Output::new(status, line.into_bytes(), stderr, start.elapsed())
}

/// Sends `signal` when due; `elapsed` is measured from the signal. A run still going
/// 30 s after the signal is killed.
fn signalled(mut cmd: Command, stdin: Option<Vec<u8>>, when: When, signal: i32) -> Output {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("poolsync starts");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        std::thread::spawn(move || pipe.write_all(&input));
    }
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    match when {
        When::After(after) => std::thread::sleep(after),
        When::Once(ready) => {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(60) && !ready() {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    let sent_at = Instant::now();
    // SAFETY: kill(2) on our own child, not yet waited for, so its pid is still ours.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "signal sent");
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll poolsync") {
            break status;
        }
        if sent_at.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            break child.wait().expect("poolsync ends");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = sent_at.elapsed();
    let mut out = Output::new(
        status,
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
        elapsed,
    );
    out.signalled = Some(sent_at);
    out
}
