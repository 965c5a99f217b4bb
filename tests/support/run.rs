//! `poolsync` runs against the shared real server, and what they printed.

use super::{api_url, poolsync};
use serde_json::Value;
use std::path::Path;

/// A JSON-lines report of `poolsync update --output json`: each pool's outcome, and the
/// summary (`Null` for a single pool, which prints none).
pub(crate) fn outcomes(stdout: &str) -> (std::collections::BTreeMap<String, String>, Value) {
    let mut pools = std::collections::BTreeMap::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let value: Value = serde_json::from_str(line).expect("a json line");
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

/// A `poolsync` run against the shared server: `poolsync ARGS [--backup-dir DIR] --api-url
/// URL`, the connection flag last. [`OnServer::code`] runs it.
pub(crate) struct OnServer(assert_cmd::Command);

/// `poolsync ARGS`, to be run against the shared server.
pub(crate) fn on_server<const N: usize>(args: [&str; N]) -> OnServer {
    let mut cmd = poolsync();
    cmd.args(args);
    OnServer(cmd)
}

impl OnServer {
    /// Back up into `dir`.
    pub(crate) fn backup_dir(mut self, dir: &Path) -> OnServer {
        self.0.arg("--backup-dir").arg(dir);
        self
    }

    /// Runs it with `--api-url` of the shared server; asserts the exit code.
    #[track_caller]
    pub(crate) fn code(mut self, want: i32) -> Printed {
        let out = self.0.args(["--api-url", api_url()]).assert().code(want);
        let out = out.get_output();
        Printed {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            raw: out.stdout.clone(),
        }
    }
}

/// What a finished run printed.
pub(crate) struct Printed {
    pub stdout: String,
    pub stderr: String,
    raw: Vec<u8>,
}

impl Printed {
    #[track_caller]
    pub(crate) fn stdout_has(&self, text: &str) -> &Printed {
        assert_has("stdout", &self.stdout, text);
        self
    }

    #[track_caller]
    pub(crate) fn stderr_has(&self, text: &str) -> &Printed {
        assert_has("stderr", &self.stderr, text);
        self
    }

    /// Stdout as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.raw).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

#[track_caller]
fn assert_has(stream: &str, printed: &str, text: &str) {
    assert!(printed.contains(text), "{stream} lacks {text:?}: {printed}");
}
