//! Shared helpers for the binary tests that need no real server: a hermetic `poolsync`
//! command, the template fixtures the fake API serves, and a raw HTTP server for replies
//! wiremock cannot send (a body cut short).

pub(crate) mod tls;

use assert_cmd::Command;
use serde_json::{Value, json};
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Request, ResponseTemplate};

/// The pool most tests update.
pub(crate) const POOL: &str = "k8s";
/// A Prefect Cloud workspace path, appended to `PREFECT_CLOUD_API_URL`.
pub(crate) const CLOUD_PATH: &str = "/accounts/9c0a5c36-2b38-4a43-9e77-1f2f8e3c1a01\
    /workspaces/5f6e7d8c-1234-4abc-8def-0123456789ab";

/// The folder under which every run gets its own empty HOME.
static HOMES: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("temp HOME"));

/// The poolsync binary with a clean environment: only PATH, NO_COLOR and a new, empty
/// HOME, so no real profile is read and no backup of another test (whose mock server may
/// have had the same port) becomes this run's three-way base.
pub(crate) fn poolsync() -> Command {
    let mut cmd = Command::from_std(process());
    cmd.timeout(Duration::from_secs(60));
    cmd
}

/// [`poolsync`] as a process to spawn (and signal), without the 60 s timeout.
pub(crate) fn process() -> std::process::Command {
    let home = HOMES.path().join(uuid::Uuid::new_v4().to_string());
    std::fs::create_dir(&home).expect("temp HOME");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_poolsync"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("NO_COLOR", "1");
    cmd
}

/// What a run printed and how it ended.
pub(crate) struct Out {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// When a signal was sent to it ([`run_signalled`]).
    pub signalled: Option<Instant>,
}

impl Out {
    /// Asserts the exit code, showing the output when it differs.
    pub(crate) fn code(&self, want: i32) {
        assert_eq!(self.status, Some(want), "exit code; {self}");
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "status {:?} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs the command off the async runtime, so the mock server keeps answering.
pub(crate) async fn run(mut cmd: Command) -> Out {
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let out = cmd.output().expect("poolsync runs");
        Out {
            status: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
            signalled: None,
        }
    })
    .await
    .expect("runner thread")
}

/// Runs the command off the async runtime and sends it `signal` after `after`; `elapsed`
/// is measured from the signal. A run still going 30 s after the signal is killed.
pub(crate) async fn run_signalled(
    mut cmd: std::process::Command,
    after: Duration,
    signal: i32,
) -> Out {
    use std::process::Stdio;
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("poolsync starts");
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_string(&mut text);
                }
                text
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
        std::thread::sleep(after);
        let signalled = Instant::now();
        // SAFETY: kill(2) on our own child, not yet waited for, so its pid is still ours.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "signal sent");
        let status = loop {
            if let Some(status) = child.try_wait().expect("poll poolsync") {
                break status;
            }
            if signalled.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                break child.wait().expect("poolsync ends");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let elapsed = signalled.elapsed();
        Out {
            status: status.code(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            elapsed,
            signalled: Some(signalled),
        }
    })
    .await
    .expect("runner thread")
}

/// The stored template: a valid one whose image default the user customised.
pub(crate) fn current() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "registry.example.com/flows:2"}
        }}
    })
}

/// The server's newer default: a stock image and a new `cpu` variable.
pub(crate) fn newer_default() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "a:1"},
            "cpu": {"type": "string", "default": "500m"}
        }}
    })
}

/// What `update` must push: the newer default keeping the customised image.
pub(crate) fn merged() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "registry.example.com/flows:2"},
            "cpu": {"type": "string", "default": "500m"}
        }}
    })
}

/// A defaults document with `newer_default()` under `key`, of type `pool_type`.
pub(crate) fn defaults(key: &str, pool_type: &str) -> Value {
    json!({"prefect-kubernetes": {key: {
        "type": pool_type, "default_base_job_configuration": newer_default()
    }}})
}

/// A 200 work pool reply.
pub(crate) fn pool_reply(name: &str, pool_type: &str, template: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "name": name, "type": pool_type, "base_job_template": template,
        "updated": "2024-01-01T00:00:00Z"
    }))
}

/// An error reply with Prefect's `{"detail": ...}` body.
pub(crate) fn detail(status: u16, detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "detail": detail }))
}

/// A request header's value, when it is there and text.
pub(crate) fn header_is<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A work pool body as the API returns it, with an explicit `updated` timestamp.
pub(crate) fn pool_body(name: &str, pool_type: &str, template: &Value, updated: &str) -> Value {
    json!({
        "name": name, "type": pool_type, "base_job_template": template, "updated": updated
    })
}

/// Every regular file under `dir`, recursively, sorted.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Splits `--output json` batch output into the per-pool objects and the summary object.
pub(crate) fn json_lines(out: &Out) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}; {out}")))
        .collect();
    let summary = lines.pop().unwrap_or_else(|| panic!("no output; {out}"));
    assert!(summary.get("summary").is_some(), "last line: {summary}");
    (lines, summary["summary"].clone())
}

/// One HTTP/1.1 request as a raw server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// `METHOD target HTTP/1.1`, the target exactly as sent.
    pub line: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Sent {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request read off a raw socket.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Sent> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let (mut length, mut headers) = (0, Vec::new());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_string());
            if name == "content-length" {
                length = value.parse().ok()?;
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Sent {
        line: line.trim_end().to_string(),
        headers,
        body,
    })
}

pub(crate) type Seen = Arc<Mutex<Vec<Sent>>>;

/// A raw HTTP/1.1 server on 127.0.0.1: `answer(request line, i-th request)` gives the
/// bytes to write and whether to close the connection after them. Returns its API URL and
/// every request it saw.
pub(crate) fn raw_server(answer: fn(&str, usize) -> (String, bool)) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                while let Some(sent) = read_request(&mut reader) {
                    let line = sent.line.clone();
                    let n = {
                        let mut log = log.lock().unwrap();
                        log.push(sent);
                        log.len() - 1
                    };
                    let (bytes, close) = answer(&line, n);
                    if stream.write_all(bytes.as_bytes()).is_err() || close {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

pub(crate) fn http_json(status: &str, body: &Value) -> (String, bool) {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    (head + &body, false)
}

/// A reply announcing 5000 bytes that sends a few and closes the connection.
pub(crate) fn cut_short() -> (String, bool) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n";
    (format!("{head}{{\"name\": \"k8s\", \"type\""), true)
}
