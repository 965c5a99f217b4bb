//! Backups, rollback and verification against a real Prefect server. [`checks`]: what
//! `rollback` refuses, and how `--latest` walks back; [`landing`]: rollbacks judged by what
//! landed.

mod checks;
mod landing;

use crate::harness::Run;
use crate::harness::live;

use live::{api_url, create_pool, default_template, read_pool, unique};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

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
    let files = crate::harness::fixtures::files_under(dir).into_iter();
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

    Run::new(["update", &name, "--base", "none"])
        .backup_dir(dir.path())
        .live()
        .run()
        .exit(0);
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

    let listed = Run::new(["backups", &name, "--backup-dir"])
        .arg(dir.path())
        .server_home()
        .run();
    listed.code(0);
    assert!(listed.stdout.as_str().contains(files[0].to_str().unwrap()));

    let updated = read_pool(&name);
    Run::new(["rollback", &name, "--latest", "--dry-run"])
        .backup_dir(dir.path())
        .live()
        .run()
        .exit(0)
        .stdout_has("-    \"stream_output\"")
        .stdout_has("would roll back");
    assert_eq!(read_pool(&name), updated);

    Run::new(["rollback", &name, "--to", files[0].to_str().unwrap()])
        .backup_dir(dir.path())
        .live()
        .run()
        .exit(0);
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
    Run::new(["update", &name, "--base", "none"])
        .backup_dir(blocker.path())
        .live()
        .run()
        .exit(1)
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
    Run::new(["update", &a, "--base", "none"])
        .backup_dir(dir.path())
        .live()
        .run()
        .exit(0);
    let file = backups_of(dir.path()).pop().unwrap();
    Run::new(["rollback", &b, "--to", file.to_str().unwrap()])
        .live()
        .run()
        .exit(4)
        .stderr_has("is a backup of work pool");
    Run::new(["rollback", &b, "--latest"])
        .backup_dir(dir.path())
        .live()
        .run()
        .exit(2)
        .stderr_has("no backup of work pool");
}
