//! `--output markdown`: the reports of `update`, `validate` and `explain` turned into one
//! [`markdown::Document`] (a summary table, then a `<details>` section per pool with its diff
//! and report lines), printed once the run ends. The rendering itself is pure, in
//! [`crate::markdown`].

use super::outcome::{Outcome, Report};
use super::tally::Tally;
use crate::markdown::{self, Document, Entry, Notes};
use poolsync_engine::diff;
use poolsync_engine::finding::Finding;
use poolsync_engine::history::{Base, Origin};
use serde_json::Value;
use std::collections::BTreeSet;

/// What a Markdown report of `update` shows beyond the reports themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Shape {
    /// A dry run: the title says so.
    pub dry_run: bool,
    /// `--check-deployments`: the table has a "deployments broken" column.
    pub deployments: bool,
}

/// Collects `update`'s reports (only what the table and sections need, not the templates)
/// and renders them when the run ends.
#[derive(Debug)]
pub(super) struct Collector {
    shape: Shape,
    entries: Vec<Entry>,
}

impl Collector {
    /// An empty report of this shape.
    pub(super) fn new(shape: Shape) -> Collector {
        Collector {
            shape,
            entries: Vec::new(),
        }
    }

    /// Takes in one pool's report.
    pub(super) fn add(&mut self, report: &Report) {
        self.entries.push(entry(report, self.shape.deployments));
    }

    /// The Markdown of the run, capped at [`markdown::LIMIT`].
    pub(super) fn render(self, tally: &Tally) -> String {
        let title = match self.shape.dry_run {
            true => "poolsync update (dry run)",
            false => "poolsync update",
        };
        let mut summary = counts(tally);
        summary += &format!(
            "; {} request{}",
            tally.requests,
            if tally.requests == 1 { "" } else { "s" }
        );
        if let Some(signal) = tally.interrupted {
            summary += &format!("; interrupted by {signal}: pools not reached are not listed");
        }
        markdown::render(&Document {
            title: title.into(),
            summary,
            deployments_checked: self.shape.deployments,
            entries: self.entries,
            whole_report: "rerun with --output json for every pool's whole report".into(),
        })
    }
}

/// `3 pools: 1 would change, 2 up to date`.
fn counts(tally: &Tally) -> String {
    let total: usize = tally.counts.values().sum();
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter_map(|o| tally.counts.get(o).filter(|n| **n > 0).map(|n| (o, n)))
        .map(|(o, n)| format!("{n} {}", o.label()))
        .collect();
    let plural = if total == 1 { "" } else { "s" };
    match parts.is_empty() {
        true => format!("{total} pool{plural}: nothing to do"),
        false => format!("{total} pool{plural}: {}", parts.join(", ")),
    }
}

/// One pool's row and section.
fn entry(report: &Report, deployments: bool) -> Entry {
    let current = report.current();
    let changed = match (current.as_deref(), report.template()) {
        (Some(current), Some(merged)) => Some((current, merged)),
        _ => None,
    };
    let diff = changed
        .map(|(current, merged)| {
            let label = |what| format!("{} ({what})", report.pool);
            diff::unified(current, merged, &label("current"), &label("merged"), false)
        })
        .unwrap_or_default();
    let warnings: Vec<String> = report.warnings().iter().map(ToString::to_string).collect();
    let notes = [
        Notes::of(
            "Upstream",
            report.upstream().iter().map(ToString::to_string).collect(),
        ),
        Notes::of("Warnings", warnings),
        Notes::of("Kept out", kept_out(report)),
        Notes::of(
            "Blocking problems",
            report
                .violations()
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        // An invalid pool's error repeats its blocking problems, listed above.
        Notes::of(
            "Error",
            report
                .error
                .iter()
                .filter(|e| !matches!(e, crate::error::Error::Invalid { .. }))
                .map(ToString::to_string)
                .collect(),
        ),
        Notes::of("Note", report.note.iter().cloned().collect()),
    ];
    let mut notes: Vec<Notes> = notes.into_iter().flatten().collect();
    // The table says "none, two-way"; the reason is in the section, when there is one.
    if let Some(origin @ Origin::None(_)) = report.origin()
        && (!diff.is_empty() || !notes.is_empty())
    {
        notes.extend(Notes::of("Base", vec![origin.to_string()]));
    }
    Entry {
        pool: report.pool.clone(),
        pool_type: report.pool_type.clone().unwrap_or_default(),
        outcome: report.outcome.label().into(),
        attention: matches!(
            report.outcome,
            Outcome::Failed | Outcome::Invalid | Outcome::Conflict
        ),
        base: match report.origin() {
            Some(Origin::None(_)) => "none, two-way".into(),
            Some(origin) => origin.to_string(),
            None => String::new(),
        },
        changes: changed.map(|(current, merged)| changes(current, merged)),
        warnings: report.warnings().len(),
        deployments_broken: match report.deployments() {
            Some(checked) => Some(checked.counts().broken),
            None => {
                (deployments && changed.is_some()).then(|| broken_deployments(report.violations()))
            }
        },
        diff,
        notes,
    }
}

/// `explain --output markdown`: one row (the base, the count of changes from it) and the
/// diff from the base to the template; an error when there is no base, as in text.
pub(super) fn explained(
    pool: &str,
    pool_type: &str,
    base: &Base,
    current: &Value,
) -> crate::error::Result<String> {
    let Some(template) = &base.template else {
        return Err(crate::error::Error::NoBase {
            subject: pool.to_string(),
            reason: base.origin.to_string(),
        });
    };
    let diff = diff::unified(
        template,
        current,
        "base",
        &format!("{pool} (current)"),
        false,
    );
    let entry = Entry {
        pool: pool.into(),
        pool_type: pool_type.into(),
        outcome: if diff.is_empty() {
            "as its base"
        } else {
            "customised"
        }
        .into(),
        base: base.origin.to_string(),
        changes: Some(changes(template, current)),
        diff,
        ..Entry::default()
    };
    Ok(markdown::render(&Document {
        title: "poolsync explain".into(),
        summary: "What was customised: the diff from the base to the template.".into(),
        entries: vec![entry],
        whole_report: "rerun with --output text for the whole diff".into(),
        ..Document::default()
    }))
}

/// How many JSON Patch operations turn `old` into `new`.
pub(super) fn changes(old: &Value, new: &Value) -> usize {
    diff::json_patch(old, new).as_array().map_or(0, Vec::len)
}

/// How many deployments the violations name: a deployment's override is checked under
/// `/job_variables/`, and its violation's message starts with the deployment.
pub(super) fn broken_deployments(violations: &[Finding]) -> usize {
    violations
        .iter()
        .filter(|v| v.pointer.starts_with("/job_variables/"))
        .map(|v| {
            v.message
                .split_once("):")
                .map_or(&*v.message, |(who, _)| who)
        })
        .collect::<BTreeSet<_>>()
        .len()
}

/// Prints a rendered report on stdout.
pub(super) fn print(text: &str) -> crate::error::Result<()> {
    use std::io::Write;
    write!(std::io::stdout().lock(), "{text}").map_err(|source| crate::error::Error::Io {
        action: "write",
        path: "stdout".into(),
        source,
    })
}

/// The keys of the new default the merged template left out, then how to take them.
fn kept_out(report: &Report) -> Vec<String> {
    let mut lines: Vec<String> = report.kept_out().iter().map(ToString::to_string).collect();
    if !lines.is_empty() {
        lines.push(poolsync_engine::merge::HOW_TO_TAKE.to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation(pointer: &str, message: &str) -> Finding {
        Finding::violation(pointer, None, message, "f")
    }

    #[test]
    fn deployments_are_counted_once_each() {
        let found = [
            violation(
                "/job_variables/federated_identity/aws/role_arn",
                "in deployment \"a\" (1): x",
            ),
            violation(
                "/job_variables/federated_identity/aws/region",
                "in deployment \"a\" (1): y",
            ),
            violation(
                "/job_variables/federated_identity",
                "in deployment \"b\" (2): z",
            ),
            violation("/job_configuration/env", "a template problem"),
        ];
        assert_eq!(broken_deployments(&found), 2);
        assert_eq!(broken_deployments(&[]), 0);
    }

    #[test]
    fn a_would_change_report_has_its_diff_counts_and_notes() {
        let merged = super::super::outcome::Upgrade {
            current: super::super::outcome::Held::compact(&json!({"a": 1})),
            template: json!({"a": 2, "b": 1}),
            changes: 2,
            patch: None,
            origin: Origin::File("b.json".into()),
            warnings: Vec::new(),
            upstream: Vec::new(),
            kept_out: Vec::new(),
            violations: Vec::new(),
            deployments: None,
        };
        let process = Some("process".to_string());
        let report = Report::ended(
            "p".into(),
            process,
            Some(Box::new(merged)),
            Outcome::WouldChange,
        );
        let entry = entry(&report, true);
        assert_eq!(entry.changes, Some(2));
        assert_eq!(entry.deployments_broken, Some(0));
        assert!(
            entry.diff.starts_with("--- p (current)\n+++ p (merged)\n"),
            "{}",
            entry.diff
        );
        assert!(!entry.attention);
        let reserved = crate::error::Error::ReservedPool { pool: "q".into() };
        let failed = Report::failed("q".into(), None, None, reserved);
        let entry = super::entry(&failed, true);
        assert_eq!((entry.changes, entry.deployments_broken), (None, None));
        assert_eq!(entry.notes.len(), 1, "{:?}", entry.notes);
    }
}
