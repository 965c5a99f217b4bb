//! `poolsync diff` on real servers: two Prefect profiles pointing at the shared server (a
//! temp profiles.toml, `PREFECT_PROFILES_PATH`), the server against a file, `--all` across
//! the shared server and a second one (the CSRF-protected server), and the exit statuses
//! of diff(1): 0 same, 1 different, 2 trouble.

use crate::harness::Run;
use crate::harness::live::{api_url, create_pool, csrf_server, unique};
use crate::suite::csrf::create_on;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A profiles.toml with `dev` and `prod` on the shared server and `other` on the CSRF one.
fn profiles(dir: &Path, other: Option<&str>) -> PathBuf {
    let path = dir.join("profiles.toml");
    let mut text = format!(
        "active = \"dev\"\n[profiles.dev]\nPREFECT_API_URL = \"{0}\"\n\
         [profiles.prod]\nPREFECT_API_URL = \"{0}\"\n",
        api_url()
    );
    if let Some(other) = other {
        text += &format!("[profiles.other]\nPREFECT_API_URL = \"{other}\"\n");
    }
    std::fs::write(&path, text).expect("write profiles.toml");
    path
}

fn process(command: &str) -> Value {
    json!({
        "job_configuration": {"command": "{{ command }}", "env": "{{ env }}"},
        "variables": {"type": "object", "properties": {
            "command": {"type": "string", "default": command},
            "env": {"type": "object", "additionalProperties": {"type": "string"}}
        }}
    })
}

/// `poolsync diff ARGS` with the profiles file; returns (code, stdout, stderr).
fn diff(profiles: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Run::new(["diff"])
        .args(args)
        .env("PREFECT_PROFILES_PATH", profiles)
        .server_home()
        .run();
    (out.status.unwrap_or(-1), out.stdout, out.stderr)
}

/// Two profiles on one server: the same pool is the same (0, nothing printed), two pools
/// whose command differs give the unified diff (1), and `--only job_configuration` leaves
/// that difference out (0). A side's profile decides its server even when
/// `PREFECT_API_URL` in the environment points elsewhere.
#[test]
fn two_profiles_compare_pools_and_exit_like_diff() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profiles = profiles(dir.path(), None);
    let (a, b) = (unique("diff-a"), unique("diff-b"));
    create_pool(&a, "process", &process("python -m a"));
    create_pool(&b, "process", &process("python -m b"));
    let (left, right, same) = (format!("dev:{a}"), format!("prod:{b}"), format!("prod:{a}"));

    let (code, stdout, stderr) = diff(&profiles, &[&left, &same]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");

    let (code, stdout, stderr) = diff(&profiles, &[&left, &right]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with(&format!("--- {left}\n+++ {right}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("-        \"default\": \"python -m a\","),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        \"default\": \"python -m b\","),
        "{stdout}"
    );

    let (code, _, stderr) = diff(&profiles, &[&left, &right, "--only", "job_configuration"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = diff(
        &profiles,
        &[
            &left,
            &right,
            "--only",
            "variables",
            "--output",
            "json-patch",
        ],
    );
    assert_eq!(code, 1);
    let patch: Value = serde_json::from_str(&stdout).expect("a json patch");
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/variables/properties/command/default", "value": "python -m b"}])
    );

    let (code, stdout, _) = diff(&profiles, &[&left, &right, "--output", "json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&stdout).expect("a json object");
    assert_eq!(
        (&report["same"], &report["changes"]),
        (&json!(false), &json!(1))
    );

    let (code, stdout, _) = diff(&profiles, &[&left, &right, "--output", "markdown"]);
    assert_eq!(code, 1);
    let html = crate::suite::markdown_report::to_html(&stdout);
    assert_eq!(html.matches("<tr>").count(), 2, "{html}");
    assert_eq!(html.matches("<details>").count(), 1, "{html}");
    assert!(html.contains("<code class=\"language-diff\">"), "{html}");

    // The environment's url is for sides without a profile.
    let out = Run::new(["diff", &left, &same])
        .env("PREFECT_PROFILES_PATH", &profiles)
        .env("PREFECT_API_URL", "http://127.0.0.1:1/api")
        .server_home()
        .run();
    assert_eq!(out.status, Some(0), "{}", out.stderr);
}

/// The server against a file whose keys are in another order: the same (0). `--left-profile`
/// names the pool's profile. A missing pool and a file that is not JSON are trouble (2),
/// each named by its side.
#[test]
fn a_pool_against_a_file_ignores_key_order_and_names_the_side_in_trouble() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profiles = profiles(dir.path(), None);
    let name = unique("diff-file");
    create_pool(&name, "process", &process("python -m flows"));
    let stored = crate::harness::live::read_template(&name);
    let reordered: serde_json::Map<String, Value> = stored
        .as_object()
        .expect("a template")
        .clone()
        .into_iter()
        .rev()
        .collect();
    let file = dir.path().join("pool.json");
    std::fs::write(&file, Value::Object(reordered).to_string()).expect("write");
    let file = file.to_str().expect("utf-8 path");

    let (code, stdout, stderr) = diff(&profiles, &["--left-profile", "prod", &name, file]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let (code, _, stderr) = diff(
        &profiles,
        &[&name, &format!("file:{file}"), "--output", "json"],
    );
    assert_eq!(code, 0, "the active profile: {stderr}");

    let missing = format!("dev:{}", unique("diff-missing"));
    let (code, _, stderr) = diff(&profiles, &[&missing, file]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: left side {missing}: work pool ")),
        "{stderr}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").expect("write");
    let bad = bad.to_str().expect("utf-8 path");
    let (code, _, stderr) = diff(&profiles, &[&format!("dev:{name}"), bad]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: right side {bad}: ")),
        "{stderr}"
    );
    assert!(stderr.contains("is not valid json"), "{stderr}");

    for usage in [
        &["--all", "--output", "json-patch"][..],
        &["-", "-"][..],
        &[name.as_str()][..],
    ] {
        let (code, _, stderr) = diff(&profiles, usage);
        assert_eq!(code, 2, "{usage:?}: {stderr}");
    }

    let (code, _, stderr) = diff(&profiles, &["nowhere:x", file]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("left side nowhere:x: invalid profile"),
        "{stderr}"
    );
}

/// `--all` across two servers pairs pools by name: one line per pair that differs, the
/// pools on one side only, nothing for the pair that is the same; exit 1.
#[test]
fn all_pairs_pools_of_two_servers_by_name() {
    let other = csrf_server().url.as_str();
    let dir = tempfile::tempdir().expect("temp dir");
    let profiles = profiles(dir.path(), Some(other));
    let tag = unique("diff-all");
    let name = |s: &str| format!("{tag}-{s}");
    for (pool, command) in [("same", "a"), ("differs", "a"), ("left-only", "a")] {
        create_pool(&name(pool), "process", &process(command));
    }
    for (pool, command) in [("same", "a"), ("differs", "b"), ("right-only", "a")] {
        create_on(other, &name(pool), &process(command));
    }
    let glob = format!("{tag}-*");
    let args = [
        "--all",
        "--left-profile",
        "dev",
        "--right-profile",
        "other",
        "--name",
        &glob,
        "-v",
    ];
    let (code, stdout, stderr) = diff(&profiles, &args);
    assert_eq!(code, 1, "{stderr}");
    // Each side is read through the paged listing, not pool by pool.
    assert!(
        stderr.matches("/work_pools/filter -> 200").count() >= 2,
        "{stderr}"
    );
    let single_reads = stderr
        .lines()
        .filter(|l| l.contains("GET ") && l.contains("/work_pools/"));
    assert_eq!(single_reads.count(), 0, "{stderr}");
    let want = format!(
        "differs: {tag}-differs (1 change, process)\nonly in dev: {tag}-left-only\n\
         only in other: {tag}-right-only\n4 pools: 1 same, 1 differ, 1 only in dev, 1 only in other\n"
    );
    assert_eq!(stdout, want);

    let same = format!("{tag}-same");
    let (code, stdout, stderr) = diff(
        &profiles,
        &[
            "--all",
            "--left-profile",
            "dev",
            "--right-profile",
            "other",
            "--name",
            &same,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "1 pool: 1 same, 0 differ, 0 only in dev, 0 only in other\n"
    );
}
