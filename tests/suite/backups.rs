//! Broken and mixed backups, with no real server: a corrupt file is skipped with a warning
//! by every command, and `backups` tells update and rollback backups, confirmed or not, and
//! the pool each belongs to.

use crate::harness::fake::DEFAULTS;
use crate::harness::fixtures::{current, files_under};
use crate::harness::{Output, Run};
use poolsync::backup::{self, Backup, WriteKind};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The API URL the `backups` listing tests name in their files; nothing listens there.
const NOWHERE: &str = "http://127.0.0.1:9/api";
/// The name of the truncated backup: newer than any real one.
const BROKEN: &str = "29990101T000000.000000Z.json";

fn pool(name: &str) -> Value {
    json!({"id": format!("id-{name}"), "name": name, "type": "kubernetes",
           "base_job_template": current(), "updated": "2024-01-01T00:00:00Z"})
}

fn saved(api: &str, kind: WriteKind, confirmed: bool) -> Backup {
    Backup {
        confirmed,
        default: Some(json!({"old": "default"})),
        ..Backup::new(api, pool("k8s"), kind)
    }
}

/// Writes a confirmed update backup of `k8s` read from `api` and, newer, a truncated one
/// (what a kill mid-write used to leave).
fn good_and_broken(dir: &Path, api: &str) {
    backup::write(dir, &saved(api, WriteKind::Update, true)).unwrap();
    let broken = backup::pool_dir(dir, api, "k8s").join(BROKEN);
    std::fs::write(broken, "{\"poolsync_backup\": 1, \"crea").unwrap();
}

/// The good and the broken backup `good_and_broken` wrote for the run's API, checking that
/// the run wrote no other file.
#[track_caller]
fn written(ran: &Output, dir: &Path) -> (PathBuf, PathBuf) {
    let broken = backup::pool_dir(dir, &ran.api, "k8s").join(BROKEN);
    let files = ran.backups(2);
    let good = files.iter().find(|f| **f != broken).unwrap().clone();
    assert!(files.contains(&broken), "{files:?}");
    (good, broken)
}

#[track_caller]
fn warned(out: &Output, broken: &Path) {
    let want = format!("warning: skipping unreadable backup {}", broken.display());
    assert!(out.stderr.contains(&want), "{out}");
}

/// A scenario whose backup folder `dir` holds a good and a broken backup of `k8s`, which
/// the fake stores with another template.
fn with_broken_backup(dir: &Path) -> Run {
    let folder = dir.to_path_buf();
    Run::fake()
        .pool("k8s", json!({"other": 1}))
        .backup_dir(dir)
        .prepare(move |api| good_and_broken(&folder, api))
}

/// A truncated backup is warned about by name and skipped: `update`, `backups` and
/// `rollback --latest` all go on with the readable ones, and none writes a backup.
#[test]
fn a_corrupt_backup_never_blocks_a_command() {
    let dir = TempDir::new().unwrap();
    let ran = with_broken_backup(dir.path())
        .args(["update", "k8s", "--dry-run"])
        .run();
    let defaults = format!("GET {DEFAULTS}");
    ran.code(0)
        .requests("GET /work_pools/k8s", 1)
        .requests(&defaults, 1)
        .only_routes(&["GET /work_pools/k8s", &defaults])
        .stdout_has("k8s: would change");
    let (good, broken) = written(&ran, dir.path());
    warned(&ran, &broken);

    let out = Run::new(["backups", "--backup-dir"]).arg(dir.path()).run();
    out.code(0);
    warned(&out, &broken);
    assert!(out.stdout.contains(good.to_str().unwrap()), "{out}");
    assert!(!out.stdout.contains(broken.to_str().unwrap()), "{out}");

    let dir = TempDir::new().unwrap();
    let ran = with_broken_backup(dir.path())
        .args(["rollback", "k8s", "--latest", "--dry-run"])
        .run();
    ran.code(0)
        .requests("GET /work_pools/k8s", 1)
        .only_routes(&["GET /work_pools/k8s"]);
    let (good, broken) = written(&ran, dir.path());
    warned(&ran, &broken);
    ran.stdout_has(&format!("would roll back to {}", good.display()));
}

/// `backups` names each file's pool (the real name, escaped), whether update or rollback
/// wrote it, and whether its write was confirmed; `backups POOL` lists that pool's only.
#[test]
fn backups_marks_kinds_states_and_pools() {
    let dir = TempDir::new().unwrap();
    let update = backup::write(dir.path(), &saved(NOWHERE, WriteKind::Update, true)).unwrap();
    let rollback = backup::write(dir.path(), &saved(NOWHERE, WriteKind::Rollback, false)).unwrap();
    let mut odd = saved(NOWHERE, WriteKind::Update, true);
    odd.pool["name"] = json!("é-pool\nx");
    let odd = backup::write(dir.path(), &odd).unwrap();
    assert_eq!(files_under(dir.path()).len(), 3);

    let out = Run::new(["backups", "--backup-dir"]).arg(dir.path()).run();
    out.code(0);
    let row = |file: &Path| {
        out.stdout
            .lines()
            .find(|l| l.ends_with(file.to_str().unwrap()))
            .unwrap_or_else(|| panic!("no row for {}; {out}", file.display()))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(row(&update)[1..4], ["k8s", "update", "confirmed"], "{out}");
    assert_eq!(
        row(&rollback)[1..4],
        ["k8s", "rollback", "unconfirmed"],
        "{out}"
    );
    assert_eq!(
        row(&odd)[1..4],
        ["é-pool\\nx", "update", "confirmed"],
        "{out}"
    );
    assert_eq!(out.stdout.lines().count(), 4, "{out}");

    let out = Run::new(["backups", "é-pool\nx", "--backup-dir"])
        .arg(dir.path())
        .run();
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 2, "{out}");
    assert!(out.stdout.contains(odd.to_str().unwrap()), "{out}");
}
