//! Broken and mixed backups, with no real server: a corrupt file is skipped with a warning
//! by every command, and `backups` tells update and rollback backups, confirmed or not, and
//! the pool each belongs to.



use crate::mock::{api, current, defaults_mock, poolsync, run, strict};
use poolsync::backup::{self, Backup, Kind};
use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pool(name: &str) -> Value {
    json!({"id": format!("id-{name}"), "name": name, "type": "kubernetes",
           "base_job_template": current(), "updated": "2024-01-01T00:00:00Z"})
}

/// The backup folder of `pool` on `server`, as poolsync writes it.
fn folder(dir: &TempDir, server: &MockServer, pool: &str) -> std::path::PathBuf {
    backup::pool_dir(dir.path(), &api(server), pool)
}

fn saved(server: &MockServer, kind: Kind, confirmed: bool) -> Backup {
    Backup {
        confirmed,
        default: Some(json!({"old": "default"})),
        ..Backup::new(&api(server), pool("k8s"), kind)
    }
}

/// A truncated backup (what a kill mid-write used to leave) is warned about by name and
/// skipped: `update`, `backups` and `rollback --latest` all go on with the readable ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_backup_never_blocks_a_command() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let good = backup::write(dir.path(), &saved(&server, Kind::Update, true)).unwrap();
    let broken = folder(&dir, &server, "k8s").join("29990101T000000.000000Z.json");
    std::fs::write(&broken, "{\"poolsync_backup\": 1, \"crea").unwrap();
    let mut stored = pool("k8s");
    stored["base_job_template"] = json!({"other": 1});
    Mock::given(method("GET"))
        .and(path("/api/work_pools/k8s"))
        .respond_with(ResponseTemplate::new(200).set_body_json(stored))
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    strict(&server).await;
    let backup_dir = dir.path().to_str().unwrap();
    let warned = |out: &mock::Out| {
        let want = format!("warning: skipping unreadable backup {}", broken.display());
        assert!(out.stderr.contains(&want), "{out}");
    };

    let mut cmd = poolsync();
    cmd.args(["update", "k8s", "--dry-run", "--backup-dir", backup_dir])
        .args(["--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    warned(&out);
    assert!(out.stdout.contains("k8s: would change"), "{out}");

    let mut cmd = poolsync();
    cmd.args(["backups", "--backup-dir", backup_dir]);
    let out = run(cmd).await;
    out.code(0);
    warned(&out);
    assert!(out.stdout.contains(good.to_str().unwrap()), "{out}");
    assert!(!out.stdout.contains(broken.to_str().unwrap()), "{out}");

    let mut cmd = poolsync();
    cmd.args([
        "rollback",
        "k8s",
        "--latest",
        "--dry-run",
        "--backup-dir",
        backup_dir,
    ])
    .args(["--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    warned(&out);
    assert!(
        out.stdout
            .contains(&format!("would roll back to {}", good.display())),
        "{out}"
    );
}

/// `backups` names each file's pool (the real name, escaped), whether update or rollback
/// wrote it, and whether its write was confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_marks_kinds_states_and_pools() {
    let (server, dir) = (MockServer::start().await, TempDir::new().unwrap());
    let update = backup::write(dir.path(), &saved(&server, Kind::Update, true)).unwrap();
    let rollback = backup::write(dir.path(), &saved(&server, Kind::Rollback, false)).unwrap();
    let mut odd = saved(&server, Kind::Update, true);
    odd.pool["name"] = json!("é-pool\nx");
    let odd = backup::write(dir.path(), &odd).unwrap();

    let mut cmd = poolsync();
    cmd.args(["backups", "--backup-dir", dir.path().to_str().unwrap()]);
    let out = run(cmd).await;
    out.code(0);
    let row = |file: &std::path::Path| {
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

    let mut cmd = poolsync();
    cmd.args([
        "backups",
        "é-pool\nx",
        "--backup-dir",
        dir.path().to_str().unwrap(),
    ]);
    let out = run(cmd).await;
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 2, "{out}");
}
