//! Every command ends quietly when the reader of its stdout goes away (`poolsync ... | head -1`):
//! exit 0 or death by SIGPIPE, as coreutils do; never a panic or an error message.

use crate::harness::fake::Fake;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitStatus, Stdio};

/// Runs poolsync (clean environment plus `env`), reads one line of its stdout and closes the
/// pipe; returns how it ended and its stderr.
fn first_line_then_close(args: &[&str], env: &[(&str, &str)]) -> (String, ExitStatus, String) {
    let home = tempfile::tempdir().expect("temp HOME");
    let mut child = Command::new(env!("CARGO_BIN_EXE_poolsync"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
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
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("piped stderr");
    pipe.read_to_string(&mut stderr).expect("read stderr");
    let status = child.wait().expect("poolsync ends");
    (line, status, stderr)
}

/// Exit 0 or SIGPIPE, nothing on stderr, and the first line was real output.
#[track_caller]
fn assert_quiet(what: &str, (line, status, stderr): (String, ExitStatus, String), first: &str) {
    #[cfg(unix)]
    let sigpipe = std::os::unix::process::ExitStatusExt::signal(&status) == Some(libc_sigpipe());
    #[cfg(not(unix))]
    let sigpipe = false;
    assert!(
        status.success() || sigpipe,
        "{what}: ended with {status}; stderr:\n{stderr}"
    );
    assert_eq!(stderr, "", "{what}: stderr must stay empty");
    assert!(line.contains(first), "{what}: first line {line:?}");
}

#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13 // SIGPIPE on Linux and macOS
}

/// `backups` over thousands of files: far more than a pipe buffer (64 KiB).
#[test]
fn backups_listing_into_a_closed_pipe() {
    let dir = tempfile::tempdir().expect("backup dir");
    for pool in 0..400 {
        let folder = dir
            .path()
            .join("127.0.0.1_4200")
            .join(format!("pool-{pool:04}"));
        std::fs::create_dir_all(&folder).expect("pool folder");
        for n in 0..5 {
            let file = folder.join(format!("20260101T0000{n:02}.000000Z.json"));
            let backup = serde_json::json!({
                "poolsync_backup": 1,
                "created": format!("2026-01-01T00:00:{n:02}Z"),
                "api_url": "http://127.0.0.1:4200/api",
                "pool": {"name": format!("pool-{pool:04}"), "id": "id", "base_job_template": {}},
            });
            std::fs::write(file, backup.to_string()).expect("backup file");
        }
    }
    let backup_dir = dir.path().to_string_lossy().into_owned();
    let out = first_line_then_close(&["backups", "--backup-dir", &backup_dir], &[]);
    assert_quiet("backups", out, "SERVER");
}

/// `completions zsh` and `schema`, the other long offline outputs.
#[test]
fn offline_outputs_into_a_closed_pipe() {
    let out = first_line_then_close(&["completions", "zsh"], &[]);
    assert_quiet("completions zsh", out, "#compdef poolsync");
    let out = first_line_then_close(&["schema"], &[]);
    assert_quiet("schema", out, "{");
    let out = first_line_then_close(&["--help"], &[]);
    assert_quiet("--help", out, "Upgrade");
}

/// `update --all --dry-run --output json` over 1000 pools: one JSON line each.
#[test]
fn batch_json_lines_into_a_closed_pipe() {
    let names: Vec<String> = (0..1000).map(|i| format!("pool-{i:04}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let fake = Fake::serving(&names, &crate::harness::fixtures::current());
    let api = fake.api();
    let out = first_line_then_close(
        &[
            "update",
            "--all",
            "--dry-run",
            "--output",
            "json",
            "--api-url",
            &api,
        ],
        &[],
    );
    assert_quiet("update --all --dry-run --output json", out, "\"pool\"");
}
