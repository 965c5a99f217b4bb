//! The args of the commands that read poolsync's backups: `rollback` and `backups`, and the
//! `--backup-dir` they share with `explain`.

use super::connection::ConnectionArgs;
use clap::Args;
use std::path::PathBuf;

/// `--backup-dir` of the commands that read backups (`update`, which writes them, words its
/// own).
#[derive(Debug, Args)]
pub struct BackupDirArgs {
    /// Where backups are [default: $XDG_STATE_HOME/poolsync/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

/// Arguments of `poolsync rollback`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["to", "latest", "steps"]))]
pub struct RollbackArgs {
    /// The pool to restore.
    #[arg(value_name = "POOL")]
    pub pool: String,

    /// Restore this backup file (see `poolsync backups`).
    #[arg(long, value_name = "FILE")]
    pub to: Option<PathBuf>,

    /// Restore the pool's newest backup from this server; run again to walk further back
    /// (a rollback's own backup is never the target).
    #[arg(long)]
    pub latest: bool,

    /// Walk back N writes at once (`--steps 1` is `--latest`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub steps: Option<u16>,

    /// Roll back even if the pool was changed after poolsync's last write (those later
    /// edits are shown as a diff and then lost).
    #[arg(long)]
    pub force: bool,

    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Where backups are.
    #[command(flatten)]
    pub backups: BackupDirArgs,

    /// How to reach the Prefect API.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Arguments of `poolsync backups`.
#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// Only this pool's backups.
    #[arg(value_name = "POOL")]
    pub pool: Option<String>,

    /// Where backups are.
    #[command(flatten)]
    pub backups: BackupDirArgs,
}
