//! `poolsync update --all` and `update POOL1 POOL2 ...` against a real Prefect server.

use crate::harness::Run;
use crate::harness::live;

use live::{create_pool, default_template, read_pool, unique};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TYPES: [&str; 4] = ["kubernetes", "ecs", "docker", "process"];

/// The type's default with two variables dropped (ones only used as a top-level
/// `job_configuration` value) and the image default customised.
fn stale(pool_type: &str, index: usize) -> Value {
    let mut template = default_template(pool_type);
    let config = template["job_configuration"].as_object().unwrap().clone();
    let droppable: Vec<String> = template["variables"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| {
            let mut rest = config.clone();
            let own = rest.shift_remove(name.as_str());
            own == Some(json!(format!("{{{{ {name} }}}}")))
                && !Value::Object(rest).to_string().contains(name.as_str())
                && name.as_str() != "image"
        })
        .cloned()
        .collect();
    assert!(droppable.len() >= 2, "{pool_type}: nothing to drop");
    for name in &droppable[..2] {
        template["variables"]["properties"]
            .as_object_mut()
            .unwrap()
            .shift_remove(name);
        template["job_configuration"]
            .as_object_mut()
            .unwrap()
            .shift_remove(name);
    }
    template["variables"]["properties"]["image"]["default"] =
        json!(format!("corp/{pool_type}:{index}"));
    template
}

/// Runs poolsync `update` with `--output json` and returns its JSON lines: per-pool
/// objects, then the summary object. Two-way (`--base none`): the stale pools here are
/// today's defaults less a variable, which an inferred base would keep deleted.
#[track_caller]
fn json_lines(args: &[&str], code: i32) -> (Vec<Value>, Value) {
    let out = Run::new(args)
        .args(["--base", "none", "--output", "json"])
        .live()
        .run();
    out.code(code);
    let stdout = out.stdout.clone();
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert!(
        summary.get("summary").is_some(),
        "last line is not the summary: {summary}"
    );
    (lines, summary["summary"].clone())
}

fn outcomes(lines: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in lines {
        *counts
            .entry(line["outcome"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

/// Over more than one page of pools: a dry run changes nothing, the real run updates every
/// stale pool keeping customisations, a second run finds everything up to date, and the
/// filters select the right pools.
#[test]
fn all_pools_more_than_one_page() {
    let prefix = unique("batch");
    let count = 260;
    let mut names = Vec::new();
    for i in 0..count {
        let pool_type = TYPES[i % TYPES.len()];
        let name = format!("{prefix}-{pool_type}-{i:03}");
        create_pool(&name, pool_type, &stale(pool_type, i));
        names.push((name, pool_type));
    }
    let glob = format!("{prefix}-*");
    let sample: Vec<Value> = names
        .iter()
        .step_by(37)
        .map(|(n, _)| read_pool(n))
        .collect();

    let (lines, summary) = json_lines(&["update", "--all", "--name", &glob, "--dry-run"], 0);
    assert_eq!(lines.len(), count);
    assert_eq!(
        outcomes(&lines),
        BTreeMap::from([("would_change".to_string(), count)])
    );
    assert_eq!(summary["outcomes"]["would_change"], json!(count));
    let after: Vec<Value> = names
        .iter()
        .step_by(37)
        .map(|(n, _)| read_pool(n))
        .collect();
    assert_eq!(after, sample, "a dry run must not write");

    let (_, summary) = json_lines(
        &["update", "--all", "--name", &glob, "--concurrency", "16"],
        0,
    );
    assert_eq!(summary["outcomes"]["updated"], json!(count), "{summary}");
    assert_eq!(summary["outcomes"]["failed"], json!(0));
    for (i, (name, pool_type)) in names.iter().enumerate().step_by(13) {
        let template = &read_pool(name)["base_job_template"];
        let props = &template["variables"]["properties"];
        assert_eq!(
            props["image"]["default"],
            json!(format!("corp/{pool_type}:{i}")),
            "{name}"
        );
        let default = default_template(pool_type);
        for key in default["variables"]["properties"]
            .as_object()
            .unwrap()
            .keys()
        {
            assert!(
                props.get(key).is_some(),
                "{name}: variables.properties.{key} missing"
            );
        }
    }

    let (_, summary) = json_lines(&["update", "--all", "--name", &glob], 0);
    assert_eq!(summary["outcomes"]["up_to_date"], json!(count), "{summary}");

    let (lines, _) = json_lines(
        &[
            "update",
            "--all",
            "--name",
            &glob,
            "--type",
            "ecs",
            "--dry-run",
        ],
        0,
    );
    assert_eq!(lines.len(), count / TYPES.len());
    assert!(lines.iter().all(|l| l["type"] == json!("ecs")));

    let exclude = format!("{prefix}-docker-*");
    let (lines, _) = json_lines(
        &[
            "update",
            "--all",
            "--name",
            &glob,
            "--exclude",
            &exclude,
            "--dry-run",
        ],
        0,
    );
    assert_eq!(lines.len(), count - count / TYPES.len());
    assert!(lines.iter().all(|l| l["type"] != json!("docker")));
}

/// A pool whose type has no default is skipped with its reason while the rest succeed;
/// a batch with only skips exits 0.
#[test]
fn pool_without_default_is_skipped_with_reason() {
    let prefix = unique("skip");
    create_pool(
        &format!("{prefix}-a"),
        "kubernetes",
        &stale("kubernetes", 1),
    );
    create_pool(&format!("{prefix}-b"), "ecs", &stale("ecs", 2));
    let managed = format!("{prefix}-managed");
    let legacy: Value =
        serde_json::from_str(include_str!("../fixtures/managed-legacy.json")).unwrap();
    create_pool(&managed, "prefect:managed", &legacy);

    let glob = format!("{prefix}-*");
    let (lines, summary) = json_lines(&["update", "--all", "--name", &glob], 0);
    assert_eq!(summary["outcomes"]["updated"], json!(2));
    assert_eq!(summary["outcomes"]["skipped"], json!(1));
    let skipped = lines.iter().find(|l| l["pool"] == json!(managed)).unwrap();
    assert_eq!(skipped["outcome"], json!("skipped"));
    assert!(
        skipped["error"]
            .as_str()
            .unwrap()
            .contains("\"prefect:managed\""),
        "{skipped}"
    );
    assert_eq!(read_pool(&managed)["base_job_template"], legacy);
}

/// Named pools: a missing one fails with its reason, the others are updated, exit 1;
/// the text summary has a row for each pool that changed or failed, and the counts.
#[test]
fn named_pools_one_missing() {
    let a = unique("named-a");
    let b = unique("named-b");
    create_pool(&a, "kubernetes", &stale("kubernetes", 3));
    create_pool(&b, "process", &stale("process", 4));
    let missing = unique("named-missing");
    let stdout = Run::new(["update", &a, &missing, &b, "--base", "none"])
        .live()
        .run()
        .exit(1)
        .stdout;
    assert!(
        stdout.lines().next().unwrap().starts_with("POOL "),
        "{stdout}"
    );
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(&a).contains("updated"), "{stdout}");
    assert!(row(&b).contains("updated"), "{stdout}");
    assert!(
        row(&missing).contains("failed") && row(&missing).contains("was not found"),
        "{stdout}"
    );
    assert!(stdout.contains("3 pools: 2 updated, 1 failed;"), "{stdout}");
    let (_, summary) = json_lines(&["update", &a, &b, "--dry-run", "--detailed-exitcode"], 0);
    assert_eq!(summary["outcomes"]["up_to_date"], json!(2));
}
