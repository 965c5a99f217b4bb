//! The embedded history of released defaults, offline: `default --history`, `default
//! --release`, `merge --base auto`, `explain --file`.

use crate::harness::Run;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::io::Write;

fn stdout(run: Run) -> String {
    run.run().exit(0).stdout
}

fn released(pool_type: &str, release: &str) -> Value {
    let text = stdout(Run::new([
        "default",
        "--type",
        pool_type,
        "--release",
        release,
    ]));
    serde_json::from_str(&text).expect("a template")
}

/// `value` written to a temp file.
pub(crate) fn file(value: &Value) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(value.to_string().as_bytes()).expect("write");
    f
}

/// One line per distinct kubernetes default, with its release range, count and variables.
#[test]
fn default_history_lists_each_distinct_default_offline() {
    let text = stdout(Run::new(["default", "--type", "kubernetes", "--history"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("kubernetes: 8 distinct released defaults"),
        "{text}"
    );
    assert!(lines[1].starts_with("prefect 2.14.13-2.20.27 "), "{text}");
    assert!(
        lines[1].contains("64 releases") && lines[1].contains("13 variables"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("prefect 3.6.23-") && lines[3].contains("17 variables"),
        "{text}"
    );
    // Every prefect-kubernetes release, from the collection registry and the wheels.
    assert!(lines[4].starts_with("prefect-kubernetes 0.2.5-"), "{text}");
    assert!(lines[7].starts_with("prefect-kubernetes 0.8.0 "), "{text}");
    assert_eq!(lines.len(), 9, "{text}");
}

/// `--output json` gives the same defaults with their templates; `--release` prints one.
#[test]
fn default_history_json_matches_release_lookup() {
    let text = stdout(Run::new([
        "default",
        "--type",
        "docker",
        "--history",
        "--output",
        "json",
    ]));
    let listed: Value = serde_json::from_str(&text).expect("json");
    let defaults = listed["defaults"].as_array().expect("defaults");
    assert!(defaults.len() >= 4, "{listed}");
    for d in defaults {
        let last = d["last"].as_str().expect("last");
        let asked = match d["package"].as_str() {
            Some("prefect") => last.to_string(),
            package => format!("{}=={last}", package.expect("a package")),
        };
        assert_eq!(released("docker", &asked), d["template"], "docker {asked}");
    }
}

/// An unknown type or release is an error naming what is known.
#[test]
fn unknown_type_or_release_names_what_is_known() {
    let out = Run::new(["default", "--type", "kubernetes", "--release", "1.0.0"])
        .run()
        .fail();
    let err = out.stderr.clone();
    assert!(err.contains("2.14.13-2.20.27"), "{err}");
    Run::new(["default", "--type", "nope", "--history"])
        .run()
        .fail()
        .stderr_has("kubernetes");
}

/// `merge --base auto` infers the 2.x base of a customised 2.x kubernetes template: the
/// deleted variable stays deleted, the customised image stays, the stale example upgrades.
#[test]
fn merge_base_auto_merges_three_way_with_the_inferred_default() {
    let mut current = released("kubernetes", "2.19.0");
    let props = &mut current["variables"]["properties"];
    props["image"]["default"] = json!("registry.example/team/flow:1.2");
    props
        .as_object_mut()
        .expect("properties")
        .remove("finished_job_ttl");
    current["job_configuration"]["job_manifest"]["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("ttlSecondsAfterFinished");
    let default = released("kubernetes", "3.8.8");
    let (c, d) = (file(&current), file(&default));
    let out = Run::new([
        "merge",
        "--base",
        "auto",
        "--type",
        "kubernetes",
        "--default",
    ])
    .arg(d.path())
    .arg("--current")
    .arg(c.path())
    .run()
    .exit(0);
    let err = out.stderr.clone();
    assert!(
        err.contains("base: kubernetes default of prefect 2.14.13-2.20.27, inferred, 9"),
        "{err}"
    );
    let merged: Value = serde_json::from_slice(&out.raw).expect("json");
    let props = &merged["variables"]["properties"];
    assert_eq!(props["image"]["default"], "registry.example/team/flow:1.2");
    assert_eq!(
        props.get("finished_job_ttl"),
        None,
        "deleted variable came back"
    );
    assert_eq!(
        props["image"]["example"],
        default["variables"]["properties"]["image"]["example"]
    );
    assert!(props.get("cpu_request").is_some(), "new variable missing");
    // Two-way (no --base) brings the deleted variable back: the base is what keeps it out.
    let two_way = stdout(
        Run::new(["merge", "--default"])
            .arg(d.path())
            .arg("--current")
            .arg(c.path()),
    );
    let two_way: Value = serde_json::from_str(&two_way).expect("json");
    assert!(
        two_way["variables"]["properties"]
            .get("finished_job_ttl")
            .is_some()
    );
}

/// `--base auto` needs `--type`.
#[test]
fn merge_base_auto_without_type_is_a_usage_error() {
    let t = file(&json!({"variables": {}}));
    Run::new(["merge", "--base", "auto", "--default"])
        .arg(t.path())
        .arg("--current")
        .arg(t.path())
        .run()
        .code(2)
        .stderr_has("--type");
}

/// `explain --file --type` shows the customisation against the inferred base, offline.
#[test]
fn explain_file_shows_the_customisation_against_the_inferred_base() {
    let mut current = released("docker", "3.0.0");
    current["variables"]["properties"]["image"]["default"] = json!("mine:7");
    let c = file(&current);
    let text = stdout(Run::new(["explain", "--type", "docker", "--file"]).arg(c.path()));
    assert!(
        text.starts_with(
            "base: docker default of prefect 3.0.0-3.7.8, inferred, 100% of its values match\n"
        ),
        "{text}"
    );
    assert!(text.contains("+        \"default\": \"mine:7\","), "{text}");
    let added = text
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .count();
    let removed = text
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .count();
    assert_eq!((added, removed), (1, 0), "{text}");
}
