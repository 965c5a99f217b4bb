//! `poolsync update`, `default` and `validate` against a real Prefect server.

use crate::harness::Run;
use crate::harness::fixtures::{fixture, fixture_json};
use crate::harness::live;

use live::{create_pool, default_template, read_pool, server, unique};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// Today's kubernetes default less three variables, customised (image, namespace, env):
/// a two-way merge (`--base none`) brings the missing three back.
/// (Not the harness's `live::stale_kubernetes`, which drops one unwired variable.)
fn kubernetes_less_three_customised() -> Value {
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

/// Update keeps every customisation, adds what the default gained, the server accepts it,
/// and a second run sends nothing.
#[test]
fn update_merges_default_keeps_customisations_and_is_idempotent() {
    let name = unique("k8s-stale");
    create_pool(&name, "kubernetes", &kubernetes_less_three_customised());

    // Two-way: its variables were deleted from today's default, which a first run's
    // inferred base would keep deleted as customisations (see tests/first_run.rs).
    let out = Run::new(["update", &name, "--base", "none"])
        .live()
        .run()
        .exit(0);
    out.stdout_has("+    \"cluster_config\": \"{{ cluster_config }}\",")
        .stdout_has("+      \"cluster_config\": {");
    assert!(
        out.stdout.trim_end().ends_with(&format!("{name}: updated")),
        "{}",
        out.stdout
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

    let stdout = Run::new(["update", &name]).live().run().exit(0).stdout;
    assert!(stdout.starts_with("base: "), "{stdout}");
    assert!(
        stdout.ends_with(&format!("\n{name}: up to date, nothing sent\n")),
        "{stdout}"
    );
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
    create_pool(&name, "kubernetes", &kubernetes_less_three_customised());
    let before = read_pool(&name);

    let out = Run::new([
        "update",
        &name,
        "--dry-run",
        "--detailed-exitcode",
        "--base",
        "none",
    ])
    .live()
    .run()
    .exit(3);
    out.stdout_has("would change (dry run, nothing sent)");
    assert!(
        out.stdout
            .starts_with(&format!("--- {name} (current)\n+++ {name} (merged)\n")),
        "{}",
        out.stdout
    );
    assert_eq!(read_pool(&name), before);

    Run::new(["update", &name, "--dry-run", "--base", "none"])
        .live()
        .run()
        .exit(0);
    assert_eq!(read_pool(&name), before);
}

/// `--output json` is one object with the patch that the server then stores.
#[test]
fn json_output_describes_the_change() {
    let name = unique("k8s-json");
    let stale = kubernetes_less_three_customised();
    create_pool(&name, "kubernetes", &stale);
    let report = Run::new(["update", &name, "--output", "json", "--base", "none"])
        .live()
        .run()
        .exit(0)
        .json();
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
        &fixture_json("managed-legacy.json"),
    );

    Run::new(["update", &name])
        .live()
        .run()
        .exit(1)
        .stderr_has("no default base job template for work pool type \"prefect:managed\"")
        .stderr_has("--template FILE");

    let inline = fixture("managed-inline.json");
    Run::new(["update", &name, "--template", &inline])
        .live()
        .run()
        .exit(0);
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
    Run::new(["validate", &name]).live().run().exit(0);
}

/// A customised identity with an invalid role ARN blocks the push and names the pointer.
#[test]
fn invalid_role_arn_blocks_the_push() {
    let name = unique("managed-bad");
    create_pool(
        &name,
        "prefect:managed",
        &fixture_json("managed-invalid-arn.json"),
    );
    let before = read_pool(&name);
    Run::new(["update", &name, "--template", &fixture("managed-ref.json")])
        .live()
        .run()
        .exit(1)
        .stderr_has("nothing was pushed")
        .stderr_has("aws_role_arn")
        .stderr_has("fix:");
    assert_eq!(read_pool(&name), before);
}

/// `default --type` prints what the server serves for that type.
#[test]
fn default_prints_the_servers_template() {
    let printed = Run::new(["default", "--type", "kubernetes"])
        .live()
        .run()
        .exit(0)
        .json();
    assert_eq!(printed, default_template("kubernetes"));

    Run::new(["default", "--type", "nope"])
        .live()
        .run()
        .exit(1)
        .stderr_has("\"nope\"");
}

/// A missing pool is an error naming it.
#[test]
fn missing_pool_is_a_clear_error() {
    Run::new(["update", "no-such-pool-xyz"])
        .live()
        .run()
        .exit(1)
        .stderr_has("work pool \"no-such-pool-xyz\" was not found");
}

/// The connection comes from the environment and the active profile when no flag is given.
#[test]
fn connects_through_env_and_profile() {
    let name = unique("k8s-env");
    create_pool(&name, "kubernetes", &default_template("kubernetes"));
    Run::new(["validate", &name])
        .server_home()
        .env("PREFECT_API_URL", &server().url)
        .run()
        .code(0);

    let home = tempfile::tempdir().unwrap();
    let profiles = format!(
        "active = \"dev\"\n[profiles.dev]\nPREFECT_API_URL = \"{}\"\n",
        server().url
    );
    std::fs::write(home.path().join("profiles.toml"), profiles).unwrap();
    Run::new(["validate", &name])
        .server_home()
        .env("PREFECT_HOME", home.path())
        .run()
        .code(0);

    let out = Run::new(["validate", &name]).server_home().run();
    out.code(1);
    assert!(out.stderr.contains("no prefect api url is set"));
}

/// `validate --deployments` and `update --check-deployments` check each deployment's
/// `job_variables.federated_identity` override and name the bad ones; nothing is pushed.
#[test]
fn deployment_overrides_are_checked() {
    let name = unique("managed-deps");
    create_pool(
        &name,
        "prefect:managed",
        &fixture_json("managed-legacy.json"),
    );
    let identity = |arn: &str, region: &str| json!({"federated_identity": {"kind": "aws", "aws_role_arn": arn, "aws_region_name": region}});
    for (deployment, job_variables) in [
        (
            "ok",
            identity("arn:aws:iam::123456789012:role/etl", "eu-west-1"),
        ),
        ("bad-arn", identity("arn:aws:iam::1:role/etl", "eu-west-1")),
        (
            "cn",
            identity("arn:aws-cn:iam::123456789012:role/etl", "us-east-1"),
        ),
        ("none", json!({"image": "x"})),
    ] {
        let deployment = format!("{name}-{deployment}");
        live::create_deployment("etl", &deployment, &name, &job_variables);
    }

    Run::new(["validate", &name]).live().run().exit(0);
    let out = Run::new(["validate", &name, "--deployments"])
        .live()
        .run()
        .exit(1);
    out.stderr_has(&format!(
        "/job_variables/federated_identity/aws_role_arn: in deployment \"{name}-bad-arn\""
    ))
    .stderr_has(&format!(
        "/job_variables/federated_identity/aws_region_name: in deployment \"{name}-cn\""
    ));
    let stderr = &out.stderr;
    assert!(!stderr.contains(&format!("\"{name}-ok\"")), "{stderr}");
    assert_eq!(stderr.matches("fix:").count(), 2, "{stderr}");

    let before = read_pool(&name);
    let template = fixture("managed-inline.json");
    Run::new([
        "update",
        &name,
        "--template",
        &template,
        "--check-deployments",
    ])
    .live()
    .run()
    .exit(1)
    .stderr_has("nothing was pushed");
    assert_eq!(read_pool(&name), before);
}

/// The read is the conflict check when the PATCH follows it within its window: `update POOL
/// --template FILE` (no defaults to fetch, so nothing slow comes between) reads the pool
/// once, PATCHes it and reads it back: GET, PATCH, GET on the real server, no re-read. (A
/// machine so loaded that the whole run took longer than the window, half a second, may
/// re-read it first: that is the window doing its job. A PATCH the shared server answered
/// `503`, busy with another test's write, is retried after a re-read: what comes after it
/// is the retry's.)
#[test]
fn a_pool_written_within_its_reads_window_is_not_read_again_first() {
    let name = unique("k8s-window");
    create_pool(&name, "kubernetes", &kubernetes_less_three_customised());
    let dir = tempfile::TempDir::new().expect("dir");
    let file = dir.path().join("default.json");
    std::fs::write(&file, default_template("kubernetes").to_string()).expect("template file");
    let template = file.to_str().expect("utf-8 path");
    let out = Run::new([
        "-v",
        "update",
        &name,
        "--template",
        template,
        "--base",
        "none",
    ])
    .live()
    .run()
    .exit(0);
    let path = format!("/work_pools/{name} ");
    let requests: Vec<&str> = (out.stderr.lines())
        .filter(|line| line.contains(&path))
        .filter_map(|line| line.split_whitespace().nth(1))
        .collect();
    let slow = out.elapsed > std::time::Duration::from_millis(500);
    let busy = out.stderr.contains("-> 503 ");
    match requests.as_slice() {
        ["GET", "GET", "PATCH", "GET"] if slow => {}
        ["GET", "PATCH", "GET", "PATCH", "GET"] if busy => {}
        _ => assert_eq!(requests, ["GET", "PATCH", "GET"], "{}", out.stderr),
    }
    let props = &read_pool(&name)["base_job_template"]["variables"]["properties"];
    assert!(props.get("cluster_config").is_some(), "{props}");
    assert_eq!(
        props["image"]["default"],
        json!("registry.example.com/flows:2.1")
    );
}
