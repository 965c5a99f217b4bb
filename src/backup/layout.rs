//! Folder names: one per server and one per pool, each a single safe path segment. A pool's
//! folder is injective in the pool's name (a hash of the real name is part of it) and
//! bounded in length, whatever the name holds.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// The most characters of a pool's (made safe) name kept in its folder name.
const NAME_CAP: usize = 64;

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
/// Not injective (`é-pool` and `ü-pool` both give `_-pool`): this alone was the pool folder
/// name of the older layout.
pub(super) fn safe(name: &str) -> String {
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

/// The folder name of a pool: its safe name capped at 64 characters, `-`, and the 64-bit
/// FNV-1a hash of the real name in 16 hex digits, e.g. `k8s-a1b2c3d4e5f60718`. FNV-1a is
/// fixed by its definition, so the name is the same across versions and platforms.
pub fn pool_folder(pool: &str) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(pool.as_bytes());
    let short: String = safe(pool).chars().take(NAME_CAP).collect();
    format!("{short}-{:016x}", hasher.finish())
}

/// Where one pool's backups are written.
pub fn pool_dir(dir: &Path, api_url: &str, pool: &str) -> PathBuf {
    dir.join(server_key(api_url)).join(pool_folder(pool))
}

/// The folder names that may hold backups of `pool`: its folder of this layout, and of the
/// older one (which other names may share, so the files' recorded names decide).
pub(super) fn pool_folders(pool: &str) -> Vec<String> {
    let mut folders = vec![pool_folder(pool), safe(pool)];
    folders.dedup();
    folders
}
