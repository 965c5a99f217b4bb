//! Commands that need no server: `merge`, `schema`, `validate --file`, usage errors.

use crate::harness::Run;
use crate::harness::fixtures::fixture;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::io::Write;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

const DEFAULT: &str = r#"{"job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
 "variables": {"type": "object", "required": ["image"], "properties": {
   "image": {"type": "string", "default": "prefect:3"}, "cpu": {"type": "integer", "default": 1}}}}"#;
const CURRENT: &str = r#"{"job_configuration": {"image": "{{ image }}", "env": "{{ env }}"},
 "variables": {"type": "object", "required": ["env"], "properties": {
   "image": {"type": "string", "default": "mine:7"}, "env": {"type": "object", "default": {"A": "1"}}}}}"#;

/// `merge --strategy jq` prints exactly what `jq -s '.[0] * .[1]'` prints (when jq is installed).
#[test]
fn jq_strategy_matches_jq_byte_for_byte() {
    let (d, c) = (file(DEFAULT), file(CURRENT));
    let out = Run::new(["merge", "--strategy", "jq", "--default"])
        .arg(d.path())
        .arg("--current")
        .arg(c.path())
        .run();
    out.code(0);
    let merged: Value = serde_json::from_slice(&out.raw).unwrap();
    assert_eq!(merged["variables"]["required"], json!(["env"]));
    assert_eq!(
        merged["variables"]["properties"]["image"]["default"],
        json!("mine:7")
    );
    assert_eq!(merged["job_configuration"]["cpu"], json!("{{ cpu }}"));
    let Ok(jq) = std::process::Command::new("jq")
        .arg("-s")
        .arg(".[0] * .[1]")
        .arg(d.path())
        .arg(c.path())
        .output()
    else {
        eprintln!("jq is not installed; compared values only");
        return;
    };
    assert_eq!(out.stdout.as_str(), String::from_utf8_lossy(&jq.stdout));
}

/// The default strategy keeps `required` from both sides and reads the current from stdin.
#[test]
fn schema_strategy_unions_required_and_reads_stdin() {
    let d = file(DEFAULT);
    let out = Run::new(["merge", "--current", "-", "--default"])
        .arg(d.path())
        .stdin(CURRENT)
        .run();
    out.code(0);
    let merged: Value = serde_json::from_slice(&out.raw).unwrap();
    assert_eq!(merged["variables"]["required"], json!(["env", "image"]));
}

/// Bad input files are named, with the position of the syntax error; never a panic.
#[test]
fn bad_files_are_named_with_position() {
    let broken = file("{\n  \"job_configuration\": {,\n}");
    let list = file("[1]");
    let cases = [
        (broken.path().to_path_buf(), "line 2 column 25"),
        (list.path().to_path_buf(), "is a json array, not an object"),
        (
            "/nonexistent/x.json".into(),
            "failed to read /nonexistent/x.json",
        ),
    ];
    for (path, want) in cases {
        let out = Run::new(["merge", "--default"])
            .arg(&path)
            .args(["--current", &fixture("managed-inline.json")])
            .run();
        out.code(1);
        let stderr = out.stderr.clone();
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(want),
            "{stderr}"
        );
    }
}

/// `schema` prints the committed federated identity schema.
#[test]
fn schema_matches_committed_file() {
    let out = Run::new(["schema"]).run();
    out.code(0);
    let printed: Value = serde_json::from_slice(&out.raw).unwrap();
    let committed: Value =
        serde_json::from_str(include_str!("../../schemas/federated-identity.schema.json")).unwrap();
    assert_eq!(printed, committed);
}

/// `validate --file` accepts the valid fixtures and rejects the bad ARN with its pointer.
#[test]
fn validate_file() {
    for ok in [
        "managed-legacy.json",
        "managed-inline.json",
        "managed-ref.json",
    ] {
        Run::new(["validate", "--file", &fixture(ok)]).run().code(0);
    }
    let out = Run::new(["validate", "--file", &fixture("managed-invalid-arn.json")]).run();
    out.code(1);
    let stderr = out.stderr.clone();
    assert!(
        stderr.contains("/variables/properties/federated_identity/default/aws_role_arn"),
        "{stderr}"
    );

    let undefined = file(
        r#"{"job_configuration": {"x": "{{ nope }}"}, "variables": {"properties": {"y": {}}}}"#,
    );
    let out = Run::new(["validate", "--file"]).arg(undefined.path()).run();
    out.code(1);
    assert!(out.stderr.contains("{{ nope }}"));
}

/// Usage errors exit 2; `--help` documents the exit codes.
#[test]
fn usage_errors_and_help() {
    Run::new(["update"]).run().code(2);
    Run::new(["update", "--all", "p1"]).run().code(2);
    Run::new([
        "update",
        "p",
        "--detailed-exitcode",
        "--api-url",
        "http://127.0.0.1:9/api",
    ])
    .run()
    .code(2);
    Run::new([
        "update",
        "a",
        "b",
        "--output",
        "json-patch",
        "--api-url",
        "http://127.0.0.1:9/api",
    ])
    .run()
    .code(2);
    let help = Run::new(["--help"]).run();
    help.code(0);
    let help = help.stdout.clone();
    assert!(help.contains("3  with --detailed-exitcode"), "{help}");
}

/// `completions` prints a script for each supported shell naming the subcommands.
#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = Run::new(["completions", shell]).run();
        out.code(0);
        let script = out.stdout.clone();
        assert!(
            script.contains("rollback") && script.contains("trust-policy"),
            "{shell}"
        );
    }
    Run::new(["completions", "tcsh"]).run().code(2);
}
