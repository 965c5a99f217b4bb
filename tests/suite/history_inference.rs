//! A first run on pools born from worker-package templates (what `prefect worker start` and
//! `prefect work-pool create` with a worker installed make) that poolsync's history does NOT
//! hold: each pool's exact template (and every identical one) is left out of the
//! `--history-file` the run infers from, as for a worker release poolsync has never seen.
//! The base is then put together from the plausible neighbours, and on the real server every
//! customisation stays, untouched stale values take the new default, every new variable is
//! wired, no `$ref` dangles (the server accepts the template), and anything of the new
//! default left out is named.

use super::first_run::{Case, Made, customise, first_update, released, verify};
use crate::harness::Run;
use crate::harness::live::{self, create_pool, delete_pool, read_template, unique};
use serde_json::{Value, json};

/// The examples: prefect-kubernetes 0.5.x (resource variables), prefect-aws 0.3.x
/// (`network_configuration`), prefect-gcp 0.6.2 cloud-run-v2 (a `$ref` into definitions) and
/// vertex-ai (a team-added `enable_web_access`).
fn cases() -> Vec<Case> {
    vec![
        Case {
            pool_type: "kubernetes",
            release: "prefect-kubernetes==0.5.4",
            number: ("pod_watch_timeout_seconds", json!(120)),
            deleted: "finished_job_ttl",
            edit: (
                "/job_configuration/job_manifest/spec/backoffLimit",
                json!(3),
            ),
        },
        Case {
            pool_type: "ecs",
            release: "prefect-aws==0.3.2",
            number: ("task_start_timeout_seconds", json!(4242)),
            deleted: "auto_deregister_task_definition",
            edit: (
                "/job_configuration/task_definition/ephemeralStorage",
                json!({"sizeInGiB": 40}),
            ),
        },
        Case {
            pool_type: "cloud-run-v2",
            release: "prefect-gcp==0.6.2",
            number: ("max_retries", json!(3)),
            deleted: "keep_job",
            edit: (
                "/job_configuration/job_body/template/template/executionEnvironment",
                json!("EXECUTION_ENVIRONMENT_GEN2"),
            ),
        },
        Case {
            pool_type: "vertex-ai",
            release: "prefect-gcp==0.6.2",
            number: ("boot_disk_size_gb", json!(200)),
            deleted: "reserved_ip_ranges",
            edit: ("/job_configuration/job_spec/enable_web_access", json!(true)),
        },
    ]
}

/// The worker packages' releases poolsync's history held before it held every release: the
/// latest of each. A history of prefect's bundled defaults and these is the situation of a
/// worker release poolsync has never seen, with no neighbour release to match instead.
const LATEST: [&str; 4] = [
    "prefect-kubernetes 0.8.0",
    "prefect-aws 0.7.12",
    "prefect-gcp 0.6.22",
    "prefect-docker 0.7.4",
];

/// Every type's history as `default --history --output json` prints it, less every template
/// equal to `left_out` of `pool_type`; with `stripped`, also less every worker release but
/// the [`LATEST`].
fn history_without(pool_type: &str, left_out: &Value, stripped: bool) -> Value {
    let types = ["kubernetes", "ecs", "cloud-run-v2", "vertex-ai", "docker"];
    let entries: Vec<Value> = types
        .iter()
        .map(|t| {
            let out = Run::new(["default", "--type", t, "--history", "--output", "json"])
                .server_home()
                .run()
                .exit(0);
            let mut entry: Value = serde_json::from_slice(&out.raw).expect("history json");
            let defaults = entry["defaults"].as_array_mut().expect("defaults");
            defaults.retain(|d| {
                let package = d["package"].as_str().unwrap_or_default();
                let latest = d["release_list"].as_array().into_iter().flatten().any(|r| {
                    LATEST
                        .contains(&format!("{package} {}", r.as_str().unwrap_or_default()).as_str())
                });
                !stripped || package == "prefect" || latest
            });
            if *t == pool_type {
                let before = defaults.len();
                defaults.retain(|d| d["template"] != *left_out);
                assert!(
                    stripped || defaults.len() < before,
                    "{pool_type}: nothing left out"
                );
            }
            entry
        })
        .collect();
    Value::Array(entries)
}

#[test]
fn first_run_on_pools_from_worker_templates_the_history_lacks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for case in cases() {
        let base = released(case.pool_type, case.release);
        let (pool_template, removed) = customise(&case, &base);
        let history = dir.path().join(format!("history-{}.json", case.pool_type));
        // The kubernetes pool meets the history as it was before it held every worker
        // release (no neighbour of 0.5.4 to match); the others a history that lacks only
        // their own release (leave-one-out).
        let stripped = case.pool_type == "kubernetes";
        let file = history_without(case.pool_type, &base, stripped);
        std::fs::write(&history, file.to_string()).expect("write history");
        let name = unique(&format!("worker-born-{}", case.pool_type));
        create_pool(&name, case.pool_type, &pool_template);
        let backups = dir.path().join("backups");
        let flag = std::ffi::OsStr::new("--history-file");
        let report = first_update(&name, &[flag, history.as_os_str()], &backups);
        let stored = read_template(&name);
        let fresh = live::default_template(case.pool_type);
        let made = Made {
            case: &case,
            base: &base,
            pool: &pool_template,
            removed: &removed,
        };
        failures.extend(verify(&made, &report, &stored, &fresh, false));
        // Nothing of the new default is left out silently: each key the result lacks is
        // named, and only the user's own deletion may be among them.
        let mut lacking = Vec::new();
        live::missing_keys(&fresh, &stored, "", &mut lacking);
        let named: Vec<&str> = report["kept_out"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["pointer"].as_str())
            .collect();
        for pointer in &lacking {
            if !named.contains(&pointer.as_str()) {
                failures.push(format!("{}: {pointer} left out unnamed", case.release));
            }
            if !pointer.contains(case.deleted) && !removed.contains(pointer) {
                failures.push(format!("{}: {pointer} left out", case.release));
            }
        }
        delete_pool(&name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Today's default less two variables (what the demo once seeded): the base reads them as
/// the user's deletions, and the run says so instead of a plain `up to date`: each key left
/// out is named after the diff, the pool's line counts them, and so does a batch summary.
#[test]
fn a_pool_lacking_keys_of_the_default_is_not_plainly_up_to_date() {
    let mut template = live::default_template("kubernetes");
    for name in ["stream_output", "cluster_config"] {
        template["variables"]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove(name);
        template["job_configuration"]
            .as_object_mut()
            .expect("job_configuration")
            .remove(name);
    }
    let name = unique("kept-out");
    create_pool(&name, "kubernetes", &template);
    let backups = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let out = Run::new(["update", "--dry-run"])
            .args(args)
            .backup_dir(backups.path())
            .live()
            .run()
            .exit(0);
        out.stdout
    };
    let one = run(&[&name]);
    for pointer in [
        "/job_configuration/stream_output",
        "/job_configuration/cluster_config",
        "/variables/properties/stream_output",
        "/variables/properties/cluster_config",
    ] {
        assert!(
            one.contains(&format!("kept out: {pointer}: ")),
            "{pointer}: {one}"
        );
    }
    assert!(
        one.contains("kept out: to take these, rerun with --base none"),
        "{one}"
    );
    assert!(
        one.contains(&format!(
            "{name}: up to date, 4 upstream keys kept out, nothing sent"
        )),
        "{one}"
    );
    let glob = format!("{name}*");
    let batch = run(&["--all", "--name", &glob]);
    assert!(batch.contains("4 upstream keys kept out"), "{batch}");
    assert!(
        batch.contains("1 pool keeps 4 keys of the new default out"),
        "{batch}"
    );
    delete_pool(&name);
}
