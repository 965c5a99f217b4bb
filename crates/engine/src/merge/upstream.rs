//! What a three-way merge reports upstream did: one [`Upstream`] per pointer where upstream's
//! change was applied or, on a conflict, kept out, and how it prints.

use crate::pointer::Pointer;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// What upstream did at one pointer, as the three-way merge saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamKind {
    /// The user had not touched it: upstream's new value was taken.
    Updated,
    /// New upstream (absent from base and current): taken.
    Added,
    /// The user had not touched it: removed, as upstream did.
    Removed,
    /// Both sides changed it differently: the user's value (or deletion) was kept.
    Conflict,
}

/// One upstream change the three-way merge applied or, on a conflict, did not apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upstream {
    /// JSON pointer in the templates ("" is the whole template). Inside an array keyed by
    /// `name` the index is the element's in the merged template, or, for an element not in
    /// it, in current (removed upstream) or the default (not added).
    pub pointer: Pointer,
    /// What happened.
    pub kind: UpstreamKind,
    /// The base's value; `None` when absent there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<Value>,
    /// The new default's value; `None` when absent there.
    pub default: Option<Value>,
    /// The current template's value; `None` when absent there.
    pub current: Option<Value>,
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = &self.pointer;
        let show = |value: &Option<Value>, absent: &str| {
            value.as_ref().map_or_else(|| absent.to_string(), short)
        };
        match self.kind {
            UpstreamKind::Updated => write!(
                f,
                "{pointer}: upstream update {} -> {}",
                show(&self.base, "absent"),
                show(&self.default, "absent")
            ),
            UpstreamKind::Added => {
                write!(
                    f,
                    "{pointer}: added upstream {}",
                    show(&self.default, "absent")
                )
            }
            UpstreamKind::Removed => write!(f, "{pointer}: removed upstream"),
            // Only the moved-placeholder rule makes a conflict where current equals base.
            UpstreamKind::Conflict if self.current == self.base => {
                let kept = if self.current.is_some() {
                    "kept yours"
                } else {
                    "left it out"
                };
                write!(
                    f,
                    "{pointer}: conflict: upstream {} uses a variable you deleted; {kept}",
                    show(&self.default, "removed")
                )
            }
            UpstreamKind::Conflict => {
                let kept = if self.current.is_some() {
                    "kept yours"
                } else {
                    "kept it deleted"
                };
                write!(
                    f,
                    "{pointer}: conflict: base {}, upstream {}, yours {}; {kept}",
                    show(&self.base, "absent"),
                    show(&self.default, "removed"),
                    show(&self.current, "deleted")
                )
            }
        }
    }
}

/// Longest value text [`Upstream`]'s display prints before cutting it with `...`.
const SHORT: usize = 80;

/// A value as compact JSON, cut to [`SHORT`] characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHORT {
        return text;
    }
    let cut: String = text.chars().take(SHORT - 3).collect();
    format!("{cut}...")
}

#[cfg(test)]
#[path = "upstream_tests.rs"]
pub(super) mod tests;
