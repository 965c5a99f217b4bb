//! The hooks of `.pre-commit-hooks.yaml`, run the way pre-commit runs them: the hook's
//! `entry`, then its `args`, then every staged file its `files` pattern matches.

use crate::harness::fixtures::fixture;
use crate::harness::{Output, Run};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Hook {
    id: String,
    entry: String,
    files: String,
    language: String,
}

fn hook(id: &str) -> Hook {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let text = std::fs::read_to_string(&path).expect("read .pre-commit-hooks.yaml");
    let hooks: Vec<Hook> = serde_norway::from_str(&text).expect(".pre-commit-hooks.yaml parses");
    hooks
        .into_iter()
        .find(|h| h.id == id)
        .unwrap_or_else(|| panic!("no hook {id:?}"))
}

/// Copies fixtures into a repository-like folder under the names pre-commit would pass, and
/// checks the hook's `files` pattern selects exactly the ones that should be checked.
fn staged(dir: &Path, hook: &Hook, files: &[(&str, &str)], ignored: &[&str]) -> Vec<String> {
    let pattern = regex::Regex::new(&hook.files).expect("files is a regex");
    for name in ignored {
        assert!(
            !pattern.is_match(name),
            "{}: {name} must not match",
            hook.id
        );
    }
    files
        .iter()
        .map(|(name, source)| {
            assert!(pattern.is_match(name), "{}: {name} must match", hook.id);
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::copy(fixture(source), &path).expect("copy fixture");
            name.to_string()
        })
        .collect()
}

/// Runs `entry args files` in `dir`, with `poolsync` the binary under test.
fn run_hook(dir: &Path, hook: &Hook, args: &[&str], files: &[String]) -> Output {
    assert_eq!(
        hook.language, "python",
        "{}: installed with pip (maturin)",
        hook.id
    );
    let mut words = hook.entry.split_whitespace();
    assert_eq!(
        words.next(),
        Some("poolsync"),
        "{}: entry runs poolsync",
        hook.id
    );
    Run::new(words)
        .current_dir(dir)
        .args(args)
        .args(files)
        .run()
}

#[test]
fn validate_hook_passes_good_templates_and_fails_on_any_bad_one() {
    let hook = hook("poolsync-validate");
    let dir = tempfile::tempdir().expect("repo");
    let good = staged(
        dir.path(),
        &hook,
        &[
            ("work-pools/managed.json", "managed-inline.json"),
            ("deploy/k8s-base-job-template.json", "managed-ref.json"),
            ("base_job_template.json", "managed-legacy.json"),
        ],
        &["package.json", "deploy/values.json", "work-pools.yaml"],
    );
    let out = run_hook(dir.path(), &hook, &[], &good).exit(0);
    let stdout = out.stdout.clone();
    for file in &good {
        assert!(stdout.contains(&format!("{file}: valid")), "{stdout}");
    }

    let bad = staged(
        dir.path(),
        &hook,
        &[("work-pools/broken.json", "managed-invalid-arn.json")],
        &[],
    );
    let all: Vec<String> = good.iter().chain(&bad).cloned().collect();
    let out = run_hook(dir.path(), &hook, &[], &all).exit(1);
    let (stdout, stderr) = (out.stdout.clone(), out.stderr.clone());
    assert!(
        stdout.contains("work-pools/managed.json: valid"),
        "{stdout}"
    );
    assert!(stderr.contains("work-pools/broken.json"), "{stderr}");
    assert!(
        stderr.contains("/variables/properties/federated_identity/default/aws_role_arn"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 4 files failed validation"),
        "{stderr}"
    );
}

#[test]
fn trust_policy_hook_lints_every_marked_file() {
    let hook = hook("poolsync-trust-policy");
    let dir = tempfile::tempdir().expect("repo");
    let good = staged(
        dir.path(),
        &hook,
        &[("iam/prefect-trust-policy.json", "trust/good.json")],
        &["iam/role.json", "trust.json"],
    );
    run_hook(dir.path(), &hook, &[], &good).exit(0);

    let bad = staged(
        dir.path(),
        &hook,
        &[("iam/trust_policy.old.json", "trust/bad.json")],
        &[],
    );
    let all: Vec<String> = good.iter().chain(&bad).cloned().collect();
    // As a user's `args:` pins the account: pre-commit puts them between entry and files.
    let out = run_hook(dir.path(), &hook, &["--aws-account", "123456789012"], &all).exit(1);
    let (stdout, stderr) = (out.stdout.clone(), out.stderr.clone());
    assert!(
        stdout.contains("iam/prefect-trust-policy.json: trust policy ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("iam/trust_policy.old.json: error"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of 2 files failed the trust policy lint"),
        "{stderr}"
    );
}
