//! Three-way upgrades against a real Prefect server: with the default a pool was last
//! synced from, stale defaults the user never touched are upgraded and keys removed
//! upstream go, while customised values stay.

use crate::harness::Run;
use crate::harness::live;

use live::{create_pool, default_template, read_pool, unique};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// What an older release shipped: a different image pull policy default and a variable
/// that has since been removed.
fn old_default() -> Value {
    let mut old = default_template("kubernetes");
    old["variables"]["properties"]["image_pull_policy"]["default"] = json!("Always");
    old["variables"]["properties"]["legacy_flag"] = json!({"type": "boolean", "default": false});
    old["job_configuration"]["legacy_flag"] = json!("{{ legacy_flag }}");
    old
}

#[test]
fn base_upgrades_untouched_stale_values_and_keeps_customised_ones() {
    let name = unique("three-way");
    let base = old_default();
    let mut current = base.clone();
    current["variables"]["properties"]["image"]["default"] = json!("corp/flows:9");
    create_pool(&name, "kubernetes", &current);
    let dir = tempfile::tempdir().unwrap();
    let base_file = dir.path().join("base.json");
    std::fs::write(&base_file, base.to_string()).unwrap();
    let backups = dir.path().join("backups");

    // Two-way, the stale default looks like a customisation and stays.
    let out = Run::new(["update", &name, "--dry-run", "--output", "json"])
        .backup_dir(&backups)
        .live()
        .run();
    out.code(0);
    let report: Value = serde_json::from_slice(&out.raw).unwrap();
    assert_eq!(
        report["merged"]["variables"]["properties"]["image_pull_policy"]["default"],
        json!("Always")
    );
    assert_eq!(report["upstream"], json!([]));

    let out = Run::new(["update", &name, "--base", base_file.to_str().unwrap()])
        .backup_dir(&backups)
        .live()
        .run();
    out.code(0);
    let stdout = out.stdout.clone();
    assert!(
        stdout.contains("upstream: /variables/properties/image_pull_policy/default: upstream update \"Always\" -> \"IfNotPresent\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("upstream: /job_configuration/legacy_flag: removed upstream"),
        "{stdout}"
    );

    let stored = read_pool(&name)["base_job_template"].clone();
    let props = &stored["variables"]["properties"];
    assert_eq!(props["image_pull_policy"]["default"], json!("IfNotPresent"));
    assert_eq!(props["image"]["default"], json!("corp/flows:9"));
    assert!(props.get("legacy_flag").is_none());
    assert!(stored["job_configuration"].get("legacy_flag").is_none());

    // The backup recorded the default just merged: the next run uses it as its base.
    let out = Run::new(["update", &name])
        .backup_dir(&backups)
        .live()
        .run();
    out.code(0);
    let stdout = out.stdout;
    assert!(
        stdout.starts_with("base: the default recorded in the backup "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(&format!("\n{name}: up to date, nothing sent\n")),
        "{stdout}"
    );
}

/// A value both the user and upstream changed keeps the user's value and reports all three.
#[test]
fn conflicts_keep_the_users_value() {
    let name = unique("three-way-conflict");
    let base = old_default();
    let mut current = base.clone();
    current["variables"]["properties"]["image_pull_policy"]["default"] = json!("Never");
    create_pool(&name, "kubernetes", &current);
    let dir = tempfile::tempdir().unwrap();
    let base_file = dir.path().join("base.json");
    std::fs::write(&base_file, base.to_string()).unwrap();
    let out = Run::new([
        "update",
        &name,
        "--dry-run",
        "--output",
        "json",
        "--base",
        base_file.to_str().unwrap(),
    ])
    .live()
    .run();
    out.code(0);
    let report: Value = serde_json::from_slice(&out.raw).unwrap();
    let conflict = report["upstream"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["kind"] == json!("conflict"))
        .expect("a conflict");
    assert_eq!(
        conflict["pointer"],
        json!("/variables/properties/image_pull_policy/default")
    );
    assert_eq!(
        (
            &conflict["base"],
            &conflict["default"],
            &conflict["current"]
        ),
        (&json!("Always"), &json!("IfNotPresent"), &json!("Never"))
    );
    assert_eq!(
        report["merged"]["variables"]["properties"]["image_pull_policy"]["default"],
        json!("Never")
    );
}

/// A pool deleted and created again under the same name is a new pool: the old pool's
/// backups are not its base, so the keys its stale template lacks are added.
#[test]
fn a_recreated_pool_does_not_inherit_the_old_pools_base() {
    let name = unique("recreated");
    let mut stale = default_template("kubernetes");
    stale["variables"]["properties"]
        .as_object_mut()
        .unwrap()
        .shift_remove("stream_output");
    stale["job_configuration"]
        .as_object_mut()
        .unwrap()
        .shift_remove("stream_output");
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().to_path_buf();

    // Two-way first, so there is a change and a backup recording the default.
    create_pool(&name, "kubernetes", &stale);
    Run::new(["update", &name, "--base", "none"])
        .backup_dir(&backups)
        .live()
        .run()
        .code(0);
    live::delete_pool(&name);
    create_pool(&name, "kubernetes", &stale);

    // `--base backup`: the old pool's backup would keep stream_output deleted.
    let out = Run::new(["update", &name, "--base", "backup"])
        .backup_dir(&backups)
        .live()
        .run();
    out.code(0);
    assert!(out.stdout.ends_with(&format!("{name}: updated\n")));
    assert!(
        read_pool(&name)["base_job_template"]["variables"]["properties"]
            .get("stream_output")
            .is_some()
    );
}
