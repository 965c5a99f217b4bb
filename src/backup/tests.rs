use super::layout::safe;
use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

const URL: &str = "http://127.0.0.1:4200/api";

fn backup(api_url: &str, pool: &str) -> Backup {
    Backup {
        default: Some(json!({"d": 1})),
        created: "now".into(),
        ..Backup::new(
            api_url,
            json!({"id": "id-1", "name": pool, "base_job_template": {"a": 1}}),
            WriteKind::Update,
        )
    }
}

/// A backup of pool `k8s` with id `id`, confirmed or not, merged with default `{"d": n}`.
fn of(id: &str, confirmed: bool, n: u32) -> Backup {
    let mut b = backup(URL, "k8s");
    b.pool["id"] = json!(id);
    b.default = Some(json!({ "d": n }));
    b.confirmed = confirmed;
    b
}

#[test]
fn server_keys() {
    let cases = [
        ("http://127.0.0.1:4200/api", "127.0.0.1_4200"),
        ("https://user:pw@prefect.internal/api", "prefect.internal"),
        (
            "https://api.prefect.cloud/api/accounts/a1/workspaces/w-9",
            "api.prefect.cloud-w-9",
        ),
    ];
    for (url, want) in cases {
        assert_eq!(server_key(url), want, "{url}");
    }
    assert_eq!(safe("../x/y"), ".._x_y");
    assert_eq!(safe(".."), "_..");
}

#[test]
fn pool_folders_are_injective_bounded_and_stable() {
    // FNV-1a 64 test vectors: the names must never change between versions.
    assert_eq!(pool_folder(""), "_-cbf29ce484222325");
    assert_eq!(pool_folder("a"), "a-af63dc4c8601ec8c");
    let names = ["é-pool", "ü-pool", "_-pool", ".", "..", "_..", "a/b", "a_b"];
    let folders: std::collections::BTreeSet<_> = names.iter().map(|n| pool_folder(n)).collect();
    assert_eq!(folders.len(), names.len(), "{folders:?}");
    let long = "p".repeat(300);
    assert!(pool_folder(&long).len() <= 64 + 17);
    assert_ne!(pool_folder(&long), pool_folder(&"p".repeat(301)));
}

#[test]
fn names_that_used_to_collide_or_be_too_long_are_backed_up_apart() {
    let dir = tempfile::tempdir().unwrap();
    let long = "p".repeat(300);
    for name in ["é-pool", "ü-pool", long.as_str(), ".."] {
        let path = write(dir.path(), &backup(URL, name)).unwrap();
        let found = latest(dir.path(), URL, name).unwrap().unwrap();
        assert_eq!(found.path, path, "{name}");
        assert_eq!(read(&path).unwrap().pool_name(), Some(name));
    }
    assert_eq!(list(dir.path(), None, None).unwrap().len(), 4);
}

#[test]
fn writes_private_files_and_finds_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), &backup(URL, "k8s")).unwrap();
    let second = write(dir.path(), &backup(URL, "k8s")).unwrap();
    write(dir.path(), &backup("http://other:1/api", "k8s")).unwrap();
    write(dir.path(), &backup(URL, "ecs")).unwrap();
    assert_ne!(first, second);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&second).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        latest(dir.path(), URL, "k8s").unwrap().unwrap().path,
        second
    );
    assert_eq!(read(&second).unwrap(), backup(URL, "k8s"));
    assert_eq!(list(dir.path(), None, Some("k8s")).unwrap().len(), 3);
    assert_eq!(list(dir.path(), None, None).unwrap().len(), 4);
    assert!(latest(dir.path(), URL, "none").unwrap().is_none());
    // Nothing but the backups themselves is left in the folder (no temp files).
    let folder = second.parent().unwrap();
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 2);
}

#[test]
fn a_corrupt_or_half_written_backup_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), &backup(URL, "k8s")).unwrap();
    let folder = good.parent().unwrap();
    // Newer than `good`: a truncated file (the old non-atomic failure) and a temp file.
    std::fs::write(
        folder.join("29990101T000000.000000Z.json"),
        "{\"poolsync_ba",
    )
    .unwrap();
    std::fs::write(folder.join(".29990102T000000.000000Z.json.1234.tmp"), "{").unwrap();
    assert_eq!(latest(dir.path(), URL, "k8s").unwrap().unwrap().path, good);
    assert_eq!(readable(dir.path(), URL, "k8s").unwrap().len(), 1);
    assert_eq!(list(dir.path(), None, None).unwrap().len(), 2);
}

#[test]
fn confirm_renames_the_file_without_rewriting_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &backup(URL, "k8s")).unwrap();
    assert!(!read(&path).unwrap().confirmed);
    let before = std::fs::read(&path).unwrap();
    let confirmed = confirm(&path).unwrap();
    assert!(!path.exists());
    let want = Backup {
        confirmed: true,
        ..backup(URL, "k8s")
    };
    assert_eq!(read(&confirmed).unwrap(), want);
    assert_eq!(std::fs::read(&confirmed).unwrap(), before);
    let listed = list(dir.path(), None, None).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, confirmed);
    assert_eq!(
        Some(listed[0].stamp.as_str()),
        path.file_stem().and_then(|s| s.to_str())
    );
    assert_eq!(confirm(&confirmed).unwrap(), confirmed);
    let missing = confirm(&path.with_file_name("gone.json")).unwrap_err();
    assert!(missing.to_string().contains("gone.json"), "{missing}");
}

#[test]
fn legacy_files_and_folders_still_read_as_unconfirmed_updates() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join(server_key(URL)).join("k8s");
    std::fs::create_dir_all(&folder).unwrap();
    let legacy = json!({
        "poolsync_backup": 1, "created": "2024-01-01T00:00:00+00:00", "api_url": URL,
        "pool": {"id": "id-1", "name": "k8s", "base_job_template": {}},
        "default": {"d": 0}, "merged": {"m": 0}
    });
    let path = folder.join("20240101T000000.000000Z.json");
    std::fs::write(&path, legacy.to_string()).unwrap();
    let read_back = read(&path).unwrap();
    assert_eq!(
        (read_back.kind, read_back.confirmed),
        (WriteKind::Update, false)
    );
    assert_eq!(latest(dir.path(), URL, "k8s").unwrap().unwrap().path, path);
    assert_eq!(
        recorded_base(dir.path(), URL, "k8s", Some("id-1"), &json!({})).unwrap(),
        None
    );
    // Another name sharing the old folder (`k8s` is safe as is) is not mixed in.
    assert!(latest(dir.path(), URL, "k8s?").unwrap().is_none());
}

#[test]
fn recorded_base_is_the_newest_confirmed_of_the_same_pool_id() {
    let dir = tempfile::tempdir().unwrap();
    let base = |id: Option<&str>| {
        recorded_base(dir.path(), URL, "k8s", id, &json!({"current": 0}))
            .unwrap()
            .map(|(_, b)| b)
    };
    assert_eq!(base(Some("id-1")), None);
    write(dir.path(), &of("id-1", true, 1)).unwrap();
    assert_eq!(base(Some("id-1")), Some(json!({"d": 1})));
    // A write that never landed changes no base.
    write(dir.path(), &of("id-1", false, 2)).unwrap();
    assert_eq!(base(Some("id-1")), Some(json!({"d": 1})));
    // A pool created again under the same name starts afresh.
    write(dir.path(), &of("id-2", true, 3)).unwrap();
    assert_eq!(base(Some("id-2")), Some(json!({"d": 3})));
    assert_eq!(base(Some("id-1")), Some(json!({"d": 1})));
    assert_eq!(base(None), None);
    // After a confirmed rollback the base is the one recorded for the restored template.
    let mut rollback = of("id-2", true, 4);
    rollback.kind = WriteKind::Rollback;
    rollback.base = Some(json!({"restored": true}));
    write(dir.path(), &rollback).unwrap();
    assert_eq!(base(Some("id-2")), Some(json!({"restored": true})));
    // A corrupt newer file does not block it.
    let newest = latest(dir.path(), URL, "k8s").unwrap().unwrap().path;
    std::fs::write(newest.with_file_name("29990101T000000.000000Z.json"), "").unwrap();
    assert_eq!(base(Some("id-2")), Some(json!({"restored": true})));
}

#[test]
fn an_unconfirmed_write_the_pool_holds_gives_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let base = |current: Value| {
        recorded_base(dir.path(), URL, "k8s", Some("id-1"), &current)
            .unwrap()
            .map(|(_, b)| b)
    };
    write(dir.path(), &of("id-1", true, 1)).unwrap();
    // A rollback whose PATCH landed but whose read-back failed: unconfirmed.
    let mut rollback = of("id-1", false, 2);
    rollback.kind = WriteKind::Rollback;
    rollback.merged = Some(json!({"older": true}));
    rollback.base = Some(json!({"base of older": true}));
    write(dir.path(), &rollback).unwrap();
    assert_eq!(
        base(json!({"older": true})),
        Some(json!({"base of older": true})),
        "the pool holds what the rollback sent: its base applies"
    );
    assert_eq!(
        base(json!({"something else": true})),
        Some(json!({"d": 1})),
        "the rollback did not land: the confirmed update's default applies"
    );
}

#[test]
fn unwritable_dir_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let err = write(&blocker, &backup("http://h/api", "p"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("failed to write backup"), "{err}");
}

#[test]
fn the_base_origin_keeps_its_stored_name_base_source() {
    let stored = json!({
        "poolsync_backup": 1,
        "created": "2026-01-01T00:00:00Z",
        "api_url": "http://x/api",
        "pool": {"name": "p"},
        "base": {"a": 1},
        "base_source": "the file b.json (--base)",
    });
    let read: Backup = serde_json::from_value(stored).expect("an older backup reads");
    assert_eq!(
        read.base_origin.as_deref(),
        Some("the file b.json (--base)")
    );
    let written = serde_json::to_value(&read).expect("serializes");
    assert_eq!(written["base_source"], json!("the file b.json (--base)"));
    assert!(written.get("base_origin").is_none(), "{written}");
}

#[test]
fn a_batch_writes_each_backup_and_passes_errors_and_empty_slots_through() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let (k8s, ecs, blocked) = (backup(URL, "k8s"), backup(URL, "ecs"), backup(URL, "b"));
    fn draft(b: &Backup) -> Draft<'_, Value> {
        Draft {
            default: b.default.as_ref(),
            ..Draft::new(URL, &b.pool, WriteKind::Update)
        }
    }
    let slots = vec![
        stage(dir.path(), "k8s", &draft(&k8s)).map(Some),
        Ok(None),
        Err(Error::NoBackupDir),
        // Its folder cannot be made: a file stands where a folder should be.
        stage(&blocker, "b", &draft(&blocked)).map(Some),
        stage(dir.path(), "ecs", &draft(&ecs)).map(Some),
    ];
    let written = write_staged(slots);
    assert_eq!(written.len(), 5);
    let first = written[0].as_ref().unwrap().clone().unwrap();
    assert!(matches!(written[1], Ok(None)));
    assert!(matches!(written[2], Err(Error::NoBackupDir)));
    let err = written[3].as_ref().unwrap_err().to_string();
    assert!(err.starts_with("failed to write backup"), "{err}");
    let last = written[4].as_ref().unwrap().clone().unwrap();
    assert_eq!(read(&first).unwrap().pool_name(), Some("k8s"));
    assert_eq!(read(&last).unwrap().pool_name(), Some("ecs"));
    assert_eq!(list(dir.path(), None, None).unwrap().len(), 2);
    // No temp file is left beside either.
    for path in [first, last] {
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
