//! The one finding shape: what a template check (a violation, which blocks a push), a merge
//! (a warning, which never does) and the IAM trust lint (errors and warnings) report. Each is
//! located by a [`Pointer`] and prints the same way.

use crate::pointer::Pointer;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// It must be fixed: the document does not work, or trusts far too much.
    Error,
    /// It works, but should be looked at.
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// One thing found in a document, located by JSON pointer.
///
/// Serialized, the absent parts are left out, so each kind keeps its shape: a violation is
/// `{pointer, value?, message, fix}`, a merge warning `{pointer, message}`, a trust finding
/// `{level, pointer, message, fix}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// How bad it is, for lists that hold both errors and warnings (the trust lint). `None`
    /// where the list says it: every violation of a template check blocks a push, and no
    /// merge warning does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Where it is in the checked document.
    pub pointer: Pointer,
    /// The offending value, when there is one to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// What is wrong, lowercase, naming the input.
    pub message: String,
    /// How to fix it, when the message does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A template check's violation, which blocks a push: the offending value, if shown, and
    /// the fix.
    pub fn violation(
        pointer: impl Into<Pointer>,
        value: Option<Value>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            level: None,
            pointer: pointer.into(),
            value,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }

    /// Something a merge noticed that the user should look at; never blocks a push.
    pub(crate) fn notice(pointer: impl Into<Pointer>, message: impl Into<String>) -> Finding {
        Finding {
            level: None,
            pointer: pointer.into(),
            value: None,
            message: message.into(),
            fix: None,
        }
    }

    /// A finding of a list that mixes errors and warnings, with its level and fix.
    pub fn graded(
        level: Level,
        pointer: impl Into<Pointer>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            level: Some(level),
            pointer: pointer.into(),
            value: None,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Finding {
    /// `[level: ]pointer: message[ (got value)][; fix: fix]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(level) = self.level {
            write!(f, "{level}: ")?;
        }
        write!(f, "{}: {}", self.pointer, self.message)?;
        if let Some(value) = &self.value {
            write!(f, " (got {value})")?;
        }
        if let Some(fix) = &self.fix {
            write!(f, "; fix: {fix}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn display_names_pointer_value_and_fix() {
        let v = Finding::violation(
            "/variables/properties/x/default",
            Some(json!("bad")),
            "must be a string",
            "set a string",
        );
        assert_eq!(
            v.to_string(),
            "/variables/properties/x/default: must be a string (got \"bad\"); fix: set a string"
        );
    }

    #[test]
    fn each_kind_keeps_its_shape() {
        let cases = [
            (
                Finding::violation("", None, "m", "f"),
                "/: m; fix: f",
                r#"{"pointer":"","message":"m","fix":"f"}"#,
            ),
            (
                Finding::notice("/variables", "m"),
                "/variables: m",
                r#"{"pointer":"/variables","message":"m"}"#,
            ),
            (
                Finding::graded(Level::Warning, "/Statement", "m", "f"),
                "warning: /Statement: m; fix: f",
                r#"{"level":"warning","pointer":"/Statement","message":"m","fix":"f"}"#,
            ),
        ];
        for (finding, text, json) in cases {
            assert_eq!(finding.to_string(), text);
            assert_eq!(serde_json::to_string(&finding).ok().as_deref(), Some(json));
        }
    }
}
