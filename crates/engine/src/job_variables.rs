//! Pure: one deployment's `job_variables` checked against a pool's base job template, the
//! way the Prefect server checks them when a flow run is created, plus what the server lets
//! through but the worker then drops.
//!
//! The server rule (`validate_job_variables_for_deployment_flow_run` in
//! `prefect/server/api/validation.py`), mirrored by [`schema`]:
//! - no template or no `variables`: nothing is validated;
//! - the `variables` schema itself must be valid, else every run is refused;
//! - the pool's defaults come first: a block reference default
//!   `{"$ref": {"block_document_id": ...}}` is the block's data (only the server has it:
//!   poolsync counts the variable as set and does not validate it); a reference without an
//!   id is no default; a default that fails its own schema is dropped, and then no
//!   `required` is checked at all;
//! - the deployment's values replace them key by key (a shallow merge);
//! - the result is validated against the preprocessed schema (every optional typed field
//!   also accepts `null`; block definitions also accept a `{"$ref": ...}`), with `required`.
//!
//! Besides the server's errors ([`ProblemKind::Invalid`]), two warnings: a key the schema does not
//! define passes validation but the worker drops it ([`ProblemKind::Ignored`], with the closest
//! variable names), and a variable no `{{ placeholder }}` of `job_configuration` uses is
//! never applied ([`ProblemKind::Unwired`]). [`compare`] turns the findings before and after a
//! template change into [`ProblemKind::Breaks`] and [`ProblemKind::ChangesMeaning`].

mod compare;
mod schema;
mod suggest;

pub use compare::compare;

use crate::pointer::Pointer;
use crate::template::job_placeholders;
use serde::Serialize;
use serde_json::{Map, Value};

/// What a finding says about one key of a deployment's `job_variables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The value fails the variable's schema, or a required variable is missing: the server
    /// refuses to create a flow run (HTTP 422).
    Invalid,
    /// The schema does not define the key: it passes, and the worker drops it.
    Ignored,
    /// The variable is defined but no placeholder in `job_configuration` uses it.
    Unwired,
    /// Valid before a template change, invalid after it.
    Breaks,
    /// Wired before a template change, unwired or no longer defined after it.
    ChangesMeaning,
}

impl ProblemKind {
    /// Errors block; warnings never do.
    pub fn severity(self) -> Severity {
        match self {
            ProblemKind::Invalid | ProblemKind::Breaks => Severity::Error,
            ProblemKind::Ignored | ProblemKind::Unwired | ProblemKind::ChangesMeaning => {
                Severity::Warning
            }
        }
    }

    /// The kind as users read it.
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Invalid => "invalid",
            ProblemKind::Ignored => "ignored",
            ProblemKind::Unwired => "unwired",
            ProblemKind::Breaks => "breaks",
            ProblemKind::ChangesMeaning => "changes meaning",
        }
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The server would refuse the deployment's runs.
    Error,
    /// The runs go ahead, but not as the deployment says.
    Warning,
}

/// One finding about one key of one deployment's `job_variables`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The variable (top-level key) concerned.
    pub key: String,
    /// JSON pointer (RFC 6901) inside the deployment, e.g. `/job_variables/memory`.
    pub pointer: Pointer,
    /// The offending value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// What is wrong, lowercase.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl Problem {
    /// Errors block; warnings never do.
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }
}

/// How values are read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Strings holding `{{ ... }}` are unknown until `prefect deploy` fills them (a
    /// `prefect.yaml`): they are not validated against types.
    pub templated_unknown: bool,
}

/// The JSON pointer of `key` (and `rest`, already escaped) in a deployment; no key: the
/// whole `job_variables`.
pub(crate) fn pointer(key: &str, rest: &str) -> Pointer {
    match key {
        "" => Pointer::root().child("job_variables"),
        key => format!("/job_variables/{}{rest}", Pointer::escape(key)).into(),
    }
}

/// Every finding for a deployment whose `job_variables` are these, on a pool whose base job
/// template is `template`, in key order: errors from the server's rule, then warnings.
pub fn check(template: &Value, job_variables: &Value, options: Options) -> Vec<Problem> {
    let Some(variables) = template.get("variables").filter(|v| truthy_object(v)) else {
        return Vec::new();
    };
    let empty = Map::new();
    let values = job_variables.as_object().unwrap_or(&empty);
    let mut found = schema::validate(variables, values, options);
    let properties = variables
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let wired = template
        .get("job_configuration")
        .map(job_placeholders)
        .unwrap_or_default();
    for (key, value) in values {
        if found.iter().any(|f| &f.key == key) {
            continue;
        }
        if !properties.contains_key(key) {
            found.push(ignored(key, value, properties));
        } else if !wired.iter().any(|w| w == key) {
            found.push(unwired(key, value));
        }
    }
    found
}

fn truthy_object(value: &Value) -> bool {
    value.as_object().is_some_and(|o| !o.is_empty())
}

fn ignored(key: &str, value: &Value, properties: &Map<String, Value>) -> Problem {
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    let closest = suggest::closest(key, &names);
    let fix = match closest.as_slice() {
        [] => format!(
            "remove {key:?} from the deployment's job_variables, or define it in the pool's \
             variables and use it in job_configuration"
        ),
        names => format!(
            "rename it to the variable you meant ({}), or remove it",
            names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Problem {
        kind: ProblemKind::Ignored,
        key: key.to_string(),
        pointer: pointer(key, ""),
        value: Some(value.clone()),
        message: format!(
            "the pool's variables do not define {key:?}: the server accepts it and the worker \
             drops it"
        ),
        fix,
    }
}

fn unwired(key: &str, value: &Value) -> Problem {
    Problem {
        kind: ProblemKind::Unwired,
        key: key.to_string(),
        pointer: pointer(key, ""),
        value: Some(value.clone()),
        message: format!(
            "variable {key:?} is defined but no placeholder in job_configuration uses it, so \
             its value is never applied"
        ),
        fix: format!(
            "add \"{{{{ {key} }}}}\" where it belongs in the pool's job_configuration, or \
             remove it from the deployment"
        ),
    }
}

#[cfg(test)]
mod tests;
