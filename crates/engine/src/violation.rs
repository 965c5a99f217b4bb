//! The report type shared by every check that can block a push: placeholder checks
//! (`template`) and federated identity validation (`identity`).

use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// One problem found in a template, located by JSON pointer, with the fix to apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// JSON pointer (RFC 6901) of the offending value inside the checked document.
    pub pointer: String,
    /// The offending value, when there is one to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// What is wrong, lowercase, naming the input.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)?;
        if let Some(value) = &self.value {
            write!(f, " (got {value})")?;
        }
        write!(f, "; fix: {}", self.fix)
    }
}

/// Escapes one reference token for use in a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn display_names_pointer_value_and_fix() {
        let v = Violation {
            pointer: "/variables/properties/x/default".into(),
            value: Some(json!("bad")),
            message: "must be a string".into(),
            fix: "set a string".into(),
        };
        assert_eq!(
            v.to_string(),
            "/variables/properties/x/default: must be a string (got \"bad\"); fix: set a string"
        );
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
    }
}
