//! `update`'s flags compiled once into a typed [`Plan`]: which pools, one or many, how many
//! at once, the request budget, the exit rule and the per-pool options. Nothing after this
//! file looks at a clap type.

use super::base::read_base_arg;
use crate::cli::{self, OutputFormat, UpdateArgs};
use crate::error::{Error, Result};
use crate::{exit, input};
use globset::{Glob, GlobSet, GlobSetBuilder};
use poolsync_engine::history::{BaseArg, BaseFile};
use poolsync_engine::merge::Strategy;
use serde_json::Value;
use std::path::PathBuf;

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// A diff (one pool) or a table (many), then a summary line.
    Text,
    /// JSON: one object per pool (JSON lines for many), then a summary object.
    Json,
    /// RFC 6902 JSON Patch (one pool only).
    JsonPatch,
    /// One Markdown report (a table, then each changed pool's diff), printed at the end.
    Markdown(super::markdown::Shape),
}

/// Pools whose writes share one conflict re-read and one read-back request.
pub(super) const CHUNK: usize = 50;

/// Everything `update` will do, decided before anything runs.
#[derive(Debug)]
pub(super) struct Plan {
    /// Which pools.
    pub selection: Selection,
    /// One pool (its diff, per-pool requests) or many (a table or JSON lines).
    pub mode: Mode,
    /// Pools worked on at once, and the most writes in flight.
    pub concurrency: usize,
    /// Pools per shared re-read and read-back.
    pub chunk: usize,
    /// Requests per second at most (`--max-rps`); `None`: learn it from the server's 429s.
    pub max_rps: Option<f64>,
    /// How the reports become the exit code.
    pub exit: ExitRule,
    /// How reports are printed.
    pub format: Format,
    /// Colour in text output.
    pub color: bool,
    /// A progress bar on stderr.
    pub progress: bool,
    /// What each pool's run needs.
    pub sync: SyncOptions,
}

/// Which pools a run works on.
#[derive(Debug)]
pub(super) enum Selection {
    /// These names, in this order.
    Names(Vec<String>),
    /// Every pool the listing returns, of `types` (all when empty), passing `filter`.
    All {
        /// `--type`.
        types: Vec<String>,
        /// `--name` and `--exclude`.
        filter: NameFilter,
    },
}

/// One pool or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `update POOL`: the diff, and an error for main to render.
    One,
    /// `update --all` or several names: one row or JSON line per pool, then a summary.
    Many,
}

/// What every pool's run needs to know.
#[derive(Debug)]
pub(super) struct SyncOptions {
    /// `--template`: merge this instead of the server's default.
    pub template: Option<Value>,
    /// The merge strategy.
    pub strategy: Strategy,
    /// Write nothing.
    pub dry_run: bool,
    /// Where backups go before each write.
    pub backup_dir: Option<PathBuf>,
    /// Also check each pool's deployments against the merged template (and their federated
    /// identity overrides): an upgrade that breaks one is not pushed.
    pub check_deployments: bool,
    /// Push an upgrade that breaks deployments anyway (the findings are still reported).
    pub allow_breaking_deployments: bool,
    /// Where the three-way merge's base comes from.
    pub base: BaseArg<BaseFile>,
    /// The released defaults an inferred base comes from (`--history-file`, else embedded).
    pub history: &'static poolsync_engine::history::History,
}

/// How a run's outcomes become its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ExitRule {
    /// `--dry-run --detailed-exitcode`: pending changes exit 3.
    pub detailed: bool,
}

impl ExitRule {
    /// The exit code of a run that ended with these counts: error if any pool failed, was
    /// invalid or had a conflict; with `detailed`, changes pending if any would change.
    pub(super) fn code(&self, failed: usize, would_change: usize) -> u8 {
        if failed > 0 {
            exit::ERROR
        } else if self.detailed && would_change > 0 {
            exit::CHANGES_PENDING
        } else {
            exit::SUCCESS
        }
    }
}

impl Plan {
    /// Compiles `update`'s flags. `terminal` says whether stderr is a terminal (for the bar).
    pub(super) fn new(args: &UpdateArgs, color: bool, terminal: bool) -> Result<Plan> {
        let mode = match args.all || args.pools.len() > 1 {
            true => Mode::Many,
            false => Mode::One,
        };
        let format = match args.output {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
            OutputFormat::JsonPatch => Format::JsonPatch,
            OutputFormat::Markdown => Format::Markdown(super::markdown::Shape {
                dry_run: args.dry_run,
                deployments: args.check_deployments,
            }),
        };
        if mode == Mode::Many && format == Format::JsonPatch {
            return Err(Error::Usage(
                "--output json-patch works for one pool; use --output json for batches".into(),
            ));
        }
        if args.detailed_exitcode && !args.dry_run {
            return Err(Error::Usage(
                "--detailed-exitcode only applies to --dry-run; add --dry-run".into(),
            ));
        }
        if args.all && args.template.is_some() && args.types.len() != 1 {
            return Err(Error::Usage(
                "--template with --all needs exactly one --type, so one template is not merged into pools of other types".into(),
            ));
        }
        let selection = match args.all {
            true => Selection::All {
                types: args.types.clone(),
                filter: NameFilter::new(&args.names, &args.exclude)?,
            },
            false => Selection::Names(dedup(&args.pools)),
        };
        let base = read_base_arg(args.base.as_ref(), args.no_base)?;
        Ok(Plan {
            selection,
            mode,
            concurrency: usize::from(args.concurrency),
            chunk: CHUNK,
            max_rps: args.max_rps,
            exit: ExitRule {
                detailed: args.dry_run && args.detailed_exitcode,
            },
            format,
            color,
            progress: mode == Mode::Many && terminal && format == Format::Text,
            sync: SyncOptions {
                template: args
                    .template
                    .as_deref()
                    .map(input::read_template)
                    .transpose()?,
                strategy: Strategy::from(args.strategy),
                dry_run: args.dry_run,
                backup_dir: args.backup_dir.clone().or_else(crate::backup::default_dir),
                check_deployments: args.check_deployments,
                allow_breaking_deployments: args.allow_breaking_deployments,
                base,
                history: crate::input::history(args.history.history_file.as_deref())?,
            },
        })
    }
}

/// The names in first-seen order, each once: a pool named twice is worked on once.
fn dedup(names: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .filter(|n| seen.insert(n.as_str()))
        .cloned()
        .collect()
}

impl From<cli::StrategyArg> for Strategy {
    fn from(arg: cli::StrategyArg) -> Strategy {
        match arg {
            cli::StrategyArg::Jq => Strategy::Jq,
            cli::StrategyArg::Schema => Strategy::Schema,
        }
    }
}

/// Name filters of `--name` and `--exclude`, compiled once.
#[derive(Debug)]
pub(super) struct NameFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl NameFilter {
    /// Compiles the globs; an empty include list means every name.
    pub(super) fn new(include: &[String], exclude: &[String]) -> Result<NameFilter> {
        let build = |globs: &[String], flag: &str| -> Result<GlobSet> {
            let mut set = GlobSetBuilder::new();
            for glob in globs {
                set.add(Glob::new(glob).map_err(|e| {
                    Error::Usage(format!("invalid {flag} glob {glob:?}: {}", e.kind()))
                })?);
            }
            set.build()
                .map_err(|e| Error::Usage(format!("invalid {flag} globs: {e}")))
        };
        let include = (!include.is_empty())
            .then(|| build(include, "--name"))
            .transpose()?;
        Ok(NameFilter {
            include,
            exclude: build(exclude, "--exclude")?,
        })
    }

    /// Whether a pool name passes the filters.
    pub(super) fn matches(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|set| set.is_match(name)) && !self.exclude.is_match(name)
    }
}

#[cfg(test)]
mod tests;
