//! What both lints of the pair judge the same way: whether a statement's actions cover
//! `sts:AssumeRole` (or misspell it), the finding of a `Deny` that takes it back, what is
//! reported when nothing grants the call, and the order findings are reported in.

use crate::actions;
use crate::assume_role::{ASSUME_ROLE, has_condition};
use crate::document::items;
use crate::findings::Findings;
use crate::pattern::wildcard_match;
use poolsync_engine::finding::Finding;
use serde_json::Value;

/// How a statement's actions relate to `sts:AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Covers {
    /// They allow it (exactly, or by a wildcard).
    Yes,
    /// One of them is a misspelling of it, at this pointer.
    Misspelt(String, String),
    /// No.
    No,
}

pub(super) fn covers(pointer: &str, statement: &Value) -> Covers {
    if let Some(not) = statement.get("NotAction") {
        let excluded = items(not, "").iter().any(|(_, a)| {
            wildcard_match(&a.to_ascii_lowercase(), &ASSUME_ROLE.to_ascii_lowercase())
        });
        return if excluded { Covers::No } else { Covers::Yes };
    }
    let Some(action) = statement.get("Action") else {
        return Covers::No;
    };
    let list = items(action, &format!("{pointer}/Action"));
    if list
        .iter()
        .any(|(_, a)| wildcard_match(&a.to_ascii_lowercase(), &ASSUME_ROLE.to_ascii_lowercase()))
    {
        return Covers::Yes;
    }
    list.into_iter()
        .find(|(_, a)| actions::unknown(a).and_then(|u| u.closest) == Some(ASSUME_ROLE))
        .map(|(at, a)| Covers::Misspelt(at, a.to_string()))
        .unwrap_or(Covers::No)
}

pub(super) fn misspelt(out: &mut Findings, at: String, action: &str) {
    out.error(
        at,
        format!(
            "{action:?} is not an sts action, so the chain is refused (did you mean {ASSUME_ROLE}?)"
        ),
        format!("write \"{ASSUME_ROLE}\""),
    );
}

/// Findings sorted by the statement they are in (stable: within one, as found).
pub(super) fn in_document_order(mut findings: Vec<Finding>) -> Vec<Finding> {
    let rank = |pointer: &str| -> (usize, usize) {
        if pointer.starts_with("/Version") {
            return (0, 0);
        }
        let index = pointer
            .strip_prefix("/Statement/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|i| i.parse::<usize>().ok());
        match index {
            Some(i) => (1, i),
            None => (2, 0),
        }
    };
    findings.sort_by_key(|f| rank(&f.pointer));
    findings
}

pub(super) fn deny(out: &mut Findings, pointer: &str, statement: &Value, what: &str) {
    if has_condition(statement) {
        out.warning(
            format!("{pointer}/Effect"),
            format!("this Deny of {what} may cancel the chain, depending on its Condition: a Deny overrides every Allow"),
            "check the Condition excludes the springboard's calls, or remove the statement",
        );
    } else {
        out.error(
            format!("{pointer}/Effect"),
            format!("this Deny of {what} cancels the chain: a Deny overrides every Allow"),
            "remove the statement, or narrow it with a Condition",
        );
    }
}

/// Nothing grants the call. Each statement that grants it for the wrong target (`wrong`:
/// its pointer and the target it names) is an error saying so, with `fix`; with none of those
/// and nothing else `reported`, one error at `/Statement` says that no statement grants it.
pub(super) struct Ungranted<'a> {
    pub wrong: &'a [(String, String)],
    pub reported: bool,
    pub fix: &'a str,
    /// The message for one statement, from the target it names.
    pub misdirected: &'a dyn Fn(&str) -> String,
    /// The message when no statement grants it, and what to add.
    pub none: (String, String),
}

impl Ungranted<'_> {
    pub(super) fn report(self, out: &mut Findings) {
        for (at, named) in self.wrong {
            out.error(at.clone(), (self.misdirected)(named), self.fix);
        }
        if self.wrong.is_empty() && !self.reported {
            let (message, add) = self.none;
            out.error("/Statement", message, add);
        }
    }
}
