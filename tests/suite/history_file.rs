//! `--history-file FILE` (and `POOLSYNC_HISTORY_FILE`) on the commands that infer a base,
//! offline: a golden template of one's own becomes the base, the embedded history is not
//! used, and a bad file is refused with its name and the problem. Also: every key of the new
//! default that a merge leaves out is named.

use super::embedded_history::file;
use crate::harness::{Output, Run};
use serde_json::{Value, json};
use std::ffi::OsStr;

/// `poolsync merge` with `args` (paths and flags as given), its exit code asserted.
fn merge(args: &[&OsStr], code: i32) -> Output {
    Run::new(["merge"]).args(args).run().exit(code)
}

fn os(text: &str) -> &OsStr {
    OsStr::new(text)
}

/// The args of `merge --base auto --type x` of `pool` with itself, inferring from `history`.
fn bad_file<'a>(history: &'a OsStr, pool: &'a OsStr) -> Vec<&'a OsStr> {
    let flags = ["--base", "auto", "--type", "x", "--history-file"];
    let mut args: Vec<&OsStr> = flags.iter().map(|f| os(f)).collect();
    args.extend([history, os("--default"), pool, os("--current"), pool]);
    args
}

/// A platform team's golden template, v1, and the pool made from it.
fn golden() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}", "team": "{{ team }}"},
        "variables": {"properties": {
            "image": {"type": "string", "default": "acme/base:1"},
            "team": {"type": "string", "default": "platform"},
        }},
    })
}

fn history(template: &Value) -> Value {
    json!([{"type": "acme-k8s", "source": "acme golden templates", "defaults": [
        {"package": "acme-golden", "releases": ["v1"], "template": template},
    ]}])
}

/// The new default: v2 adds `cpu` and changes the image.
fn v2() -> Value {
    let mut t = golden();
    t["job_configuration"]["cpu"] = json!("{{ cpu }}");
    t["variables"]["properties"]["cpu"] = json!({"type": "string", "default": "500m"});
    t["variables"]["properties"]["image"]["default"] = json!("acme/base:2");
    t
}

#[test]
fn a_golden_template_in_a_history_file_is_the_base() {
    let mut pool = golden();
    pool["variables"]["properties"]["team"]["default"] = json!("data");
    let (pool, default, hist) = (file(&pool), file(&v2()), file(&history(&golden())));
    let out = merge(
        &[
            os("--base"),
            os("auto"),
            os("--type"),
            os("acme-k8s"),
            os("--history-file"),
            hist.path().as_os_str(),
            os("--default"),
            default.path().as_os_str(),
            os("--current"),
            pool.path().as_os_str(),
        ],
        0,
    );
    let stderr = out.stderr.clone();
    assert!(
        stderr.contains("base: acme-k8s default of acme-golden v1, inferred, "),
        "{stderr}"
    );
    let merged: Value = serde_json::from_slice(&out.raw).expect("json");
    let props = &merged["variables"]["properties"];
    assert_eq!(props["team"]["default"], "data", "the customisation stays");
    assert_eq!(
        props["image"]["default"], "acme/base:2",
        "the stale default upgrades"
    );
    assert_eq!(
        merged["job_configuration"]["cpu"], "{{ cpu }}",
        "the new variable is wired"
    );
}

/// The environment variable works too, and the embedded history is then not used: a
/// kubernetes pool finds no kubernetes default in a file that has none.
#[test]
fn the_env_variable_replaces_the_embedded_history() {
    let hist = file(&history(&golden()));
    let pool = file(&golden());
    let out = Run::new([
        "merge",
        "--base",
        "auto",
        "--type",
        "kubernetes",
        "--default",
    ])
    .arg(pool.path())
    .arg("--current")
    .arg(pool.path())
    .env("POOLSYNC_HISTORY_FILE", hist.path())
    .run()
    .exit(0);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("knows no released default of type \"kubernetes\""),
        "{stderr}"
    );
}

/// A bad file: exit 1, the file named, the JSON pointer and what is wrong there.
#[test]
fn a_bad_history_file_names_the_file_and_the_problem() {
    let cases = [
        (json!({"type": "x"}), "at /: is a json object, not an array"),
        (
            json!([{"type": "x", "defaults": [{"releases": "1"}]}]),
            "at /0/defaults/0/template",
        ),
        (json!([{"defaults": []}]), "at /0/type"),
    ];
    let pool = file(&golden());
    for (content, problem) in cases {
        let hist = file(&content);
        let out = merge(
            &bad_file(hist.path().as_os_str(), pool.path().as_os_str()),
            1,
        );
        let stderr = out.stderr.clone();
        assert!(
            stderr.contains(&hist.path().display().to_string()),
            "{stderr}"
        );
        assert!(stderr.contains(problem), "{content}: {stderr}");
    }
    let out = merge(
        &bad_file(os("/no/such/file.json"), pool.path().as_os_str()),
        1,
    );
    assert!(out.stderr.clone().contains("/no/such/file.json"));
}

/// A pool that lacks keys its base had: each key of the new default left out is named with
/// its reason, and how to take it.
#[test]
fn every_key_kept_out_is_named() {
    let mut pool = golden();
    pool["variables"]["properties"]
        .as_object_mut()
        .expect("properties")
        .remove("team");
    pool["job_configuration"]
        .as_object_mut()
        .expect("jc")
        .remove("team");
    let (pool, default, base) = (file(&pool), file(&v2()), file(&golden()));
    let out = merge(
        &[
            os("--base"),
            base.path().as_os_str(),
            os("--default"),
            default.path().as_os_str(),
            os("--current"),
            pool.path().as_os_str(),
        ],
        0,
    );
    let stderr = out.stderr.clone();
    for pointer in ["/job_configuration/team", "/variables/properties/team"] {
        assert!(
            stderr.contains(&format!(
                "kept out: {pointer}: the base has it and your pool does not"
            )),
            "{pointer}: {stderr}"
        );
    }
    assert!(
        stderr.contains("kept out: to take these, rerun with --base none"),
        "{stderr}"
    );
    let merged: Value = serde_json::from_slice(&out.raw).expect("json");
    assert!(merged["variables"]["properties"].get("team").is_none());
}
