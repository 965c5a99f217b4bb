//! The server's validation of a flow run's job variables (`_validate_work_pool_job_variables`
//! with `ignore_required=False, ignore_invalid_defaults=True`): defaults, then the
//! deployment's values, validated against the preprocessed `variables` schema.
//!
//! Deviations: the server stops at its first error (this reports every one); a block
//! reference default is counted as set without its data (only the server has the block); the
//! server checks `format` on each default on its own, this does not.

use super::{Options, Problem, ProblemKind, pointer};
use crate::pointer::Pointer;
use crate::template::defaults::{preprocess, without_required};
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value};

/// What the pool's defaults give a run: values, and variables set by a block reference
/// whose data only the server has.
struct Defaults {
    values: Map<String, Value>,
    blocks: Vec<String>,
    /// A default failed its own schema: the server then checks no `required` at all.
    invalid: bool,
}

/// The server's errors for a run of a deployment with `values`, on a pool whose `variables`
/// schema is `variables`.
pub(super) fn validate(
    variables: &Value,
    values: &Map<String, Value>,
    options: Options,
) -> Vec<Problem> {
    let Some(variables) = variables.as_object() else {
        return vec![broken_schema("variables is not a json object")];
    };
    let raw = match jsonschema::draft202012::options()
        .offline()
        .build(&Value::Object(variables.clone()))
    {
        Ok(raw) => raw,
        Err(error) => return vec![broken_schema(&error.masked().to_string())],
    };
    let defaults = defaults(variables, &raw);
    let mut run = defaults.values;
    for (key, value) in values {
        run.insert(key.clone(), value.clone());
    }
    let unknown: Vec<&String> = defaults
        .blocks
        .iter()
        .filter(|name| !values.contains_key(*name))
        .collect();
    let mut schema = preprocess(variables);
    if defaults.invalid {
        schema = without_required(&schema);
    } else if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|r| !unknown.iter().any(|u| r.as_str() == Some(u.as_str())));
    }
    let validator = match jsonschema::draft202012::options().offline().build(&schema) {
        Ok(validator) => validator,
        Err(error) => return vec![broken_schema(&error.masked().to_string())],
    };
    let properties = variables.get("properties").and_then(Value::as_object);
    let instance = Value::Object(run);
    let mut found: Vec<Problem> = Vec::new();
    for error in validator.iter_errors(&instance) {
        if options.templated_unknown && templated(error.instance()) {
            continue;
        }
        let mut path = error.instance_path().iter();
        let (key, rest) = match (path.next(), error.kind()) {
            (Some(LocationSegment::Property(key)), _) => (key.to_string(), rest(path)),
            (None, ValidationErrorKind::Required { property }) => {
                let key = property.as_str().unwrap_or_default().to_string();
                found.push(missing(&key));
                continue;
            }
            (None, ValidationErrorKind::AdditionalProperties { unexpected }) => {
                found.extend(
                    unexpected
                        .iter()
                        .map(|key| not_allowed(key, values.get(key))),
                );
                continue;
            }
            _ => (String::new(), String::new()),
        };
        let ty = properties
            .and_then(|p| p.get(&key))
            .and_then(|s| s.get("type"));
        let reason = match (error.kind(), ty) {
            (ValidationErrorKind::AnyOf { .. }, Some(ty)) if rest.is_empty() => {
                format!("value is not of type {ty} (or null)")
            }
            _ => error.masked().to_string(),
        };
        let from_default = !values.contains_key(&key);
        let finding = Problem {
            kind: ProblemKind::Invalid,
            pointer: pointer(&key, &rest),
            value: Some(error.instance().clone().into_owned()),
            message: match from_default {
                true => {
                    format!("the pool's default of {key:?} does not match its schema: {reason}")
                }
                false => format!("{key:?} does not match the pool's schema: {reason}"),
            },
            fix: match from_default {
                true => format!("set {key:?} in the deployment, or fix the pool's default"),
                false => format!(
                    "set {key:?} to a value the pool's variables accept, or remove it to use the \
                     pool's default"
                ),
            },
            key,
        };
        if !found.contains(&finding) {
            found.push(finding);
        }
    }
    found
}

/// The pool's defaults, as the server takes them for a run (`_get_base_config_defaults`).
fn defaults(variables: &Map<String, Value>, raw: &jsonschema::Validator) -> Defaults {
    let mut out = Defaults {
        values: Map::new(),
        blocks: Vec::new(),
        invalid: false,
    };
    let properties = variables.get("properties").and_then(Value::as_object);
    for (name, schema) in properties.into_iter().flatten() {
        let Some(default) = schema.get("default") else {
            continue;
        };
        if let Some(reference) = default.as_object().and_then(|d| d.get("$ref")) {
            if reference.get("block_document_id").is_some() {
                out.blocks.push(name.clone());
            }
            continue;
        }
        let alone = Value::Object(Map::from_iter([(name.clone(), default.clone())]));
        // The server checks each default alone, unprocessed and without `required`.
        let invalid = raw
            .iter_errors(&alone)
            .any(|e| !matches!(e.kind(), ValidationErrorKind::Required { .. }));
        match invalid {
            true => out.invalid = true,
            false => {
                out.values.insert(name.clone(), default.clone());
            }
        }
    }
    out
}

/// The rest of an instance path, as JSON pointer tokens.
fn rest<'a>(path: impl Iterator<Item = LocationSegment<'a>>) -> String {
    path.map(|segment| match segment {
        LocationSegment::Property(key) => format!("/{}", Pointer::escape(&key)),
        LocationSegment::Index(index) => format!("/{index}"),
    })
    .collect()
}

/// Whether a value is (or holds, at its top) a `{{ ... }}` template `prefect deploy` fills.
fn templated(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.contains("{{"))
}

fn missing(key: &str) -> Problem {
    Problem {
        kind: ProblemKind::Invalid,
        key: key.to_string(),
        pointer: pointer(key, ""),
        value: None,
        message: format!(
            "variable {key:?} is required, has no default in the pool, and the deployment does \
             not set it"
        ),
        fix: format!(
            "set {key:?} in the deployment's job_variables, or give it a default in the pool"
        ),
    }
}

/// A key the schema forbids (`additionalProperties: false`): the server refuses the run.
fn not_allowed(key: &str, value: Option<&Value>) -> Problem {
    Problem {
        kind: ProblemKind::Invalid,
        key: key.to_string(),
        pointer: pointer(key, ""),
        value: value.cloned(),
        message: format!(
            "the pool's variables do not define {key:?} and allow no other keys, so the server \
             refuses the run"
        ),
        fix: format!("remove {key:?} from the deployment's job_variables"),
    }
}

fn broken_schema(reason: &str) -> Problem {
    Problem {
        kind: ProblemKind::Invalid,
        key: String::new(),
        pointer: "/job_variables".into(),
        value: None,
        message: format!(
            "the pool's variables schema is not a valid json schema, so the server refuses \
             every flow run: {reason}"
        ),
        fix: "fix the pool's variables schema (poolsync validate POOL shows where)".into(),
    }
}
