use super::*;
use serde_json::json;

fn backup(created: &str, kind: WriteKind, restored: Option<&str>, id: &str) -> (Entry, Backup) {
    let mut b = Backup::new("http://x/api", json!({"name": "p", "id": id}), kind);
    b.created = created.to_string();
    b.restored = restored.map(str::to_string);
    b.confirmed = true;
    let entry = Entry {
        server: "x".into(),
        pool: "p".into(),
        stamp: created.into(),
        path: PathBuf::from(format!("{created}.json")),
    };
    (entry, b)
}

fn target(history: &[(Entry, Backup)], steps: usize) -> Option<String> {
    walk_back(history, Some("id"), steps, &json!({"now": true})).map(|(_, b)| b.created)
}

#[test]
fn latest_walks_back_instead_of_toggling() {
    // Newest first: three updates u3, u2, u1.
    let mut history = vec![
        backup("u3", WriteKind::Update, None, "id"),
        backup("u2", WriteKind::Update, None, "id"),
        backup("u1", WriteKind::Update, None, "id"),
    ];
    assert_eq!(target(&history, 1).as_deref(), Some("u3"));
    assert_eq!(target(&history, 2).as_deref(), Some("u2"));
    // After restoring u3, the next --latest restores u2, not u3's "after" state.
    history.insert(0, backup("r1", WriteKind::Rollback, Some("u3"), "id"));
    assert_eq!(target(&history, 1).as_deref(), Some("u2"));
    history.insert(0, backup("r2", WriteKind::Rollback, Some("u2"), "id"));
    assert_eq!(target(&history, 1).as_deref(), Some("u1"));
    history.insert(0, backup("r3", WriteKind::Rollback, Some("u1"), "id"));
    assert_eq!(target(&history, 1), None, "nothing older to walk back to");
}

#[test]
fn steps_skip_several_and_other_pool_ids_do_not_count() {
    let history = vec![
        backup("u3", WriteKind::Update, None, "id"),
        backup("old", WriteKind::Update, None, "other-id"),
        backup("u2", WriteKind::Update, None, "id"),
        backup("u1", WriteKind::Update, None, "id"),
    ];
    assert_eq!(target(&history, 3).as_deref(), Some("u1"));
    assert_eq!(target(&history, 4), None);
}

#[test]
fn the_last_write_is_the_newest_confirmed_one_of_this_pool() {
    let mut newer = backup("u2", WriteKind::Update, None, "id");
    newer.1.confirmed = false;
    newer.1.merged = Some(json!({"m": 2}));
    let mut older = backup("u1", WriteKind::Update, None, "id");
    older.1.merged = Some(json!({"m": 1}));
    let history = vec![newer, older];
    let now = json!({"now": true});
    assert_eq!(
        last_write(&history, Some("id"), &now),
        Some(&json!({"m": 1}))
    );
    assert_eq!(last_write(&history, Some("other"), &now), None);
    // The newer write landed after all (its read-back failed): the pool holds it.
    assert_eq!(
        last_write(&history, Some("id"), &json!({"m": 2})),
        Some(&json!({"m": 2}))
    );
}

#[test]
fn a_failed_rollback_is_no_step() {
    let mut history = vec![
        backup("u3", WriteKind::Update, None, "id"),
        backup("u2", WriteKind::Update, None, "id"),
        backup("u1", WriteKind::Update, None, "id"),
    ];
    // A rollback to u3's state refused with a 422: nothing written, never confirmed.
    let mut failed = backup("r1", WriteKind::Rollback, Some("u3"), "id");
    failed.1.confirmed = false;
    failed.1.merged = Some(json!({"before": 3}));
    history.insert(0, failed);
    assert_eq!(target(&history, 1).as_deref(), Some("u3"));
    assert_eq!(target(&history, 2).as_deref(), Some("u2"));
}

#[test]
fn latest_never_picks_the_backup_of_a_failed_write() {
    let mut failed = backup("u2", WriteKind::Update, None, "id");
    failed.1.confirmed = false;
    failed.1.merged = Some(json!({"m": 2}));
    let history = vec![failed, backup("u1", WriteKind::Update, None, "id")];
    assert_eq!(target(&history, 1).as_deref(), Some("u1"));
}

#[test]
fn a_rollback_that_landed_unconfirmed_is_a_step() {
    let mut landed = backup("r1", WriteKind::Rollback, Some("u2"), "id");
    landed.1.confirmed = false;
    landed.1.merged = Some(json!({"now": true}));
    let history = vec![
        landed,
        backup("u2", WriteKind::Update, None, "id"),
        backup("u1", WriteKind::Update, None, "id"),
    ];
    assert_eq!(target(&history, 1).as_deref(), Some("u1"));
}
