//! Deployments checked against the template, on the real server: flows and deployments made
//! through the REST API (valid, with an unknown key, with an unwired one), then
//! `validate --deployments` and an upgrade with `--template` that retypes a variable and
//! unwires another (`update --check-deployments`).

use crate::harness::Run;
use crate::harness::fixtures;
use crate::harness::live::{self, create_pool, read_pool, unique};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const FLOW: &str = "etl-deployments";

fn fixture(name: &str) -> String {
    fixtures::fixture(&format!("deployments/{name}"))
}

fn template(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).expect("fixture")).expect("json")
}

/// A pool on `process-v1.json` with three deployments: `ok` (valid, wired `threads` and
/// `env`), `typo` (`thread`, which the template does not define), `unwired` (`labels`,
/// defined but used by no placeholder). Returns the deployments' ids by suffix.
fn pool_with_deployments(name: &str) -> Vec<(&'static str, String)> {
    create_pool(name, "process", &template("process-v1.json"));
    [
        ("ok", json!({"threads": 4, "env": {"TEAM": "data"}})),
        ("typo", json!({"thread": 4})),
        ("unwired", json!({"labels": {"team": "data"}})),
    ]
    .into_iter()
    .map(|(suffix, vars)| {
        let id = live::create_deployment(FLOW, &format!("{name}-{suffix}"), name, &vars);
        (suffix, id)
    })
    .collect()
}

/// How findings name a deployment: `flow/name (id)`.
fn named(pool: &str, suffix: &str, ids: &[(&str, String)]) -> String {
    let id = &ids
        .iter()
        .find(|(s, _)| *s == suffix)
        .expect("a deployment")
        .1;
    format!("{FLOW}/{pool}-{suffix} ({id})")
}

/// The (kind, deployment name, pointer) of each finding of a JSON report, sorted.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = report["deployments"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["deployment"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["pointer"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// Warnings (an unknown key with the variable meant, an unwired key) exit 0; once the pool's
/// template is retyped behind the deployments' back (a PATCH re-checks no deployment), the
/// deployment the server would now refuse runs of is an error, exit 1.
#[test]
fn validate_warns_on_ignored_and_unwired_keys_and_fails_on_invalid_ones() {
    let pool = unique("deps-validate");
    let ids = pool_with_deployments(&pool);
    let out = Run::new(["validate", &pool, "--deployments"])
        .live()
        .run()
        .exit(0);
    out.stdout_has(&format!(
        "warning[ignored]: deployment {} /job_variables/thread:",
        named(&pool, "typo", &ids)
    ))
    .stdout_has("rename it to the variable you meant (\"threads\")")
    .stdout_has(&format!(
        "warning[unwired]: deployment {} /job_variables/labels:",
        named(&pool, "unwired", &ids)
    ))
    .stdout_has("deployments: 3 checked, 0 broken, 0 invalid, 1 ignored keys, 1 unwired keys");
    assert!(
        !out.stdout.contains(&format!("{pool}-ok")),
        "{}",
        out.stdout
    );

    let url = format!("{}/work_pools/{pool}", live::api_url());
    let body = json!({"base_job_template": template("process-v2.json")});
    let (resp, _) = live::send("retype the pool", |c| c.patch(&url).json(&body));
    assert!(resp.status().is_success(), "{}", resp.status());
    Run::new(["validate", &pool, "--deployments"])
        .live()
        .run()
        .exit(1)
        .stderr_has(&format!(
            "/job_variables/threads: invalid in deployment {}",
            named(&pool, "ok", &ids)
        ))
        .stderr_has("(got 4)");
}

/// An upgrade that retypes `threads` breaks the `ok` deployment and unwires its `env`: with
/// `--check-deployments` it is not pushed (outcome invalid, naming the deployment), a dry run
/// too reports it; with `--allow-breaking-deployments` it is pushed and still reported.
#[test]
fn a_breaking_upgrade_is_not_pushed_unless_allowed() {
    let pool = unique("deps-update");
    let ids = pool_with_deployments(&pool);
    let (v1, v2) = (fixture("process-v1.json"), fixture("process-v2.json"));
    let before = read_pool(&pool);
    let upgrade = |extra: &'static [&'static str], code: i32| {
        let mut args = vec!["update", &pool, "--template", &v2, "--base", &v1];
        args.extend(["--check-deployments", "--output", "json"]);
        args.extend(extra);
        let out = Run::new(&args).live().run();
        out.code(code);
        let stdout = out.stdout.clone();
        serde_json::from_str::<Value>(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let expected = vec![
        ("breaks", "ok", "/job_variables/threads"),
        ("changes_meaning", "ok", "/job_variables/env"),
        ("ignored", "typo", "/job_variables/thread"),
        ("unwired", "unwired", "/job_variables/labels"),
    ]
    .into_iter()
    .map(|(k, d, p)| (k.to_string(), format!("{pool}-{d}"), p.to_string()))
    .collect::<Vec<_>>();

    for extra in [&[][..], &["--dry-run"][..]] {
        let report = upgrade(extra, 1);
        assert_eq!(report["outcome"], "invalid", "{extra:?}");
        assert_eq!(findings(&report), expected, "{extra:?}");
        let error = report["error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&format!(
                "breaks in deployment {}",
                named(&pool, "ok", &ids)
            )),
            "{error}"
        );
        assert_eq!(
            report["deployments"]["counts"],
            json!({"checked": 3, "broken": 1, "invalid": 0, "ignored_keys": 1,
                   "unwired_keys": 1, "changed_meaning_keys": 1})
        );
        assert_eq!(read_pool(&pool), before, "{extra:?}: nothing pushed");
    }

    // The text report names them too; the error says why nothing was pushed.
    Run::new([
        "update",
        &pool,
        "--template",
        &v2,
        "--base",
        &v1,
        "--check-deployments",
        "--dry-run",
    ])
    .live()
    .run()
    .exit(1)
    .stdout_has(&format!(
        "error[breaks]: deployment {} /job_variables/threads: valid before the upgrade, \
         invalid after",
        named(&pool, "ok", &ids)
    ))
    .stdout_has(&format!(
        "warning[changes meaning]: deployment {} /job_variables/env:",
        named(&pool, "ok", &ids)
    ))
    .stdout_has("deployments: 3 checked, 1 broken, 0 invalid, 1 ignored keys, 1 unwired keys")
    .stderr_has("nothing was pushed");
    assert_eq!(read_pool(&pool), before);

    let report = upgrade(&["--allow-breaking-deployments"], 0);
    assert_eq!(report["outcome"], "updated");
    assert_eq!(findings(&report), expected);
    let stored = read_pool(&pool);
    assert_eq!(
        stored["base_job_template"]["variables"]["properties"]["threads"]["type"],
        "string"
    );
}

/// A batch reads the deployments of all its pools in one `POST /deployments/filter` and their
/// flows' names in one `POST /flows/filter`, not one listing per pool; the summary counts
/// the deployments checked and broken.
#[test]
fn a_batch_reads_its_deployments_in_one_listing() {
    let (a, b) = (unique("deps-batch-a"), unique("deps-batch-b"));
    for pool in [&a, &b] {
        create_pool(pool, "process", &template("process-v1.json"));
        live::create_deployment(FLOW, &format!("{pool}-ok"), pool, &json!({"threads": 2}));
    }
    let (v1, v2) = (fixture("process-v1.json"), fixture("process-v2.json"));
    let out = Run::new([
        "update",
        &a,
        &b,
        "--template",
        &v2,
        "--base",
        &v1,
        "--check-deployments",
        "--dry-run",
        "--output",
        "json",
        "-v",
    ])
    .live()
    .run()
    .exit(1);
    let api = live::api_url();
    let count = |what: &str| out.stderr.matches(&format!("POST {api}{what} ")).count();
    assert_eq!(count("/deployments/filter"), 1, "{}", out.stderr);
    assert_eq!(count("/flows/filter"), 1, "{}", out.stderr);
    let (outcomes, summary) = out.outcomes();
    assert_eq!(
        outcomes.values().collect::<Vec<_>>(),
        ["invalid", "invalid"]
    );
    assert_eq!(summary["deployments"]["checked"], 2);
    assert_eq!(summary["deployments"]["broken"], 2);
}
