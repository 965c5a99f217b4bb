//! How `update` reports are shown: a single pool's diff, warnings and summary line; a
//! batch's progress bar, table and counts; JSON objects (one per pool, then a summary).

use super::outcome::{Outcome, Report};
use super::plan::{Format, Mode};
use crate::error::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use poolsync_engine::diff;
use poolsync_engine::display::escape;
use serde_json::{Value, json};
use std::io::Write;

mod lines;

use super::tally::Tally;
use lines::{Row, cost, json_report, kept_out_note, patch, row};

/// Prints reports as they arrive.
pub(super) struct Printer {
    mode: Mode,
    format: Format,
    color: bool,
    bar: ProgressBar,
    rows: Vec<Row>,
    /// A batch's deployment findings, `POOL: finding`, printed after the table.
    findings: Vec<String>,
    /// One pool's error, handed to main to render once the run ends.
    held: Option<Error>,
    /// `--output markdown`: the report printed when the run ends.
    markdown: Option<super::markdown::Collector>,
}

impl Printer {
    /// A printer; `progress` shows a bar on stderr (only for text output).
    pub(super) fn new(mode: Mode, format: Format, color: bool, progress: bool) -> Printer {
        let bar = if progress && format == Format::Text {
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
            mode,
            format,
            color,
            bar,
            rows: Vec::new(),
            findings: Vec::new(),
            held: None,
            markdown: match format {
                Format::Markdown(shape) => Some(super::markdown::Collector::new(shape)),
                _ => None,
            },
        }
    }

    /// The progress bar (hidden when not shown), to grow as pools are found.
    pub(super) fn progress(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Prints or records one report.
    pub(super) fn report(&mut self, report: Report) -> Result<()> {
        if let Some(markdown) = &mut self.markdown {
            markdown.add(&report);
            self.held = self
                .held
                .take()
                .or(report.error.filter(|_| self.mode == Mode::One));
            return Ok(());
        }
        match self.mode {
            Mode::One => self.single(report),
            Mode::Many => self.row(report),
        }
    }

    /// Prints the report of a single-pool run and holds its error for main.
    fn single(&mut self, report: Report) -> Result<()> {
        let mut out = std::io::stdout().lock();
        match self.format {
            Format::Json => writeln!(out, "{}", json_report(&report)),
            Format::JsonPatch => writeln!(out, "{}", patch(&report)),
            Format::Markdown(_) => Ok(()), // collected by `report`, printed by `finish`
            Format::Text => (|| {
                if let (Some(current), Some(merged)) = (report.current(), report.template()) {
                    let label = |what| format!("{} ({what})", escape(&report.pool));
                    let text = diff::unified(
                        &current,
                        merged,
                        &label("current"),
                        &label("merged"),
                        self.color,
                    );
                    write!(out, "{text}")?;
                }
                if let Some(base) = report.origin() {
                    writeln!(out, "base: {base}")?;
                }
                for change in report.upstream() {
                    writeln!(out, "upstream: {change}")?;
                }
                for warning in report.warnings() {
                    writeln!(out, "warning: {warning}")?;
                }
                for kept in report.kept_out() {
                    writeln!(out, "kept out: {kept}")?;
                }
                if !report.kept_out().is_empty() {
                    writeln!(out, "kept out: {}", poolsync_engine::merge::HOW_TO_TAKE)?;
                }
                let kept = kept_out_note(&report);
                if let Some(checked) = report.deployments() {
                    for found in &checked.findings {
                        writeln!(out, "{}", escape(&found.to_string()))?;
                    }
                    writeln!(out, "deployments: {}", checked.counts())?;
                }
                let summary = match report.outcome {
                    Outcome::Updated => "updated",
                    Outcome::UpToDate if !kept.is_empty() => {
                        &format!("up to date, {kept}, nothing sent")
                    }
                    Outcome::UpToDate => "up to date, nothing sent",
                    Outcome::WouldChange => "would change (dry run, nothing sent)",
                    Outcome::Invalid => "invalid, nothing sent",
                    Outcome::Conflict => "conflict, nothing sent",
                    Outcome::Skipped => "skipped, nothing sent",
                    Outcome::Failed => "failed",
                };
                let pool = escape(&report.pool);
                match &report.note {
                    Some(note) => writeln!(out, "{pool}: {summary} ({note})"),
                    None => writeln!(out, "{pool}: {summary}"),
                }
            })(),
        }
        .map_err(stdout_error)?;
        self.held = into_error(report);
        Ok(())
    }

    /// Records or prints one report of a batch.
    fn row(&mut self, report: Report) -> Result<()> {
        self.bar.inc(1);
        match self.format {
            Format::Json | Format::JsonPatch => {
                // One write per line: a report's Display would go out in many small ones.
                let mut line = json_report(&report);
                line.push('\n');
                self.bar
                    .suspend(|| std::io::stdout().lock().write_all(line.as_bytes()))
                    .map_err(stdout_error)
            }
            Format::Text => {
                if report.outcome != Outcome::UpToDate || !report.kept_out().is_empty() {
                    self.rows.push(row(&report));
                }
                for found in report.deployments().into_iter().flat_map(|c| &c.findings) {
                    let line = format!("{}: {found}", report.pool);
                    self.findings.push(escape(&line).into_owned());
                }
                Ok(())
            }
            Format::Markdown(_) => Ok(()), // collected by `report`, printed by `finish`
        }
    }

    /// Ends a run: a batch's table and counts (or JSON summary); one pool's held error.
    pub(super) fn finish(&mut self, tally: &Tally) -> Result<Option<Error>> {
        if let Some(markdown) = self.markdown.take() {
            super::markdown::print(&markdown.render(tally))?;
            return Ok(self.held.take());
        }
        if self.mode == Mode::One {
            if let Some(signal) = tally.interrupted {
                eprintln!("poolsync: interrupted by {signal}");
            }
            return Ok(self.held.take());
        }
        self.summary(tally)?;
        Ok(None)
    }

    fn summary(&mut self, tally: &Tally) -> Result<()> {
        self.bar.finish_and_clear();
        let mut out = std::io::stdout().lock();
        let total: usize = tally.counts.values().sum();
        if self.format != Format::Text {
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
            let summary = json!({"summary": {
                "total": total,
                "outcomes": counts,
                "requests": tally.requests,
                "retries": tally.retries,
                "throttled": tally.pushback.throttled,
                "waited_seconds": tally.pushback.waited.as_secs_f64(),
                "interrupted": tally.interrupted,
                "kept_out_pools": tally.kept_out.0,
                "kept_out_keys": tally.kept_out.1,
                "deployments": tally.deployments,
            }});
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
        for line in &self.findings {
            text += line;
            text.push('\n');
        }
        if let Some(counts) = &tally.deployments {
            text += &format!("deployments: {counts}\n");
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
        text += &format!("{total} pool{plural}: {counts}; {}\n", cost(tally));
        if tally.kept_out.0 > 0 {
            let (pools, keys) = tally.kept_out;
            text += &format!(
                "{pools} pool{} {keys} key{} of the new default out (read as your \
                 deletions or conflicts, listed per pool); {}\n",
                if pools == 1 { " keeps" } else { "s keep" },
                if keys == 1 { "" } else { "s" },
                poolsync_engine::merge::HOW_TO_TAKE
            );
        }
        if let Some(signal) = tally.interrupted {
            text += &format!("interrupted by {signal}: pools not reached were not listed\n");
        }
        write!(out, "{text}").map_err(stdout_error)
    }
}

fn into_error(report: Report) -> Option<Error> {
    report.error
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        action: "write",
        path: "stdout".into(),
        source,
    }
}

/// Prints `value` as pretty JSON on stdout (`schema`, `default`, `merge`).
pub(super) fn print_json(value: &serde_json::Value) -> Result<u8> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Usage(e.to_string()))?;
    println!("{text}");
    Ok(crate::exit::SUCCESS)
}
