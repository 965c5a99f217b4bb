//! How `update` reports are shown: a single pool's diff, warnings and summary line; a
//! batch's progress bar, table and counts; JSON objects (one per pool, then a summary).

use super::update::{Outcome, Report};
use crate::cli::OutputFormat;
use crate::diff;
use crate::display::escape;
use crate::error::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;

/// Counts per outcome, and the retries the run needed.
#[derive(Debug, Default)]
pub struct Tally {
    /// Pools per outcome.
    pub counts: BTreeMap<Outcome, usize>,
    /// Retries of transient HTTP failures.
    pub retries: u64,
}

impl Tally {
    /// Counts one report.
    pub fn add(&mut self, report: &Report) {
        *self.counts.entry(report.outcome).or_default() += 1;
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// The run's exit code: error if any pool failed, was invalid or had a conflict; with `detailed`,
    /// changes pending if any pool would change.
    pub fn exit_code(&self, detailed: bool) -> u8 {
        if [Outcome::Failed, Outcome::Invalid, Outcome::Conflict]
            .iter()
            .any(|o| self.count(*o) > 0)
        {
            crate::exit::ERROR
        } else if detailed && self.count(Outcome::WouldChange) > 0 {
            crate::exit::CHANGES_PENDING
        } else {
            crate::exit::SUCCESS
        }
    }
}

/// One row of the batch table.
struct Row {
    pool: String,
    pool_type: String,
    outcome: Outcome,
    detail: String,
}

/// Prints reports as they arrive.
pub struct Printer {
    format: OutputFormat,
    color: bool,
    bar: ProgressBar,
    rows: Vec<Row>,
}

impl Printer {
    /// A printer; `progress` shows a bar on stderr (only for text output).
    pub fn new(format: OutputFormat, color: bool, progress: bool) -> Printer {
        let bar = if progress && format == OutputFormat::Text {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} pools {elapsed}")
            {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Printer {
            format,
            color,
            bar,
            rows: Vec::new(),
        }
    }

    /// The progress bar (hidden when not shown), to grow as pools are found.
    pub fn progress(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Prints the report of a single-pool run; returns the error that ends the run, if any.
    pub fn single(&mut self, report: Report) -> Result<Option<Error>> {
        let mut out = std::io::stdout().lock();
        match self.format {
            OutputFormat::Json => writeln!(out, "{}", json_report(&report)),
            OutputFormat::JsonPatch => writeln!(out, "{}", patch(&report)),
            OutputFormat::Text => (|| {
                if let (Some(current), Some(merged)) = (&report.current, &report.merged) {
                    let label = |what| format!("{} ({what})", escape(&report.pool));
                    let text = diff::unified(
                        current,
                        merged,
                        &label("current"),
                        &label("merged"),
                        self.color,
                    );
                    write!(out, "{text}")?;
                }
                for change in &report.upstream {
                    writeln!(out, "upstream: {change}")?;
                }
                for warning in &report.warnings {
                    writeln!(
                        out,
                        "warning: {}: {}",
                        pointer(&warning.pointer),
                        warning.message
                    )?;
                }
                let summary = match report.outcome {
                    Outcome::Updated => "updated",
                    Outcome::UpToDate => "up to date, nothing sent",
                    Outcome::WouldChange => "would change (dry run, nothing sent)",
                    Outcome::Invalid => "invalid, nothing sent",
                    Outcome::Conflict => "conflict, nothing sent",
                    Outcome::Skipped => "skipped, nothing sent",
                    Outcome::Failed => "failed",
                };
                writeln!(out, "{}: {summary}", escape(&report.pool))
            })(),
        }
        .map_err(stdout_error)?;
        Ok(into_error(report))
    }

    /// Records or prints one report of a batch.
    pub fn report(&mut self, report: Report) -> Result<()> {
        self.bar.inc(1);
        match self.format {
            OutputFormat::Json | OutputFormat::JsonPatch => {
                let line = json_report(&report);
                self.bar
                    .suspend(|| writeln!(std::io::stdout().lock(), "{line}"))
                    .map_err(stdout_error)
            }
            OutputFormat::Text => {
                if report.outcome != Outcome::UpToDate {
                    self.rows.push(row(&report));
                }
                Ok(())
            }
        }
    }

    /// Ends a batch: the table and the counts (or a JSON summary object).
    pub fn finish(&mut self, tally: &Tally) -> Result<()> {
        self.bar.finish_and_clear();
        let mut out = std::io::stdout().lock();
        let total: usize = tally.counts.values().sum();
        if self.format != OutputFormat::Text {
            let counts: serde_json::Map<String, Value> = Outcome::ALL
                .iter()
                .map(|o| {
                    (
                        serde_json::to_value(o)
                            .map(|v| v.as_str().unwrap_or_default().to_string())
                            .unwrap_or_default(),
                        json!(tally.count(*o)),
                    )
                })
                .collect();
            let summary =
                json!({"summary": {"total": total, "outcomes": counts, "retries": tally.retries}});
            return writeln!(out, "{summary}").map_err(stdout_error);
        }
        self.rows.sort_by(|a, b| a.pool.cmp(&b.pool));
        let width = |f: fn(&Row) -> usize, title: &str| {
            self.rows
                .iter()
                .map(f)
                .chain([title.len()])
                .max()
                .unwrap_or(0)
        };
        let (wp, wt) = (
            width(|r| r.pool.chars().count(), "POOL"),
            width(|r| r.pool_type.chars().count(), "TYPE"),
        );
        let mut text = String::new();
        if !self.rows.is_empty() {
            text += &format!("{:wp$}  {:wt$}  {:12}  DETAIL\n", "POOL", "TYPE", "OUTCOME");
            for r in &self.rows {
                text += &format!(
                    "{:wp$}  {:wt$}  {:12}  {}\n",
                    r.pool,
                    r.pool_type,
                    r.outcome.label(),
                    r.detail
                );
            }
        }
        let counts: Vec<String> = Outcome::ALL
            .iter()
            .filter(|o| tally.count(**o) > 0)
            .map(|o| format!("{} {}", tally.count(*o), o.label()))
            .collect();
        let counts = if counts.is_empty() {
            "nothing to do".to_string()
        } else {
            counts.join(", ")
        };
        let plural = if total == 1 { "" } else { "s" };
        text += &format!(
            "{total} pool{plural}: {counts}; {} retries\n",
            tally.retries
        );
        write!(out, "{text}").map_err(stdout_error)
    }
}

fn pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

fn row(report: &Report) -> Row {
    let detail = match (&report.error, report.violations.first()) {
        (Some(error), _) => error.to_string(),
        (None, Some(first)) if report.violations.len() > 1 => {
            format!("{first} (+{} more)", report.violations.len() - 1)
        }
        (None, Some(first)) => first.to_string(),
        (None, None) => match patch(report).as_array().map(Vec::len) {
            Some(n) => format!("{n} change{}", if n == 1 { "" } else { "s" }),
            None => String::new(),
        },
    };
    Row {
        pool: escape(&report.pool).into_owned(),
        pool_type: escape(report.pool_type.as_deref().unwrap_or_default()).into_owned(),
        outcome: report.outcome,
        detail: escape(&detail).into_owned(),
    }
}

fn patch(report: &Report) -> Value {
    match (&report.current, &report.merged) {
        (Some(current), Some(merged)) => diff::json_patch(current, merged),
        _ => json!([]),
    }
}

fn json_report(report: &Report) -> Value {
    json!({
        "pool": report.pool,
        "type": report.pool_type,
        "outcome": report.outcome,
        "changed": matches!(report.outcome, Outcome::Updated | Outcome::WouldChange),
        "patch": patch(report),
        "warnings": report.warnings,
        "violations": report.violations,
        "upstream": report.upstream,
        "merged": report.merged,
        "error": report.error.as_ref().map(ToString::to_string),
    })
}

fn into_error(report: Report) -> Option<Error> {
    match report.outcome {
        Outcome::Invalid => Some(Error::Invalid {
            blocked: true,
            subject: format!("merged template for work pool {:?}", report.pool),
            violations: report.violations,
        }),
        _ => report.error,
    }
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        action: "write",
        path: "stdout".into(),
        source,
    }
}
