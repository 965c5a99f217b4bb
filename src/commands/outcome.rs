//! How one pool's run ends: its [`Outcome`], the [`Report`] that carries it (with the
//! [`Upgrade`] result of its prepare stage), and the one function that maps an error to an
//! outcome.

use super::deployments::Checked;
use super::write::{Carried, Written};
use crate::error::Error;
use poolsync_engine::finding::Finding;
use poolsync_engine::history::Origin;
use poolsync_engine::merge::{KeptOut, Upstream};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What happened to one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Outcome {
    /// The merged template was pushed.
    Updated,
    /// Nothing to change; nothing sent.
    UpToDate,
    /// Dry run: a change is pending.
    WouldChange,
    /// A placeholder or federated identity check failed; nothing sent.
    Invalid,
    /// The pool changed on the server while poolsync worked on it; nothing sent.
    Conflict,
    /// Not attempted (reserved name, no default for the type, interrupted).
    Skipped,
    /// An HTTP or network error.
    Failed,
}

impl Outcome {
    /// Every outcome, in the order summaries list them.
    pub(super) const ALL: [Outcome; 7] = [
        Outcome::Updated,
        Outcome::UpToDate,
        Outcome::WouldChange,
        Outcome::Invalid,
        Outcome::Conflict,
        Outcome::Skipped,
        Outcome::Failed,
    ];

    /// The outcome as users read it.
    pub(super) fn label(self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::UpToDate => "up to date",
            Outcome::WouldChange => "would change",
            Outcome::Invalid => "invalid",
            Outcome::Conflict => "conflict",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }

    /// The outcome a pool ends in when `error` stops it: the only place this is decided.
    pub(super) fn of(error: &Error) -> Outcome {
        match error {
            Error::Shared(inner) => Outcome::of(inner),
            Error::NoDefault { .. } | Error::ReservedPool { .. } | Error::Interrupted { .. } => {
                Outcome::Skipped
            }
            Error::Conflict { .. } => Outcome::Conflict,
            Error::Invalid { .. } => Outcome::Invalid,
            _ => Outcome::Failed,
        }
    }
}

/// What the merge of one pool produced and what its checks found: the typed result of the
/// prepare stage, carried through the safe write to the pool's [`Report`]. Its merged
/// template is always there: what is written is never a stand-in.
#[derive(Debug)]
pub(super) struct Upgrade {
    /// The stored template, as read.
    pub current: Held,
    /// The merged template: what is (or would be) written.
    pub template: Value,
    /// How many JSON Patch operations turn `current` into `template` (counted at the merge,
    /// while `current` is a tree).
    pub changes: usize,
    /// Those operations as compact JSON text, for the JSON output: worked out with the count,
    /// so showing them parses no stored template again and diffs nothing twice (`None` when
    /// it was not rendered: the output then works it out).
    pub patch: Option<Box<RawValue>>,
    /// Where the merge's base came from, or why there was none.
    pub origin: Origin,
    /// What the merge noticed.
    pub warnings: Vec<Finding>,
    /// What a three-way merge took from upstream, removed, or found changed on both sides.
    pub upstream: Vec<Upstream>,
    /// Keys of the new default the merged template lacks, and why.
    pub kept_out: Vec<KeptOut>,
    /// What blocks the push (filled by the checks).
    pub violations: Vec<Finding>,
    /// The deployments checked against the merged template (`--check-deployments`).
    pub deployments: Option<Checked>,
}

/// The stored template a report shows its change against: the tree itself for a pool that
/// ends where it was read, compact JSON text for a pool whose write is in flight (a
/// template's tree takes several times the memory of its text, and the write holds the
/// tree already, in the pool it read).
#[derive(Debug)]
pub(super) enum Held {
    /// The template as a tree.
    Tree(Value),
    /// The template as compact JSON text, parsed again only to be shown.
    Text(Box<RawValue>),
}

impl Held {
    /// `template` kept as compact text (as a tree in the one case it cannot be serialised).
    pub(super) fn compact(template: &Value) -> Held {
        match serde_json::value::to_raw_value(template) {
            Ok(text) => Held::Text(text),
            Err(_) => Held::Tree(template.clone()),
        }
    }

    /// The template as a tree. The text is serde_json's own rendering of a tree serde_json
    /// parsed (within the same depth limit), so it parses again; `None` only if it did not.
    pub(super) fn value(&self) -> Option<Cow<'_, Value>> {
        match self {
            Held::Tree(value) => Some(Cow::Borrowed(value)),
            Held::Text(text) => serde_json::from_str(text.get()).ok().map(Cow::Owned),
        }
    }
}

impl Carried for Upgrade {
    fn template(&self) -> &Value {
        &self.template
    }
}

/// How one pool's run ended, and everything known about it by then. It is built once, at
/// the end, with its outcome decided: nothing starts as `failed` and is patched later.
#[derive(Debug)]
pub(super) struct Report {
    /// The pool's name.
    pub pool: String,
    /// The pool's type, when it was read.
    pub pool_type: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, for skipped, invalid, conflicting and failed pools.
    pub error: Option<Error>,
    /// A remark on an outcome that needs one (e.g. a write confirmed after an error answer).
    pub note: Option<String>,
    /// The merge and its checks, when the run got that far.
    pub merged: Option<Box<Upgrade>>,
}

impl Report {
    /// A pool that ended in `outcome`, with no error.
    pub(super) fn ended(
        pool: String,
        pool_type: Option<String>,
        merged: Option<Box<Upgrade>>,
        outcome: Outcome,
    ) -> Report {
        Report {
            pool,
            pool_type,
            outcome,
            error: None,
            note: None,
            merged,
        }
    }

    /// A pool stopped by `error`, in the outcome it maps to ([`Outcome::of`]).
    pub(super) fn failed(
        pool: String,
        pool_type: Option<String>,
        merged: Option<Box<Upgrade>>,
        error: Error,
    ) -> Report {
        Report {
            outcome: Outcome::of(&error),
            error: Some(error),
            ..Report::ended(pool, pool_type, merged, Outcome::Failed)
        }
    }

    /// The report of a pool the safe write ended: `updated` when the server holds the
    /// merged template, else the outcome its error maps to.
    pub(super) fn written(written: Written<Upgrade>) -> Report {
        let (merged, pool_type) = (Some(Box::new(written.carried)), Some(written.pool_type));
        let report = match written.result {
            Ok(()) => Report::ended(written.pool, pool_type, merged, Outcome::Updated),
            Err(error) => Report::failed(written.pool, pool_type, merged, error),
        };
        Report {
            note: written.note,
            ..report
        }
    }

    /// The stored template, when it was read and merged.
    pub(super) fn current(&self) -> Option<Cow<'_, Value>> {
        self.merged.as_ref().and_then(|m| m.current.value())
    }

    /// The merged template, when a merge ran.
    pub(super) fn template(&self) -> Option<&Value> {
        self.merged.as_ref().map(|m| &m.template)
    }

    /// How many JSON Patch operations turn the stored template into the merged one (0 when
    /// no merge ran).
    pub(super) fn changes(&self) -> usize {
        self.merged.as_ref().map_or(0, |m| m.changes)
    }

    /// The JSON Patch operations from the stored template to the merged one, as worked out
    /// at the merge, when they were.
    pub(super) fn patch(&self) -> Option<&RawValue> {
        self.merged.as_ref().and_then(|m| m.patch.as_deref())
    }

    /// Where the merge's base came from, when a merge ran.
    pub(super) fn origin(&self) -> Option<&Origin> {
        self.merged.as_ref().map(|m| &m.origin)
    }

    /// What the merge noticed.
    pub(super) fn warnings(&self) -> &[Finding] {
        self.merged.as_ref().map_or(&[], |m| &m.warnings)
    }

    /// What a three-way merge took from upstream, removed, or found changed on both sides.
    pub(super) fn upstream(&self) -> &[Upstream] {
        self.merged.as_ref().map_or(&[], |m| &m.upstream)
    }

    /// Keys of the new default the merged template lacks.
    pub(super) fn kept_out(&self) -> &[KeptOut] {
        self.merged.as_ref().map_or(&[], |m| &m.kept_out)
    }

    /// What blocked the push.
    pub(super) fn violations(&self) -> &[Finding] {
        self.merged.as_ref().map_or(&[], |m| &m.violations)
    }

    /// The deployments checked against the merged template.
    pub(super) fn deployments(&self) -> Option<&Checked> {
        self.merged.as_ref().and_then(|m| m.deployments.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::sync::Arc;

    #[test]
    fn each_error_maps_to_one_outcome() {
        let status = || Error::Status {
            method: "PATCH".into(),
            url: "http://x/api/work_pools/a".into(),
            status: 500,
            detail: "boom".into(),
            tries: 1,
        };
        let table = [
            (
                Error::NoDefault {
                    pool_type: "t".into(),
                    url: "u".into(),
                },
                Outcome::Skipped,
            ),
            (Error::ReservedPool { pool: "p".into() }, Outcome::Skipped),
            (
                Error::Interrupted {
                    signal: crate::error::Signal::Interrupt,
                },
                Outcome::Skipped,
            ),
            (
                Error::Conflict {
                    pool: "p".into(),
                    what: "w".into(),
                },
                Outcome::Conflict,
            ),
            (
                Error::Invalid {
                    subject: "s".into(),
                    blocked: true,
                    violations: vec![],
                },
                Outcome::Invalid,
            ),
            (status(), Outcome::Failed),
            (Error::Shared(Arc::new(status())), Outcome::Failed),
            (
                Error::Shared(Arc::new(Error::NoDefault {
                    pool_type: "t".into(),
                    url: "u".into(),
                })),
                Outcome::Skipped,
            ),
            (Error::NoBackupDir, Outcome::Failed),
        ];
        for (error, want) in table {
            assert_eq!(Outcome::of(&error), want, "{error}");
        }
    }

    #[test]
    fn fail_keeps_the_error_and_sets_its_outcome() {
        let error = Error::ReservedPool { pool: "a".into() };
        let report = Report::failed("a".into(), None, None, error);
        assert_eq!(report.outcome, Outcome::Skipped);
        assert!(report.error.is_some());
        let ended = Report::ended("a".into(), None, None, Outcome::UpToDate);
        assert_eq!(ended.outcome, Outcome::UpToDate);
        assert!(ended.error.is_none());
    }

    #[test]
    fn a_template_held_as_text_reads_back_the_same() {
        let template = serde_json::json!({"job_configuration": {"b": [1, 2.5, null], "a": "x"},
            "variables": {"properties": {"z": {"default": "\u{e9}\n"}}}});
        let held = Held::compact(&template);
        assert!(matches!(held, Held::Text(_)));
        let back = held.value().map(Cow::into_owned);
        assert_eq!(back, Some(template.clone()));
        // Key order is kept too (the patch and the diff follow it).
        let keys = |v: &Value| {
            v["job_configuration"]
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(back.as_ref().and_then(keys), keys(&template));
    }
}
