//! `poolsync backups`: one line per backup file, oldest first, naming the pool it belongs
//! to, whether `update` or `rollback` wrote it, and whether its write was confirmed.

use crate::backup::{self, Backup, Entry};
use crate::cli::BackupsArgs;
use crate::error::Result;
use crate::exit;
use poolsync_engine::display::escape;

/// One row of the listing.
struct Row {
    server: String,
    pool: String,
    kind: &'static str,
    state: &'static str,
    stamp: String,
    file: String,
}

impl Row {
    fn new(entry: &Entry, backup: &Backup) -> Row {
        Row {
            server: entry.server.clone(),
            pool: escape(backup.pool_name().unwrap_or("?")).into_owned(),
            kind: backup.kind.label(),
            state: if backup.confirmed {
                "confirmed"
            } else {
                "unconfirmed"
            },
            stamp: entry.stamp.clone(),
            file: escape(&entry.path.display().to_string()).into_owned(),
        }
    }
}

/// Runs `backups`. Unreadable files are reported on stderr and left out.
pub(super) fn run(args: &BackupsArgs) -> Result<u8> {
    let dir = backup::dir_or_default(args.backups.backup_dir.as_deref())?;
    let mut rows = Vec::new();
    for entry in backup::list(&dir, None, args.pool.as_deref())? {
        match backup::read(&entry.path) {
            Ok(saved)
                if args
                    .pool
                    .as_deref()
                    .is_none_or(|p| saved.pool_name() == Some(p)) =>
            {
                rows.push(Row::new(&entry, &saved));
            }
            Ok(_) => {}
            Err(e) => backup::warn_unreadable(&entry.path, &e),
        }
    }
    if rows.is_empty() {
        eprintln!("no backups under {}", dir.display());
        return Ok(exit::SUCCESS);
    }
    let width = |f: fn(&Row) -> usize, title: &str| {
        rows.iter().map(f).chain([title.len()]).max().unwrap_or(0)
    };
    let ws = width(|r| r.server.chars().count(), "SERVER");
    let wp = width(|r| r.pool.chars().count(), "POOL");
    println!(
        "{:ws$}  {:wp$}  {:8}  {:11}  {:27}  FILE",
        "SERVER", "POOL", "KIND", "STATE", "TIME"
    );
    for r in &rows {
        println!(
            "{:ws$}  {:wp$}  {:8}  {:11}  {:27}  {}",
            r.server, r.pool, r.kind, r.state, r.stamp, r.file
        );
    }
    Ok(exit::SUCCESS)
}
