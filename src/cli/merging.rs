//! The values of `--strategy` and `--base`: how `update`, `merge` and `explain` merge and
//! compare templates.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// How to merge the current template into the default (`--strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    /// jq's merge plus `variables.required` union and schema warnings.
    Schema,
    /// Exactly `jq -s '.[0] * .[1]'` (default as base, current wins).
    Jq,
}

/// `--base`: where a three-way merge's base comes from (`auto`, `backup`, `none` or FILE);
/// the engine's type, so the flag value and the base it decides share one vocabulary.
pub use poolsync_engine::history::BaseArg;

/// `--history-file`: the released defaults a base is inferred from.
#[derive(Debug, Clone, Default, Args)]
pub struct HistoryArgs {
    /// Infer bases from this history instead of the embedded one: a JSON array of the objects
    /// `poolsync default --type T --history --output json` prints (your own worker types or
    /// golden templates as entries of their own).
    #[arg(long, value_name = "FILE", env = "POOLSYNC_HISTORY_FILE")]
    pub history_file: Option<PathBuf>,
}
