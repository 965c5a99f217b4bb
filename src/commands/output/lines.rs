//! One pool's lines in a run's output: its row in the batch table, its JSON object, and the
//! cost line of the summary.

use crate::commands::outcome::{Outcome, Report};
use crate::commands::tally::Tally;
use poolsync_engine::diff;
use poolsync_engine::display::escape;
use poolsync_engine::finding::Finding;
use poolsync_engine::merge::{KeptOut, Upstream};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// One row of the batch table.
pub(super) struct Row {
    pub(super) pool: String,
    pub(super) pool_type: String,
    pub(super) outcome: Outcome,
    pub(super) detail: String,
}

/// What the run cost: requests, retries and the server's pushback.
pub(super) fn cost(tally: &Tally) -> String {
    let plural = |n: u64, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    let mut parts = vec![
        plural(tally.requests, "request", "requests"),
        plural(tally.retries, "retry", "retries"),
    ];
    if tally.pushback.throttled > 0 {
        parts.push(format!("{} throttled", tally.pushback.throttled));
    }
    if !tally.pushback.waited.is_zero() {
        parts.push(format!(
            "{:.1} s waiting on server pushback",
            tally.pushback.waited.as_secs_f64()
        ));
    }
    parts.join(", ")
}

/// `2 upstream keys kept out`, or empty when nothing was.
pub(super) fn kept_out_note(report: &Report) -> String {
    match report.kept_out().len() {
        0 => String::new(),
        1 => "1 upstream key kept out".into(),
        n => format!("{n} upstream keys kept out"),
    }
}

pub(super) fn row(report: &Report) -> Row {
    let detail = match (&report.error, report.violations().first()) {
        (Some(error), _) => error.to_string(),
        (None, Some(first)) if report.violations().len() > 1 => {
            format!("{first} (+{} more)", report.violations().len() - 1)
        }
        (None, Some(first)) => first.to_string(),
        (None, None) => {
            let changes = match report.changes() {
                0 => String::new(),
                n => format!("{n} change{}", if n == 1 { "" } else { "s" }),
            };
            let kept = kept_out_note(report);
            match (changes.is_empty(), kept.is_empty()) {
                (false, false) => format!("{changes}, {kept}"),
                (true, _) => kept,
                (false, true) => changes,
            }
        }
    };
    Row {
        pool: escape(&report.pool).into_owned(),
        pool_type: escape(report.pool_type.as_deref().unwrap_or_default()).into_owned(),
        outcome: report.outcome,
        detail: escape(&detail).into_owned(),
    }
}

/// A pool's JSON Patch operations: the text the merge rendered, or a tree worked out here.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Patch<'a> {
    Text(&'a RawValue),
    Tree(Value),
}

impl std::fmt::Display for Patch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Patch::Text(text) => write!(f, "{text}"),
            Patch::Tree(tree) => write!(f, "{tree}"),
        }
    }
}

/// The pool's JSON Patch operations, as the merge worked them out (else worked out here).
pub(super) fn patch(report: &Report) -> Patch<'_> {
    if let Some(text) = report.patch() {
        return Patch::Text(text);
    }
    Patch::Tree(match (report.current(), report.template()) {
        (Some(current), Some(merged)) => diff::json_patch(&current, merged),
        _ => json!([]),
    })
}

/// One pool's JSON object, serialized straight from the report: its templates are written
/// out, not copied into a new value first.
pub(super) fn json_report(report: &Report) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        pool: &'a str,
        #[serde(rename = "type")]
        pool_type: Option<&'a str>,
        outcome: Outcome,
        changed: bool,
        patch: Patch<'a>,
        warnings: &'a [Finding],
        violations: &'a [Finding],
        upstream: &'a [Upstream],
        kept_out: &'a [KeptOut],
        base: Option<Value>,
        merged: Option<&'a Value>,
        error: Option<String>,
        note: Option<&'a str>,
        deployments: Option<Value>,
    }
    let line = Line {
        pool: &report.pool,
        pool_type: report.pool_type.as_deref(),
        outcome: report.outcome,
        changed: matches!(report.outcome, Outcome::Updated | Outcome::WouldChange),
        patch: patch(report),
        warnings: report.warnings(),
        violations: report.violations(),
        upstream: report.upstream(),
        kept_out: report.kept_out(),
        base: report
            .origin()
            .map(poolsync_engine::history::Origin::to_json),
        merged: report.template(),
        error: report.error.as_ref().map(ToString::to_string),
        note: report.note.as_deref(),
        deployments: report.deployments().map(|checked| {
            json!({
                "counts": checked.counts(),
                "findings": checked.findings,
            })
        }),
    };
    // Every field is a JSON value, a string or a derived record: nothing here fails to
    // serialize.
    serde_json::to_string(&line).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cost;
    use crate::commands::tally::Tally;

    #[test]
    fn the_cost_line_says_one_request_and_one_retry_in_the_singular() {
        let mut tally = Tally {
            requests: 1,
            retries: 1,
            ..Tally::default()
        };
        assert_eq!(cost(&tally), "1 request, 1 retry");
        tally.requests = 25;
        tally.retries = 0;
        assert_eq!(cost(&tally), "25 requests, 0 retries");
    }
}
