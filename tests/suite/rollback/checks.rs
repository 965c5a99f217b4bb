//! `rollback`'s checks on the real server: a pool edited after poolsync's write is refused
//! unless `--force`, a pool deleted and created again under the name is refused, and repeated
//! `--latest` walks back through the writes instead of toggling between the last two.

use crate::harness::live::{self, api_url, create_pool, delete_pool, read_template, unique};
use crate::harness::{Output, Run};
use serde_json::{Value, json};
use std::path::Path;

/// A process template: an env default the test changes from write to write.
pub(crate) fn template(tag: &str) -> Value {
    json!({
        "job_configuration": {"command": "{{ command }}", "env": "{{ env }}"},
        "variables": {"type": "object", "properties": {
            "command": {"type": "string", "default": "python flow.py"},
            "env": {"type": "object", "default": {"TAG": tag}},
        }},
    })
}

/// The "new default" of a write: `template("t0")` plus a variable `extra`, so a two-way merge
/// into any of the pool's states adds it.
pub(crate) fn upstream(extra: &str) -> Value {
    let mut t = template("t0");
    t["job_configuration"][extra] = json!(format!("{{{{ {extra} }}}}"));
    t["variables"]["properties"][extra] = json!({"type": "string", "default": extra});
    t
}

fn write_file(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("template file");
    path.display().to_string()
}

/// `update POOL --template FILE` two-way into `backups`.
fn update(pool: &str, file: &str, backups: &Path) {
    Run::new(["update", pool, "--template", file, "--base", "none"])
        .backup_dir(backups)
        .live()
        .run()
        .code(0);
}

fn rollback(pool: &str, backups: &Path, extra: &[&str]) -> Output {
    Run::new(["rollback", pool])
        .args(extra)
        .backup_dir(backups)
        .live()
        .run()
}

fn patch_template(pool: &str, value: &Value) {
    let url = format!("{}/work_pools/{pool}", api_url());
    let body = json!({"base_job_template": value});
    let (resp, _) = live::send("edit pool", |c| c.patch(&url).json(&body));
    assert!(resp.status().is_success(), "{}", resp.status());
}

/// Two writes, then `rollback --latest` twice: first the state before the second write, then
/// the state before the first (not back to the second write's result). An edit made after
/// poolsync's write is refused until `--force`.
#[test]
fn repeated_latest_walks_back() {
    let pool = unique("walk");
    let dir = tempfile::tempdir().expect("dir");
    create_pool(&pool, "process", &template("t0"));
    let one = write_file(dir.path(), "one.json", &upstream("extra1"));
    let two = write_file(dir.path(), "two.json", &upstream("extra2"));
    update(&pool, &one, dir.path());
    assert_ne!(
        read_template(&pool),
        template("t0"),
        "write one changed the pool"
    );
    patch_template(&pool, &template("t1-edit"));
    let refused = rollback(&pool, dir.path(), &["--latest"]).exit(4);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(read_template(&pool), template("t1-edit"), "nothing written");
    update(&pool, &two, dir.path());
    assert_ne!(
        read_template(&pool),
        template("t1-edit"),
        "write two changed the pool"
    );

    rollback(&pool, dir.path(), &["--latest"]).exit(0);
    assert_eq!(
        read_template(&pool),
        template("t1-edit"),
        "the state before write two"
    );
    rollback(&pool, dir.path(), &["--latest"]).exit(0);
    assert_eq!(
        read_template(&pool),
        template("t0"),
        "the state before write one"
    );
    delete_pool(&pool);
}

/// `--force` rolls back over an edit made after poolsync's write.
#[test]
fn force_rolls_back_over_a_later_edit() {
    let pool = unique("force");
    let dir = tempfile::tempdir().expect("dir");
    create_pool(&pool, "process", &template("t0"));
    let one = write_file(dir.path(), "one.json", &upstream("extra1"));
    update(&pool, &one, dir.path());
    patch_template(&pool, &template("edit"));
    let forced = rollback(&pool, dir.path(), &["--latest", "--force"]).exit(0);
    assert!(
        forced.stderr.contains("edit"),
        "the later edit is shown: {}",
        forced.stderr
    );
    assert_eq!(read_template(&pool), template("t0"));
    delete_pool(&pool);
}

/// A pool deleted and created again under the same name is another pool: its old backups
/// are not restored onto it, even with `--force`.
#[test]
fn a_recreated_pool_is_refused() {
    let pool = unique("recreated");
    let dir = tempfile::tempdir().expect("dir");
    create_pool(&pool, "process", &template("t0"));
    let one = write_file(dir.path(), "one.json", &upstream("extra1"));
    update(&pool, &one, dir.path());
    delete_pool(&pool);
    create_pool(&pool, "process", &template("new"));
    let refused = rollback(&pool, dir.path(), &["--latest", "--force"]).exit(4);
    assert!(
        refused.stderr.contains("deleted and created again"),
        "{}",
        refused.stderr
    );
    assert_eq!(read_template(&pool), template("new"));
    delete_pool(&pool);
}
