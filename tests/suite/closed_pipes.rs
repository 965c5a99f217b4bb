//! Every command ends quietly when the reader of its stdout goes away (`poolsync ... | head -1`):
//! exit 0 or death by SIGPIPE, as coreutils do; never a panic or an error message.

use crate::harness::fake::Fake;
use crate::harness::{Output, Run};

/// SIGPIPE on Linux and macOS.
const SIGPIPE: i32 = 13;

/// Runs poolsync (clean environment plus `env`), reads one line of its stdout and closes the
/// pipe.
fn first_line_then_close(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut run = Run::new(args).first_line_then_close().no_timeout();
    for (name, value) in env {
        run = run.env(name, value);
    }
    run.run()
}

/// Exit 0 or SIGPIPE, nothing on stderr, and the first line was real output.
#[track_caller]
fn assert_quiet(what: &str, out: Output, first: &str) {
    assert!(
        out.status == Some(0) || out.signal == Some(SIGPIPE),
        "{what}: ended with {:?}/{:?}; stderr:\n{}",
        out.status,
        out.signal,
        out.stderr
    );
    assert_eq!(out.stderr, "", "{what}: stderr must stay empty");
    assert!(
        out.stdout.contains(first),
        "{what}: first line {:?}",
        out.stdout
    );
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
