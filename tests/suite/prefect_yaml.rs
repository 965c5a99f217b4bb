//! Offline: `validate --file TEMPLATE --prefect-yaml FILE [--pool NAME]` on real-shaped
//! prefect.yaml files (tests/fixtures/deployments): anchors and aliases under `definitions`,
//! merge keys, `{{ }}` templated values, deployments on several pools; bad input named by
//! file and line; and the pre-commit hook that runs it.

use crate::harness::Run;
use crate::harness::fixtures;

const TEMPLATE: &str = "kubernetes-3.8.8.json";

fn fixture(name: &str) -> String {
    fixtures::fixture(&format!("deployments/{name}"))
}

/// `poolsync validate --file kubernetes --pool POOL --prefect-yaml FILE`: exit code, stdout,
/// stderr.
fn validate(yaml: &str, pool: Option<&str>) -> (i32, String, String) {
    let mut cmd = Run::new(["validate", "--file", &fixture(TEMPLATE)]);
    if let Some(pool) = pool {
        cmd = cmd.args(["--pool", pool]);
    }
    let out = cmd.args(["--prefect-yaml", &fixture(yaml)]).run();
    (out.status.unwrap_or(-1), out.stdout, out.stderr)
}

/// A value of the wrong type is an error naming the deployment and its pointer; a typo is a
/// warning with the variables meant; `{{ }}` values in typed fields (`finished_job_ttl` is
/// an integer) are not errors; the deployment on the other pool is not checked.
#[test]
fn a_wrong_type_fails_and_a_typo_warns() {
    let (code, stdout, stderr) = validate("prefect.yaml", Some("k8s-prod"));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("/job_variables/stream_output: invalid in deployment hourly"),
        "{stderr}"
    );
    assert!(stderr.contains("prefect.yaml deployments[2]"), "{stderr}");
    assert!(stderr.contains("(got \"yes\")"), "{stderr}");
    assert_eq!(
        stderr.matches("invalid in deployment").count(),
        1,
        "{stderr}"
    );
    assert!(
        stdout.contains("warning[ignored]: deployment backfill")
            && stdout.contains("/job_variables/memory:")
            && stdout.contains("(\"memory_limit\", \"memory_request\")"),
        "{stdout}"
    );
    assert!(
        stdout.contains("deployments: 3 checked, 0 broken, 1 invalid, 1 ignored keys"),
        "{stdout}"
    );
    assert!(!stdout.contains("local"), "{stdout}");
}

/// Warnings alone exit 0; aliases and merge keys resolve (the backfill deployment inherits
/// the pool and its templated variables through `<<`).
#[test]
fn warnings_alone_pass() {
    let (code, stdout, stderr) = validate("prefect-warnings.yaml", None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("warning[ignored]: deployment backfill"),
        "{stdout}"
    );
    assert!(stdout.contains("deployments: 2 checked"), "{stdout}");
    assert!(stdout.contains(": valid"), "{stdout}");
}

/// Deployments on several pools need --pool: a usage error names the pools.
#[test]
fn several_pools_need_a_pick() {
    let (code, _, stderr) = validate("prefect.yaml", None);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("run on work pools \"docker-dev\", \"k8s-prod\"")
            && stderr.contains("--pool NAME"),
        "{stderr}"
    );
}

/// Malformed YAML, a deployment without a work pool and job_variables that are not a
/// mapping each fail with the file and the line.
#[test]
fn bad_input_names_the_file_and_line() {
    for (yaml, says) in [
        (
            "malformed.yaml",
            "while scanning a quoted scalar at line 3 column 17",
        ),
        (
            "no-work-pool.yaml",
            "deployments[1] (\"adhoc\") at line 7: the deployment has no work_pool",
        ),
        (
            "job-variables-list.yaml",
            "deployments[0] (\"nightly\") at line 6: its work_pool.job_variables must be a \
             mapping of variable names to values, not a list",
        ),
    ] {
        let (code, _, stderr) = validate(yaml, Some("k8s-prod"));
        assert_eq!(code, 1, "{yaml}: {stderr}");
        assert!(stderr.contains(&format!("{yaml}: ")), "{yaml}: {stderr}");
        assert!(stderr.contains(says), "{yaml}: {stderr}");
    }
}

/// The pre-commit hook runs the check the way pre-commit does: `entry`, the user's `args`
/// ending with `--prefect-yaml`, then the staged files its `files` pattern selects.
#[test]
fn the_hook_checks_staged_prefect_yaml_files() {
    #[derive(serde::Deserialize)]
    struct Hook {
        id: String,
        entry: String,
        files: String,
    }
    let path = format!("{}/.pre-commit-hooks.yaml", env!("CARGO_MANIFEST_DIR"));
    let hooks: Vec<Hook> =
        serde_norway::from_str(&std::fs::read_to_string(path).expect("hooks")).expect("parses");
    let hook = hooks
        .into_iter()
        .find(|h| h.id == "poolsync-validate-deployments")
        .expect("the hook");
    let pattern = regex::Regex::new(&hook.files).expect("a regex");
    for (name, matches) in [
        ("prefect.yaml", true),
        ("flows/prefect-prod.yml", true),
        ("values.yaml", false),
        ("work-pools/k8s.json", false),
    ] {
        assert_eq!(pattern.is_match(name), matches, "{name}");
    }
    let mut words = hook.entry.split_whitespace();
    assert_eq!(words.next(), Some("poolsync"));
    let run = |yaml: &str| {
        Run::new(words.clone())
            .args([
                "--file",
                &fixture(TEMPLATE),
                "--pool",
                "k8s-prod",
                "--prefect-yaml",
            ])
            .arg(fixture(yaml))
            .run()
            .status
    };
    assert_eq!(run("prefect-warnings.yaml"), Some(0));
    assert_eq!(run("prefect.yaml"), Some(1));
}
