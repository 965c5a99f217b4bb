//! poolsync's template engine: everything poolsync decides about a work pool's base job
//! template, pure and synchronous (no I/O, no async, no command line), so another tool can
//! use it as it is.
//!
//! - [`merge`]: jq-compatible, schema-aware and three-way merges of templates.
//! - [`history`]: the released default templates (embedded) and base inference.
//! - [`template`]: the server's placeholder and section checks.
//! - [`checks`]: every check a template must pass before it is written.
//! - [`identity`]: the federated identity type, its schema and validation.
//! - [`job_variables`]: a deployment's job variables checked against a template.
//! - [`prefect_yaml`]: the deployments of a prefect.yaml, with their pools and job variables.
//! - [`diff`]: unified text diff and JSON Patch.
//! - [`finding`]: the one finding shape every check, merge and lint reports, and its level.
//! - [`pointer`]: JSON pointers, as every finding locates itself.
//! - [`display`]: escaping untrusted names for a terminal.
//! - [`big_integers`]: integers beyond 64 bits in JSON text, refused by pointer.
//! - [`error`]: the engine's error type.

pub mod big_integers;
pub mod checks;
pub mod diff;
pub mod display;
pub mod error;
pub mod finding;
pub mod history;
pub mod identity;
pub mod job_variables;
pub mod merge;
mod ordered;
pub mod pointer;
pub mod prefect_yaml;
pub mod template;

pub use error::{Error, Result};

/// The JSON name of a value's type (`object`, `array`, `string`, ...), for messages.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
