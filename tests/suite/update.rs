//! `poolsync update`, `default` and `validate` against a real Prefect server.

use crate::support;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use support::{create_pool, default_template, poolsync, read_pool, server, unique};

/// A kubernetes template as an old release shipped it, customised by its user: some
/// variables missing, the image, namespace and env defaults changed.
fn stale_kubernetes() -> Value {
    let mut template = default_template("kubernetes");
    let vars = template["variables"]["properties"].as_object_mut().unwrap();
    for gone in [
        "cluster_config",
        "stream_output",
        "pod_watch_timeout_seconds",
    ] {
        vars.shift_remove(gone);
    }
    vars["image"]["default"] = json!("registry.example.com/flows:2.1");
    vars["namespace"]["default"] = json!("data-flows");
    vars["env"]["default"] = json!({"TEAM": "data"});
    let config = template["job_configuration"].as_object_mut().unwrap();
    for gone in [
        "cluster_config",
        "stream_output",
        "pod_watch_timeout_seconds",
    ] {
        config.shift_remove(gone);
    }
    template
}

fn managed_fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn fixture_path(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Update keeps every customisation, adds what the default gained, the server accepts it,
/// and a second run sends nothing.
#[test]
fn update_merges_default_keeps_customisations_and_is_idempotent() {
    let name = unique("k8s-stale");
    create_pool(&name, "kubernetes", &stale_kubernetes());

    let out = poolsync()
        .args(["update", &name, "--api-url", &server().url])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("+    \"cluster_config\": \"{{ cluster_config }}\","),
        "{stdout}"
    );
    assert!(stdout.contains("+      \"cluster_config\": {"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with(&format!("{name}: updated")),
        "{stdout}"
    );

    let stored = read_pool(&name);
    let template = &stored["base_job_template"];
    let props = &template["variables"]["properties"];
    assert_eq!(
        props["image"]["default"],
        json!("registry.example.com/flows:2.1")
    );
    assert_eq!(props["namespace"]["default"], json!("data-flows"));
    assert_eq!(props["env"]["default"], json!({"TEAM": "data"}));
    for added in [
        "cluster_config",
        "stream_output",
        "pod_watch_timeout_seconds",
    ] {
        assert!(
            props.get(added).is_some(),
            "variables.properties.{added} missing"
        );
        assert!(
            template["job_configuration"].get(added).is_some(),
            "job_configuration.{added} missing"
        );
    }

    let again = poolsync()
        .args(["update", &name, "--api-url", &server().url])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&again.get_output().stdout).to_string();
    assert_eq!(stdout, format!("{name}: up to date, nothing sent\n"));
    assert_eq!(
        read_pool(&name)["updated"],
        stored["updated"],
        "a second run must not write"
    );
}

/// A dry run shows the diff, writes nothing, and with --detailed-exitcode exits 3.
#[test]
fn dry_run_shows_diff_and_leaves_server_unchanged() {
    let name = unique("k8s-dry");
    create_pool(&name, "kubernetes", &stale_kubernetes());
    let before = read_pool(&name);

    let out = poolsync()
        .args([
            "update",
            &name,
            "--dry-run",
            "--detailed-exitcode",
            "--api-url",
            &server().url,
        ])
        .assert()
        .code(3);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.starts_with(&format!("--- {name} (current)\n+++ {name} (merged)\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("would change (dry run, nothing sent)"),
        "{stdout}"
    );
    assert_eq!(read_pool(&name), before);

    poolsync()
        .args(["update", &name, "--dry-run", "--api-url", &server().url])
        .assert()
        .code(0);
    assert_eq!(read_pool(&name), before);
}

/// `--output json` is one object with the patch that the server then stores.
#[test]
fn json_output_describes_the_change() {
    let name = unique("k8s-json");
    let stale = stale_kubernetes();
    create_pool(&name, "kubernetes", &stale);
    let out = poolsync()
        .args([
            "update",
            &name,
            "--output",
            "json",
            "--api-url",
            &server().url,
        ])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["pool"], json!(name));
    assert_eq!(report["type"], json!("kubernetes"));
    assert_eq!(report["outcome"], json!("updated"));
    assert_eq!(report["changed"], json!(true));
    assert_eq!(report["violations"], json!([]));
    let patch: json_patch::Patch = serde_json::from_value(report["patch"].clone()).unwrap();
    let mut patched = stale;
    json_patch::patch(&mut patched, &patch).unwrap();
    assert_eq!(patched, read_pool(&name)["base_job_template"]);
    assert_eq!(report["merged"], read_pool(&name)["base_job_template"]);
}

/// A managed pool has no default on a self-hosted server: skipped with a hint, then
/// updated from --template, gaining the federated identity section.
#[test]
fn managed_pool_updates_from_template_file() {
    let name = unique("managed");
    create_pool(
        &name,
        "prefect:managed",
        &managed_fixture("managed-legacy.json"),
    );

    let out = poolsync()
        .args(["update", &name, "--api-url", &server().url])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("no default base job template for work pool type \"prefect:managed\""),
        "{stderr}"
    );
    assert!(stderr.contains("--template FILE"), "{stderr}");

    poolsync()
        .args([
            "update",
            &name,
            "--template",
            &fixture_path("managed-inline.json"),
            "--api-url",
            &server().url,
        ])
        .assert()
        .success();
    let stored = read_pool(&name)["base_job_template"].clone();
    assert!(
        stored["variables"]["properties"]
            .get("federated_identity")
            .is_some()
    );
    assert_eq!(
        stored["job_configuration"]["federated_identity"],
        json!("{{ federated_identity }}")
    );
    poolsync()
        .args(["validate", &name, "--api-url", &server().url])
        .assert()
        .success();
}

/// A customised identity with an invalid role ARN blocks the push and names the pointer.
#[test]
fn invalid_role_arn_blocks_the_push() {
    let name = unique("managed-bad");
    create_pool(
        &name,
        "prefect:managed",
        &managed_fixture("managed-invalid-arn.json"),
    );
    let before = read_pool(&name);
    let out = poolsync()
        .args([
            "update",
            &name,
            "--template",
            &fixture_path("managed-ref.json"),
            "--api-url",
            &server().url,
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("nothing was pushed"), "{stderr}");
    assert!(stderr.contains("aws_role_arn"), "{stderr}");
    assert!(stderr.contains("fix:"), "{stderr}");
    assert_eq!(read_pool(&name), before);
}

/// `default --type` prints what the server serves for that type.
#[test]
fn default_prints_the_servers_template() {
    let out = poolsync()
        .args([
            "default",
            "--type",
            "kubernetes",
            "--api-url",
            &server().url,
        ])
        .assert()
        .success();
    let printed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(printed, default_template("kubernetes"));

    let out = poolsync()
        .args(["default", "--type", "nope", "--api-url", &server().url])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("\"nope\""));
}

/// A missing pool is an error naming it.
#[test]
fn missing_pool_is_a_clear_error() {
    let out = poolsync()
        .args(["update", "no-such-pool-xyz", "--api-url", &server().url])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("work pool \"no-such-pool-xyz\" was not found"),
        "{stderr}"
    );
}

/// The connection comes from the environment and the active profile when no flag is given.
#[test]
fn connects_through_env_and_profile() {
    let name = unique("k8s-env");
    create_pool(&name, "kubernetes", &default_template("kubernetes"));
    poolsync()
        .env("PREFECT_API_URL", &server().url)
        .args(["validate", &name])
        .assert()
        .success();

    let home = tempfile::tempdir().unwrap();
    let profiles = format!(
        "active = \"dev\"\n[profiles.dev]\nPREFECT_API_URL = \"{}\"\n",
        server().url
    );
    std::fs::write(home.path().join("profiles.toml"), profiles).unwrap();
    poolsync()
        .env("PREFECT_HOME", home.path())
        .args(["validate", &name])
        .assert()
        .success();

    let out = poolsync().args(["validate", &name]).assert().code(1);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr).contains("no prefect api url is set")
    );
}

/// `validate --deployments` and `update --check-deployments` check each deployment's
/// `job_variables.federated_identity` override and name the bad ones; nothing is pushed.
#[test]
fn deployment_overrides_are_checked() {
    let name = unique("managed-deps");
    create_pool(
        &name,
        "prefect:managed",
        &managed_fixture("managed-legacy.json"),
    );
    let identity = |arn: &str, region: &str| json!({"federated_identity": {"kind": "aws", "aws_role_arn": arn, "aws_region_name": region}});
    support::create_deployment(
        "etl",
        &format!("{name}-ok"),
        &name,
        &identity("arn:aws:iam::123456789012:role/etl", "eu-west-1"),
    );
    support::create_deployment(
        "etl",
        &format!("{name}-bad-arn"),
        &name,
        &identity("arn:aws:iam::1:role/etl", "eu-west-1"),
    );
    support::create_deployment(
        "etl",
        &format!("{name}-cn"),
        &name,
        &identity("arn:aws-cn:iam::123456789012:role/etl", "us-east-1"),
    );
    support::create_deployment(
        "etl",
        &format!("{name}-none"),
        &name,
        &json!({"image": "x"}),
    );

    poolsync()
        .args(["validate", &name, "--api-url", &server().url])
        .assert()
        .success();
    let out = poolsync()
        .args([
            "validate",
            &name,
            "--deployments",
            "--api-url",
            &server().url,
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!(
            "/job_variables/federated_identity/aws_role_arn: in deployment \"{name}-bad-arn\""
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "/job_variables/federated_identity/aws_region_name: in deployment \"{name}-cn\""
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(&format!("\"{name}-ok\"")), "{stderr}");
    assert_eq!(stderr.matches("fix:").count(), 2, "{stderr}");

    let before = read_pool(&name);
    let template = fixture_path("managed-inline.json");
    let out = poolsync()
        .args([
            "update",
            &name,
            "--template",
            &template,
            "--check-deployments",
            "--api-url",
            &server().url,
        ])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("nothing was pushed"));
    assert_eq!(read_pool(&name), before);
}
