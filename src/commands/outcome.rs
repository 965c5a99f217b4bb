//! How one pool's run ends: its [`Outcome`], the [`Report`] that carries it, and the one
//! function that maps an error to an outcome.

use crate::error::Error;
use poolsync_engine::merge::{KeptOut, Upstream, Warning};
use poolsync_engine::violation::Violation;
use serde::Serialize;
use serde_json::Value;

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

/// Everything known about one pool after its run.
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
    /// The stored template, when it was read.
    pub current: Option<Value>,
    /// The merged template, when a merge ran.
    pub merged: Option<Value>,
    /// What the merge noticed.
    pub warnings: Vec<Warning>,
    /// What blocked the push.
    pub violations: Vec<Violation>,
    /// What a three-way merge took from upstream, removed, or found changed on both sides.
    pub upstream: Vec<Upstream>,
    /// Where the merge's base came from, or why there was none.
    pub base: Option<poolsync_engine::history::Origin>,
    /// Keys of the new default the merged template lacks, and why.
    pub kept_out: Vec<KeptOut>,
    /// The deployments checked against the merged template (`--check-deployments`).
    pub deployments: Option<super::deployments::Checked>,
}

impl Report {
    /// A report for `pool` whose outcome is still to be decided.
    pub(super) fn new(pool: &str) -> Report {
        Report {
            pool: pool.to_string(),
            pool_type: None,
            outcome: Outcome::Failed,
            error: None,
            note: None,
            current: None,
            merged: None,
            warnings: Vec::new(),
            violations: Vec::new(),
            upstream: Vec::new(),
            base: None,
            kept_out: Vec::new(),
            deployments: None,
        }
    }

    /// Ends the report in the outcome `error` maps to.
    pub(super) fn fail(mut self, error: Error) -> Report {
        self.outcome = Outcome::of(&error);
        self.error = Some(error);
        self
    }

    /// Ends the report in `outcome`, with no error.
    pub(super) fn end(mut self, outcome: Outcome) -> Report {
        self.outcome = outcome;
        self
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
        let report = Report::new("a").fail(Error::ReservedPool { pool: "a".into() });
        assert_eq!(report.outcome, Outcome::Skipped);
        assert!(report.error.is_some());
        assert_eq!(
            Report::new("a").end(Outcome::UpToDate).outcome,
            Outcome::UpToDate
        );
    }
}
