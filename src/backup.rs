//! Backup files: the full pool as read, the default it was merged with and the result,
//! written (mode 0600, fsynced) before every write, and found again for `rollback`,
//! `backups` and the three-way merge's base.
//!
//! Layout: `<dir>/<server>/<pool>/<UTC timestamp>.json`, where `<server>` is the API host
//! (and port), plus `-<workspace id>` for Prefect Cloud workspaces.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What one backup file holds.
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
    /// The default template merged in (what a later three-way merge uses as its base).
    #[serde(default)]
    pub default: Option<Value>,
    /// The template that was about to be written.
    #[serde(default)]
    pub merged: Option<Value>,
}

impl Backup {
    /// The pool's name as recorded.
    pub fn pool_name(&self) -> Option<&str> {
        self.pool.get("name").and_then(Value::as_str)
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

/// The folder name of a server: host and port, plus the Cloud workspace id.
pub fn server_key(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let mut key = safe(host);
    let mut parts = rest.split('/');
    while let Some(part) = parts.next() {
        if part == "workspaces"
            && let Some(id) = parts.next()
        {
            key = format!("{key}-{}", safe(id));
        }
    }
    key
}

/// Replaces anything but letters, digits, `.`, `-` and `_` so a name is one path segment.
fn safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

/// Where one pool's backups live.
pub fn pool_dir(dir: &Path, api_url: &str, pool: &str) -> PathBuf {
    dir.join(server_key(api_url)).join(safe(pool))
}

/// Writes a backup durably (mode 0600, file and folder fsynced); returns its path.
pub fn write(dir: &Path, backup: &Backup) -> Result<PathBuf> {
    let name = backup.pool_name().unwrap_or("unnamed");
    let folder = pool_dir(dir, &backup.api_url, name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action: "write backup",
            path,
            source,
        }
    };
    create_private_dir(&folder).map_err(io(&folder))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let path = folder.join(format!("{stamp}.json"));
    let text = serde_json::to_vec_pretty(backup).map_err(|e| Error::Shape {
        input: "backup".into(),
        message: e.to_string(),
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io(&path))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(io(&path))?;
    std::fs::File::open(&folder)
        .and_then(|d| d.sync_all())
        .map_err(io(&folder))?;
    Ok(path)
}

fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Reads one backup file.
pub fn read(path: &Path) -> Result<Backup> {
    let value = crate::input::read_json(path)?;
    serde_json::from_value(value).map_err(|e| Error::Shape {
        input: path.display().to_string(),
        message: format!("is not a poolsync backup ({e}); pass a file from `poolsync backups`"),
    })
}

/// One backup found on disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The server folder name.
    pub server: String,
    /// The pool folder name.
    pub pool: String,
    /// The file's timestamp name, without `.json`.
    pub stamp: String,
    /// The file.
    pub path: PathBuf,
}

/// Every backup under `dir`, oldest first, optionally only one server's or one pool's.
pub fn list(dir: &Path, server: Option<&str>, pool: Option<&str>) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for server_dir in subdirs(dir)? {
        let server_name = file_name(&server_dir);
        if server.is_some_and(|s| s != server_name) {
            continue;
        }
        for pool_dir in subdirs(&server_dir)? {
            let pool_name = file_name(&pool_dir);
            if pool.is_some_and(|p| safe(p) != pool_name) {
                continue;
            }
            let files = std::fs::read_dir(&pool_dir).map_err(|source| Error::Io {
                action: "read",
                path: pool_dir.clone(),
                source,
            })?;
            for file in files.flatten() {
                let path = file.path();
                if let Some(stamp) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"))
                {
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

/// The newest backup of one pool on one server.
pub fn latest(dir: &Path, api_url: &str, pool: &str) -> Result<Option<Entry>> {
    Ok(list(dir, Some(&server_key(api_url)), Some(pool))?.pop())
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect()),
        // No folder yet, or a file in its place: no backups (writing one will say why not).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(Vec::new())
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn backup(api_url: &str, pool: &str) -> Backup {
        Backup {
            poolsync_backup: 1,
            created: "now".into(),
            api_url: api_url.into(),
            pool: json!({"name": pool, "base_job_template": {"a": 1}}),
            default: Some(json!({"d": 1})),
            merged: None,
        }
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
    fn writes_private_files_and_finds_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let url = "http://127.0.0.1:4200/api";
        let first = write(dir.path(), &backup(url, "k8s")).unwrap();
        let second = write(dir.path(), &backup(url, "k8s")).unwrap();
        write(dir.path(), &backup("http://other:1/api", "k8s")).unwrap();
        write(dir.path(), &backup(url, "ecs")).unwrap();
        assert_ne!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&second).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            latest(dir.path(), url, "k8s").unwrap().unwrap().path,
            second
        );
        assert_eq!(read(&second).unwrap(), backup(url, "k8s"));
        assert_eq!(list(dir.path(), None, Some("k8s")).unwrap().len(), 3);
        assert_eq!(list(dir.path(), None, None).unwrap().len(), 4);
        assert!(latest(dir.path(), url, "none").unwrap().is_none());
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
}
