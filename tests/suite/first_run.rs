//! A first run with no backup against the real server: pools made from released 2.x
//! defaults of several types, customised the way platform teams do, then `poolsync update`
//! with an empty `--backup-dir`. The base is inferred from the embedded history, so every
//! customisation stays (deletions included), untouched stale values take the new default,
//! every new variable is defined and wired, and the server accepts the result.

use crate::harness::Run;
use crate::harness::live::{self, create_pool, delete_pool, read_template, unique};
use serde_json::{Value, json};

/// One pool: the released default it is made from and what is customised in it.
pub(crate) struct Case {
    pub(crate) pool_type: &'static str,
    pub(crate) release: &'static str,
    /// A variable whose default is set to a number (or a value of its own type).
    pub(crate) number: (&'static str, Value),
    /// An optional variable deleted along with its placeholder.
    pub(crate) deleted: &'static str,
    /// An edit inside the job manifest: pointer and the value set there.
    pub(crate) edit: (&'static str, Value),
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            pool_type: "kubernetes",
            release: "2.19.0",
            number: ("job_watch_timeout_seconds", json!(4242)),
            deleted: "finished_job_ttl",
            edit: (
                "/job_configuration/job_manifest/spec/backoffLimit",
                json!(3),
            ),
        },
        // An edit inside the containers array: 3.6.23's new resource variables are wired
        // only by the keyed array merge (containers by `name`).
        Case {
            pool_type: "kubernetes",
            release: "2.14.13",
            number: ("pod_watch_timeout_seconds", json!(120)),
            deleted: "stream_output",
            edit: (
                "/job_configuration/job_manifest/spec/template/spec/containers/0/volumeMounts",
                json!([{"name": "data", "mountPath": "/data"}]),
            ),
        },
        Case {
            pool_type: "docker",
            release: "2.19.0",
            number: ("mem_limit", json!("2g")),
            deleted: "privileged",
            edit: ("/job_configuration/network_mode", json!("host")),
        },
        Case {
            pool_type: "ecs",
            release: "2.14.13",
            number: ("task_start_timeout_seconds", json!(4242)),
            deleted: "auto_deregister_task_definition",
            edit: (
                "/job_configuration/task_definition/ephemeralStorage",
                json!({"sizeInGiB": 40}),
            ),
        },
        Case {
            pool_type: "cloud-run-v2",
            release: "2.19.0",
            number: ("max_retries", json!(3)),
            deleted: "service_account_name",
            edit: (
                "/job_configuration/job_body/template/template/executionEnvironment",
                json!("EXECUTION_ENVIRONMENT_GEN2"),
            ),
        },
    ]
}

pub(crate) fn released(pool_type: &str, release: &str) -> Value {
    let out = Run::new(["default", "--type", pool_type, "--release", release])
        .server_home()
        .run()
        .exit(0);
    serde_json::from_slice(&out.raw).expect("a template")
}

/// Sets `value` at `pointer`, creating the last key.
fn set(template: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    template
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"))
        .insert(key.to_string(), value);
}

/// Every leaf pointer of `value`.
fn leaves(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaves(
                    v,
                    &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, &format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at.to_string()),
    }
}

/// The customised pool template, and the pointers of its deleted placeholders.
pub(crate) fn customise(case: &Case, base: &Value) -> (Value, Vec<String>) {
    let mut t = base.clone();
    let props = "/variables/properties";
    set(
        &mut t,
        &format!("{props}/image/default"),
        json!("registry.example/team/flow:1.2"),
    );
    set(
        &mut t,
        &format!("{props}/env/default"),
        json!({"TEAM": "data"}),
    );
    let (number, value) = &case.number;
    set(&mut t, &format!("{props}/{number}/default"), value.clone());
    let (pointer, value) = &case.edit;
    set(&mut t, pointer, value.clone());
    let placeholder = json!(format!("{{{{ {} }}}}", case.deleted));
    let mut all = Vec::new();
    leaves(&t["job_configuration"], "/job_configuration", &mut all);
    let removed: Vec<String> = all
        .into_iter()
        .filter(|p| t.pointer(p) == Some(&placeholder))
        .collect();
    assert!(
        !removed.is_empty(),
        "{}: no placeholder of {}",
        case.pool_type,
        case.deleted
    );
    for p in &removed {
        let (parent, key) = p.rsplit_once('/').expect("pointer");
        t.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("object")
            .remove(key);
    }
    t.pointer_mut(props)
        .and_then(Value::as_object_mut)
        .expect("properties")
        .remove(case.deleted)
        .expect("the deleted variable existed");
    (t, removed)
}

/// The placeholder names used in `value` (`{{ name }}` anywhere in its strings).
fn placeholders(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            for part in s.split("{{").skip(1) {
                if let Some((name, _)) = part.split_once("}}") {
                    out.push(name.trim().to_string());
                }
            }
        }
        Value::Object(map) => map.values().for_each(|v| placeholders(v, out)),
        Value::Array(items) => items.iter().for_each(|v| placeholders(v, out)),
        _ => {}
    }
}

#[test]
fn first_run_without_backup_keeps_customisations_and_upgrades_stale_defaults() {
    let backups = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for case in cases() {
        let base = released(case.pool_type, case.release);
        let (pool_template, removed) = customise(&case, &base);
        let name = unique(&format!("first-run-{}", case.pool_type));
        create_pool(&name, case.pool_type, &pool_template);
        let report = first_update(&name, &[], backups.path());
        let made = Made {
            case: &case,
            base: &base,
            pool: &pool_template,
            removed: &removed,
        };
        let stored = read_template(&name);
        let fresh = live::default_template(case.pool_type);
        failures.extend(verify(&made, &report, &stored, &fresh, true));
        delete_pool(&name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `poolsync update NAME --output json` with `args`, backups in `backups`: the pool's report.
pub(crate) fn first_update(
    name: &str,
    args: &[&std::ffi::OsStr],
    backups: &std::path::Path,
) -> Value {
    let out = Run::new(["update", name, "--output", "json"])
        .args(args)
        .backup_dir(backups)
        .live()
        .run();
    serde_json::from_slice(&out.raw).unwrap_or_else(|e| {
        panic!(
            "{name}: {e}: {}\n{}",
            out.stdout.clone(),
            out.stderr.clone()
        )
    })
}

/// A pool made for a case: the released default, the customised template, the pointers of
/// the deleted placeholders.
pub(crate) struct Made<'a> {
    pub(crate) case: &'a Case,
    pub(crate) base: &'a Value,
    pub(crate) pool: &'a Value,
    pub(crate) removed: &'a [String],
}

/// What must hold after a first-run upgrade of `made`: the server holds the merged template,
/// every customisation stays, untouched stale values take `fresh`'s, every new variable is
/// defined and wired; with `check_inferred`, the inferred base is the true one (or differs
/// only where the user changed the pool). Returns what failed.
pub(crate) fn verify(
    made: &Made<'_>,
    report: &Value,
    stored: &Value,
    fresh: &Value,
    check_inferred: bool,
) -> Vec<String> {
    let Made {
        case,
        base,
        pool: pool_template,
        removed,
    } = made;
    let (case, base, pool_template, removed) = (*case, *base, *pool_template, *removed);
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(format!("{} {}: {what}", case.pool_type, case.release));
        }
    };
    check(
        report["outcome"] == "updated",
        format!("outcome {} ({})", report["outcome"], report["error"]),
    );
    check(
        report["base"]["source"] == "history",
        format!("base {}", report["base"]),
    );
    if check_inferred {
        // The inferred base is the true one (when the history holds it), or differs from it only where the user changed
        // the pool (then nothing tells them apart, and either gives the same merge).
        let releases = report["base"]["releases"].as_str().unwrap_or_default();
        let first = releases.split('-').next().filter(|r| !r.is_empty());
        let package = report["base"]["package"].as_str().unwrap_or("prefect");
        let inferred = first.map_or(Value::Null, |r| {
            released(case.pool_type, &format!("{package}=={r}"))
        });
        let touched = [
            "/variables/properties/image/default".to_string(),
            "/variables/properties/env/default".to_string(),
            format!("/variables/properties/{}", case.number.0),
            format!("/variables/properties/{}", case.deleted),
            case.edit.0.to_string(),
        ];
        let mut differ = Vec::new();
        leaves(&inferred, "", &mut differ);
        leaves(base, "", &mut differ);
        differ.retain(|p| inferred.pointer(p) != base.pointer(p));
        differ.retain(|p| {
            !touched
                .iter()
                .chain(removed)
                .any(|t| p.starts_with(t.as_str()))
        });
        check(
            differ.is_empty(),
            format!(
                "inferred {releases}, made from {}; they differ at {differ:?}",
                case.release
            ),
        );
    }
    check(
        *stored == report["merged"],
        "the server holds another template".into(),
    );
    // Customisations kept.
    let props = &stored["variables"]["properties"];
    check(
        props["image"]["default"] == "registry.example/team/flow:1.2",
        format!("image {}", props["image"]),
    );
    check(
        props["env"]["default"] == json!({"TEAM": "data"}),
        format!("env {}", props["env"]),
    );
    let (number, value) = &case.number;
    check(
        props[number]["default"] == *value,
        format!("{number} {}", props[number]),
    );
    check(
        props.get(case.deleted).is_none(),
        format!("{} came back", case.deleted),
    );
    for p in removed {
        check(
            stored.pointer(p).is_none(),
            format!("placeholder {p} came back"),
        );
    }
    let (pointer, value) = &case.edit;
    check(
        stored.pointer(pointer) == Some(value),
        format!("edit at {pointer} lost"),
    );
    // Untouched stale values take the new default.
    let mut all = Vec::new();
    leaves(base, "", &mut all);
    let stale: Vec<&String> = all
        .iter()
        .filter(|p| {
            let new = fresh.pointer(p);
            new.is_some() && new != base.pointer(p) && pool_template.pointer(p) == base.pointer(p)
        })
        .collect();
    check(
        !stale.is_empty() || !check_inferred,
        "no stale value to upgrade: pick another release".into(),
    );
    for p in stale {
        check(
            stored.pointer(p) == fresh.pointer(p),
            format!("stale {p} not upgraded"),
        );
    }
    // Every new variable is defined and wired into job_configuration.
    let mut used = Vec::new();
    placeholders(&fresh["job_configuration"], &mut used);
    let mut wired = Vec::new();
    placeholders(&stored["job_configuration"], &mut wired);
    for var in fresh["variables"]["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if base["variables"]["properties"].get(var).is_none() {
            check(
                props.get(var).is_some(),
                format!("new variable {var} missing"),
            );
            if used.contains(var) {
                check(wired.contains(var), format!("new variable {var} not wired"));
            }
        }
    }
    failures
}
