//! Backup files: the full pool as read, the default it was merged with and the result,
//! written atomically (mode 0600, temp file, fsync, rename, fsync of the folder) before
//! every write, confirmed once the write is read back, and found again for `rollback`,
//! `backups` and the three-way merge's base.
//!
//! Layout: `<dir>/<server>/<pool folder>/<UTC timestamp>.json`, where `<server>` is the API
//! host (and port), plus `-<workspace id>` for Prefect Cloud workspaces, and the pool folder
//! is the name made safe and capped, plus a hash of the real name (see [`pool_folder`]).
//! Folders of the older layout (the safe name alone) are still read.

mod atomic;
mod found;
mod layout;

pub use found::{Entry, latest, list, readable, recorded_base, warn_unreadable};
pub use layout::{pool_dir, pool_folder, server_key};

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Which command wrote a backup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    /// Written by `update` before it pushed a merged template (and by older versions).
    #[default]
    Update,
    /// Written by `rollback` before it restored an older template.
    Rollback,
}

impl WriteKind {
    /// The kind as `backups` shows it.
    pub fn label(self) -> &'static str {
        match self {
            WriteKind::Update => "update",
            WriteKind::Rollback => "rollback",
        }
    }
}

/// What one backup file holds. Fields added after version 1 have defaults, so older files
/// still read; an older file counts as unconfirmed (see [`Backup::confirmed`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// Format version.
    pub poolsync_backup: u32,
    /// When it was written (UTC, RFC 3339).
    pub created: String,
    /// The API the pool lives on.
    pub api_url: String,
    /// The pool exactly as the server returned it before the write.
    pub pool: Value,
    /// The default template merged in (what a later three-way merge uses as its base, once
    /// the write is confirmed).
    #[serde(default)]
    pub default: Option<Value>,
    /// The template that was about to be written.
    #[serde(default)]
    pub merged: Option<Value>,
    /// Which command wrote it.
    #[serde(default)]
    pub kind: WriteKind,
    /// The base template the merge used, if any; for a rollback, the base that belongs to
    /// the restored template.
    #[serde(default)]
    pub base: Option<Value>,
    /// Where `base` came from (its [`Origin`](poolsync_engine::history::Origin) as text),
    /// e.g. `the file base.json (--base)`. Stored as `base_source`, the name every backup
    /// file has used.
    #[serde(default, rename = "base_source")]
    pub base_origin: Option<String>,
    /// For a rollback: the `created` time of the backup it restored (how repeated
    /// `rollback --latest` walks back instead of toggling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored: Option<String>,
    /// True once the write was read back and the server held what was sent (as read: the
    /// file says false, and [`confirm`]'s rename makes it true). False while the
    /// write is pending, and for every file written before this field existed: those were
    /// written before their PATCH with no word on whether it landed.
    #[serde(default)]
    pub confirmed: bool,
}

impl Backup {
    /// A new, unconfirmed record of `pool` (as read from `api_url`) about to be written.
    pub fn new(api_url: &str, pool: Value, kind: WriteKind) -> Backup {
        Backup {
            poolsync_backup: 1,
            created: chrono::Utc::now().to_rfc3339(),
            api_url: api_url.to_string(),
            pool,
            default: None,
            merged: None,
            kind,
            base: None,
            base_origin: None,
            restored: None,
            confirmed: false,
        }
    }

    /// The pool's name as recorded.
    pub fn pool_name(&self) -> Option<&str> {
        self.pool.get("name").and_then(Value::as_str)
    }

    /// The pool's id as recorded.
    pub fn pool_id(&self) -> Option<&str> {
        self.pool.get("id").and_then(Value::as_str)
    }

    /// The pool's base job template as recorded.
    pub fn template(&self) -> Option<&Value> {
        self.pool.get("base_job_template")
    }
}

/// The default backup folder: `$XDG_STATE_HOME/poolsync/backups` (or the platform's
/// state / local data folder).
pub fn default_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::state_dir)
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("poolsync").join("backups"))
}

/// The backup folder a command uses: `--backup-dir` when given, else [`default_dir`].
pub(crate) fn dir_or_default(flag: Option<&Path>) -> Result<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(default_dir)
        .ok_or(Error::NoBackupDir)
}

/// Writes a backup atomically and durably (mode 0600); returns its path. A kill at any
/// moment leaves either no file or the whole file, never a torn one.
pub fn write(dir: &Path, backup: &Backup) -> Result<PathBuf> {
    let draft = Draft {
        poolsync_backup: backup.poolsync_backup,
        created: backup.created.clone(),
        api_url: &backup.api_url,
        pool: &backup.pool,
        default: backup.default.as_ref(),
        merged: backup.merged.as_ref(),
        kind: backup.kind,
        base: backup.base.as_ref(),
        base_origin: backup.base_origin.as_deref(),
        restored: backup.restored.as_deref(),
        confirmed: backup.confirmed,
    };
    write_draft(dir, backup.pool_name().unwrap_or("unnamed"), &draft)
}

/// A backup as it is written: the fields of [`Backup`] (which reads the file back), in its
/// order, borrowed from the write that makes it, so the pool as read, the default, the merge
/// and its base are written out, not copied first.
#[derive(Debug, Serialize)]
pub struct Draft<'a, P> {
    /// Format version.
    pub poolsync_backup: u32,
    /// When it was written (UTC, RFC 3339).
    pub created: String,
    /// The API the pool lives on.
    pub api_url: &'a str,
    /// The pool exactly as the server returned it before the write.
    pub pool: &'a P,
    /// The default template merged in.
    pub default: Option<&'a Value>,
    /// The template that was about to be written.
    pub merged: Option<&'a Value>,
    /// Which command wrote it.
    pub kind: WriteKind,
    /// The base template the merge used, if any.
    pub base: Option<&'a Value>,
    /// Where `base` came from, stored as `base_source`.
    #[serde(rename = "base_source")]
    pub base_origin: Option<&'a str>,
    /// For a rollback: the `created` time of the backup it restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored: Option<&'a str>,
    /// False when written: [`confirm`]'s rename makes it true.
    pub confirmed: bool,
}

impl<'a, P> Draft<'a, P> {
    /// A new, unconfirmed backup of `pool` (as read from `api_url`), version 1, made now.
    pub fn new(api_url: &'a str, pool: &'a P, kind: WriteKind) -> Draft<'a, P> {
        Draft {
            poolsync_backup: 1,
            created: chrono::Utc::now().to_rfc3339(),
            api_url,
            pool,
            default: None,
            merged: None,
            kind,
            base: None,
            base_origin: None,
            restored: None,
            confirmed: false,
        }
    }
}

/// Writes `draft`, the backup of the pool `name`, atomically and durably (mode 0600);
/// returns its path (see [`write`]).
pub fn write_draft<P: Serialize>(dir: &Path, name: &str, draft: &Draft<'_, P>) -> Result<PathBuf> {
    let staged = stage(dir, name, draft)?;
    let path = staged.path.clone();
    write_staged(vec![Ok(Some(staged))])
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    Ok(path)
}

/// A backup encoded under the file it goes to, not written yet ([`write_staged`]).
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// Encodes `draft`, the backup of the pool `name`, under its file in `dir`.
pub fn stage<P: Serialize>(dir: &Path, name: &str, draft: &Draft<'_, P>) -> Result<Staged> {
    let folder = pool_dir(dir, draft.api_url, name);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    Ok(Staged {
        path: folder.join(format!("{stamp}.json")),
        bytes: encode(draft)?,
    })
}

/// Writes a batch of backups, each atomically and durably (mode 0600), their fsyncs
/// together. Each slot holds an error already, nothing to write, or a backup; its answer is
/// the error, nothing, or the path written.
pub fn write_staged(slots: Vec<Result<Option<Staged>>>) -> Vec<Result<Option<PathBuf>>> {
    atomic::write_all(
        slots
            .into_iter()
            .map(|slot| slot.map(|staged| staged.map(|s| (s.path, s.bytes))))
            .collect(),
    )
}

/// Marks the backup at `path` confirmed (its write was read back) by renaming it to
/// `<stamp>.confirmed.json`; returns the new path. The file is never rewritten, so nothing
/// can tear it, and no fsync is needed: a crash leaves one name or the other, both whole,
/// and losing the rename only leaves the backup unconfirmed (the safe side: its default
/// does not become a base). Rewriting it instead, with two more fsyncs per pool, slowed a
/// SQLite server on the same disk enough to fail concurrent writes in the real-server
/// batch tests.
pub fn confirm(path: &Path) -> Result<PathBuf> {
    if is_confirmed(path) {
        return Ok(path.to_path_buf());
    }
    let stamp = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".json"))
        .unwrap_or_default();
    let confirmed = path.with_file_name(format!("{stamp}{CONFIRMED}"));
    std::fs::rename(path, &confirmed).map_err(|source| Error::Io {
        action: "confirm backup",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(confirmed)
}

/// How the file name of a confirmed backup ends.
const CONFIRMED: &str = ".confirmed.json";

fn is_confirmed(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(CONFIRMED))
}

fn encode(backup: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(backup).map_err(|e| Error::Shape {
        input: "backup".into(),
        message: e.to_string(),
    })
}

/// Reads one backup file.
pub fn read(path: &Path) -> Result<Backup> {
    let value = crate::input::read_json(path)?;
    let mut backup: Backup = serde_json::from_value(value).map_err(|e| Error::Shape {
        input: path.display().to_string(),
        message: format!("is not a poolsync backup ({e}); pass a file from `poolsync backups`"),
    })?;
    backup.confirmed |= is_confirmed(path);
    Ok(backup)
}

#[cfg(test)]
#[path = "backup/tests.rs"]
mod tests;
