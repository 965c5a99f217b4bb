//! Finding backups again: every file under the folder, one pool's files newest first with
//! unreadable ones reported and skipped, and the base a new three-way merge should use.

use super::layout::{pool_folders, server_key};
use super::{Backup, WriteKind, read};
use crate::error::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One backup found on disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The server folder name.
    pub server: String,
    /// The pool folder name.
    pub pool: String,
    /// The file's timestamp name, without `.json` (or `.confirmed.json`).
    pub stamp: String,
    /// The file.
    pub path: PathBuf,
}

/// Every backup file under `dir`, oldest first, optionally only one server's or one pool's
/// (by real pool name: its folders of both layouts). Files are not opened. With both a
/// server and a pool, only that pool's (at most two) folders are read: a batch looks up
/// every pool's backups, and listing the whole server's folders each time would make a
/// run over n pools touch n² folders.
pub fn list(dir: &Path, server: Option<&str>, pool: Option<&str>) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let server_dirs = match server {
        Some(server) => vec![dir.join(server)],
        None => subdirs(dir)?,
    };
    for server_dir in server_dirs {
        let server_name = file_name(&server_dir);
        let pool_dirs = match pool {
            Some(pool) => pool_folders(pool)
                .into_iter()
                .map(|folder| server_dir.join(folder))
                .collect(),
            None => subdirs(&server_dir)?,
        };
        for pool_dir in pool_dirs {
            let pool_name = file_name(&pool_dir);
            let Some(files) = read_dir_if_any(&pool_dir)? else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                let stamp = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| !n.starts_with('.'))
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(|n| n.strip_suffix(".confirmed").unwrap_or(n));
                if let Some(stamp) = stamp {
                    entries.push(Entry {
                        server: server_name.clone(),
                        pool: pool_name.clone(),
                        stamp: stamp.to_string(),
                        path,
                    });
                }
            }
        }
    }
    entries.sort_by(|a, b| (&a.stamp, &a.server, &a.pool).cmp(&(&b.stamp, &b.server, &b.pool)));
    Ok(entries)
}

/// One pool's readable backups on one server, newest first. A file that cannot be read is
/// reported on stderr (naming it) and skipped; a file recording another pool's name (an
/// older-layout folder shared by two names) is skipped.
pub fn readable(dir: &Path, api_url: &str, pool: &str) -> Result<Vec<(Entry, Backup)>> {
    Ok(newest_first(dir, api_url, pool)?.collect())
}

/// [`readable`], lazily: files are opened only as far as the caller looks.
fn newest_first<'a>(
    dir: &Path,
    api_url: &str,
    pool: &'a str,
) -> Result<impl Iterator<Item = (Entry, Backup)> + use<'a>> {
    let entries = list(dir, Some(&server_key(api_url)), Some(pool))?;
    Ok(entries
        .into_iter()
        .rev()
        .filter_map(move |entry| match read(&entry.path) {
            Ok(backup) if backup.pool_name() == Some(pool) => Some((entry, backup)),
            Ok(_) => None,
            Err(e) => {
                warn_unreadable(&entry.path, &e);
                None
            }
        }))
}

/// Says on stderr that a backup file is skipped, and why.
pub fn warn_unreadable(path: &Path, error: &Error) {
    eprintln!(
        "warning: skipping unreadable backup {}: {error}; move it away to silence this",
        path.display()
    );
}

/// The newest readable backup of one pool on one server.
pub fn latest(dir: &Path, api_url: &str, pool: &str) -> Result<Option<Entry>> {
    Ok(newest_first(dir, api_url, pool)?
        .next()
        .map(|(entry, _)| entry))
}

/// The base a new three-way merge of the pool should use, from the newest backup of the
/// same pool id whose write is known to have landed: the `default` an update merged in, or
/// for a rollback the `base` that belongs to the template it restored. A write landed when
/// it was confirmed, or when the pool holds (`current`) exactly what it sent: a write whose
/// read-back failed still landed, and its record (not an older one) says what the pool's
/// template is based on. Other unconfirmed backups (a write that failed, was interrupted,
/// or predates confirmation) and backups of another pool id (a pool deleted and created
/// again under the same name) are passed over. `None` without a `pool_id`.
pub fn recorded_base(
    dir: &Path,
    api_url: &str,
    pool_name: &str,
    pool_id: Option<&str>,
    current: &Value,
) -> Result<Option<(PathBuf, Value)>> {
    let Some(pool_id) = pool_id else {
        return Ok(None);
    };
    let landed = |b: &Backup| b.confirmed || b.merged.as_ref() == Some(current);
    let newest = newest_first(dir, api_url, pool_name)?
        .find(|(_, b)| b.pool_id() == Some(pool_id) && landed(b));
    Ok(newest.and_then(|(entry, b)| {
        let base = match b.kind {
            WriteKind::Update => b.default,
            WriteKind::Rollback => b.base,
        };
        base.map(|base| (entry.path, base))
    }))
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(read_dir_if_any(dir)?
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default())
}

/// The entries of `dir`, or `None` when there is no such folder (or a file in its place,
/// or a name too long for one: an older-layout folder of a long pool name): no backups
/// there (writing one will say why not).
fn read_dir_if_any(dir: &Path) -> Result<Option<std::fs::ReadDir>> {
    use std::io::ErrorKind::{InvalidFilename, NotADirectory, NotFound};
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if matches!(e.kind(), NotFound | NotADirectory | InvalidFilename) => Ok(None),
        Err(source) => Err(Error::Io {
            action: "read",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
