//! Backups, rollback and verification against a real Prefect server.

use crate::support;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use support::{api_url, create_pool, default_template, on_server, poolsync, read_pool, unique};

fn stale() -> Value {
    let mut template = default_template("process");
    template["variables"]["properties"]["working_dir"]["default"] = json!("/srv/flows");
    let props = template["variables"]["properties"].as_object_mut().unwrap();
    props.shift_remove("stream_output");
    template["job_configuration"]
        .as_object_mut()
        .unwrap()
        .shift_remove("stream_output");
    template
}

/// The backup files under `dir`, sorted.
fn backups_of(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let files = crate::mock::files_under(dir).into_iter();
    files
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

/// Every write leaves a private backup of the pool as it was; rollback restores it (dry
/// run first, writing nothing); `backups` lists the files.
#[test]
fn update_backs_up_and_rollback_restores() {
    let name = unique("rollback");
    let original = stale();
    create_pool(&name, "process", &original);
    let before = read_pool(&name);
    let dir = tempfile::tempdir().unwrap();

    on_server(["update", &name, "--base", "none"])
        .backup_dir(dir.path())
        .code(0);
    let files = backups_of(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let backup: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    assert_eq!(backup["pool"], before);
    assert_eq!(backup["default"], default_template("process"));
    assert_eq!(backup["merged"], read_pool(&name)["base_job_template"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        files[0].starts_with(
            dir.path().join(
                api_url()
                    .split("//")
                    .nth(1)
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .replace(':', "_")
            )
        )
    );

    let listed = poolsync()
        .args(["backups", &name, "--backup-dir"])
        .arg(dir.path())
        .assert()
        .success();
    assert!(
        String::from_utf8_lossy(&listed.get_output().stdout).contains(files[0].to_str().unwrap())
    );

    let updated = read_pool(&name);
    on_server(["rollback", &name, "--latest", "--dry-run"])
        .backup_dir(dir.path())
        .code(0)
        .stdout_has("-    \"stream_output\"")
        .stdout_has("would roll back");
    assert_eq!(read_pool(&name), updated);

    on_server(["rollback", &name, "--to", files[0].to_str().unwrap()])
        .backup_dir(dir.path())
        .code(0);
    assert_eq!(read_pool(&name)["base_job_template"], original);
    assert_eq!(
        backups_of(dir.path()).len(),
        2,
        "rollback is a write and backs up too"
    );
}

/// If the backup cannot be written, nothing is sent.
#[test]
fn unwritable_backup_dir_sends_nothing() {
    let name = unique("nobackup");
    create_pool(&name, "process", &stale());
    let before = read_pool(&name);
    let blocker = tempfile::NamedTempFile::new().unwrap();
    on_server(["update", &name, "--base", "none"])
        .backup_dir(blocker.path())
        .code(1)
        .stderr_has("failed to write backup");
    assert_eq!(read_pool(&name), before);
}

/// Rollback refuses a backup of another pool.
#[test]
fn rollback_refuses_another_pools_backup() {
    let (a, b) = (unique("rb-a"), unique("rb-b"));
    create_pool(&a, "process", &stale());
    create_pool(&b, "process", &stale());
    let dir = tempfile::tempdir().unwrap();
    on_server(["update", &a, "--base", "none"])
        .backup_dir(dir.path())
        .code(0);
    let file = backups_of(dir.path()).pop().unwrap();
    on_server(["rollback", &b, "--to", file.to_str().unwrap()])
        .code(4)
        .stderr_has("is a backup of work pool");
    on_server(["rollback", &b, "--latest"])
        .backup_dir(dir.path())
        .code(2)
        .stderr_has("no backup of work pool");
}
