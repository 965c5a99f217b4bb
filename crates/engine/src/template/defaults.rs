//! The server's check of variable defaults when a pool is created
//! (`validate_job_variable_defaults_for_work_pool` in `prefect/server/api/validation.py`).
//! Updates (PATCH) skip it, so a bad default would otherwise surface only when a worker runs.
//!
//! What the server does, and this mirrors:
//! - every `default` of a `variables.properties` entry goes into one object, validated against
//!   the whole `variables` schema (Draft 2020-12, `$ref`s resolved inside it, nothing fetched),
//!   with every nested `required` removed;
//! - before that the schema is preprocessed (`preprocess_schema`, `allow_none_with_default`):
//!   a property with a `type` other than `"null"` that its object does not require becomes
//!   `anyOf: [{type}, {type: null}]` (so `null` is a valid default of an optional variable),
//!   recursively through `properties` and the `properties` of each `definitions` entry; a list
//!   `items` becomes `prefixItems`; a block schema in `definitions` (one with
//!   `block_type_slug`) also accepts `{"$ref": ...}`, stored under its `title`;
//! - a default `{"$ref": {...}}` without `block_document_id` is not validated; one with it is
//!   the block document's data, which only the server has: poolsync checks only that the id
//!   is a UUID (otherwise the server answers 404), not the block's data.
//!
//! Deviations: the server stops at its first error (poolsync reports every one), and it
//! answers HTTP 500 for a `$ref` that is not an object, which poolsync reports as a violation.

use super::truthy;
use crate::finding::Finding;
use crate::pointer::Pointer;
use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// The violations of every variable default against its own property schema.
pub(super) fn check(variables: &Map<String, Value>) -> Vec<Finding> {
    let Some(properties) = variables.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut defaults = Map::new();
    for (name, schema) in properties {
        let Some(default) = schema.get("default") else {
            continue;
        };
        match default.get("$ref") {
            None => {
                defaults.insert(name.clone(), default.clone());
            }
            Some(reference) => out.extend(block_reference(name, reference)),
        }
    }
    if defaults.is_empty() {
        return out;
    }
    let validator = match compiled(variables) {
        Ok(validator) => validator,
        Err(error) => {
            out.push(Finding::violation(
                "/variables",
                None,
                format!(
                    "variables is not a valid json schema, so the server cannot check the \
                     defaults: {}",
                    error.masked()
                ),
                "fix the schema: every $ref must point inside variables (its definitions \
                      or $defs) and every keyword must have a valid value",
            ));
            return out;
        }
    };
    let instance = Value::Object(defaults);
    for error in validator.iter_errors(&instance) {
        let mut path = error.instance_path().iter();
        let Some(LocationSegment::Property(name)) = path.next() else {
            continue;
        };
        let rest: String = path
            .map(|segment| match segment {
                LocationSegment::Property(key) => format!("/{}", Pointer::escape(&key)),
                LocationSegment::Index(index) => format!("/{index}"),
            })
            .collect();
        let schema = properties.get(name.as_ref()).and_then(Value::as_object);
        let reason = match (error.kind(), schema.and_then(|s| s.get("type"))) {
            // The server's null wrapper around the property's own `type`.
            (ValidationErrorKind::AnyOf { .. }, Some(ty)) if rest.is_empty() => {
                format!("value is not of type {ty} (or null)")
            }
            _ => error.masked().to_string(),
        };
        out.push(Finding::violation(
            format!(
                "/variables/properties/{}/default{rest}",
                Pointer::escape(&name)
            ),
            Some(error.instance().clone().into_owned()),
            format!("the default of variable {name:?} does not match its schema: {reason}"),
            format!(
                "change the default of {name:?} to a value its schema accepts, or remove the \
                 default"
            ),
        ));
    }
    out
}

/// How many compiled schemas [`compiled`] keeps.
const COMPILED_KEPT: usize = 8;

/// A compiled schema, by the `variables` it was compiled from (without their defaults).
type Kept = (Map<String, Value>, Arc<Validator>);

/// The schemas compiled last, newest first.
static COMPILED: Mutex<Vec<Kept>> = Mutex::new(Vec::new());

/// The validator of the server's defaults check for `variables`: its schema preprocessed,
/// without `required`, and without each variable's `default` (an annotation, which no
/// validation reads), so the pools of one type, which differ in their defaults, share one
/// compiled schema. Compiling is most of the check's time; the last [`COMPILED_KEPT`] are
/// kept, so memory stays bounded over any number of pools. A kept one is found by comparing
/// `variables` with what it was compiled from, in order and defaults aside: what it is
/// compiled from follows from that alone, and comparing copies nothing.
fn compiled(
    variables: &Map<String, Value>,
) -> Result<Arc<Validator>, jsonschema::ValidationError<'static>> {
    let kept = |cache: &mut Vec<Kept>| {
        let at = cache
            .iter()
            .position(|(from, _)| same_but_defaults(from, variables))?;
        let entry = cache.remove(at);
        let validator = Arc::clone(&entry.1);
        cache.insert(0, entry);
        Some(validator)
    };
    if let Some(validator) = COMPILED.lock().ok().as_deref_mut().and_then(kept) {
        return Ok(validator);
    }
    let mut schema = without_required(&preprocess(variables));
    if let Some(schema) = schema.as_object_mut() {
        drop_defaults(schema);
    }
    let validator = Arc::new(
        jsonschema::draft202012::options()
            .offline()
            .build(&schema)?,
    );
    if let Ok(mut cache) = COMPILED.lock() {
        let mut from = variables.clone();
        drop_defaults(&mut from);
        cache.insert(0, (from, Arc::clone(&validator)));
        cache.truncate(COMPILED_KEPT);
    }
    Ok(validator)
}

/// Removes the `default` of each of `schema`'s properties (not of nested schemas).
fn drop_defaults(schema: &mut Map<String, Value>) {
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for property in properties.values_mut() {
            if let Some(property) = property.as_object_mut() {
                property.shift_remove("default");
            }
        }
    }
}

/// Whether `variables` is `kept` (variables whose properties have no `default`) once its
/// own properties' defaults are set aside: every member equal and in the same order.
fn same_but_defaults(kept: &Map<String, Value>, variables: &Map<String, Value>) -> bool {
    same_members(kept, variables.iter(), |key, a, b| match (key, a, b) {
        ("properties", Value::Object(a), Value::Object(b)) => {
            same_members(a, b.iter(), |_, x, y| same_but_default(x, y))
        }
        _ => same_in_order(a, b),
    })
}

/// Whether a kept property schema (no `default`) is `property` with its `default` aside.
fn same_but_default(kept: &Value, property: &Value) -> bool {
    match (kept, property) {
        (Value::Object(a), Value::Object(b)) => {
            let rest = b.iter().filter(|(key, _)| *key != "default");
            same_members(a, rest, |_, x, y| same_in_order(x, y))
        }
        _ => same_in_order(kept, property),
    }
}

/// Equal, with every object's members in the same order (`==` ignores their order; the
/// compiled schema, and the order of its findings, may not).
fn same_in_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            same_members(a, b.iter(), |_, x, y| same_in_order(x, y))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_in_order(x, y))
        }
        _ => a == b,
    }
}

/// Whether `members` are `kept`'s, key by key in the same order, each pair of values
/// alike by `alike(key, kept's, theirs)`.
fn same_members<'a>(
    kept: &Map<String, Value>,
    members: impl Iterator<Item = (&'a String, &'a Value)> + Clone,
    alike: impl Fn(&str, &Value, &Value) -> bool,
) -> bool {
    kept.len() == members.clone().count()
        && kept
            .iter()
            .zip(members)
            .all(|((k, a), (key, b))| k == key && alike(k, a, b))
}

/// The violation, if any, of a default that is a block document reference `{"$ref": ...}`.
fn block_reference(name: &str, reference: &Value) -> Option<Finding> {
    let pointer = format!(
        "/variables/properties/{}/default/$ref",
        Pointer::escape(name)
    );
    let fix = "use {\"$ref\": {\"block_document_id\": \"<block document uuid>\"}}";
    let Some(reference) = reference.as_object() else {
        return Some(Finding::violation(
            pointer,
            Some(reference.clone()),
            format!(
                "the default of variable {name:?} is a block reference whose $ref is not an \
                 object; the server fails on it"
            ),
            fix,
        ));
    };
    let id = reference.get("block_document_id")?;
    let parses = id
        .as_str()
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok());
    (!parses).then(|| {
        Finding::violation(
            format!("{pointer}/block_document_id"),
            Some(id.clone()),
            format!(
                "the default of variable {name:?} references a block document by an id that is \
             not a uuid; the server answers \"block not found\""
            ),
            fix,
        )
    })
}

/// The server's `preprocess_schema(variables, allow_none_with_default=True)`.
pub(crate) fn preprocess(variables: &Map<String, Value>) -> Value {
    let mut schema = variables.clone();
    process_object(&mut schema);
    let Some(Value::Object(definitions)) = schema.get_mut("definitions") else {
        return Value::Object(schema);
    };
    let mut blocks = Vec::new();
    for definition in definitions.values_mut() {
        let Some(definition) = definition.as_object_mut() else {
            continue;
        };
        process_object(definition);
        if definition.contains_key("block_type_slug")
            && let Some(title) = definition.get("title").and_then(Value::as_str)
        {
            blocks.push((title.to_string(), definition.clone()));
        }
    }
    for (title, definition) in blocks {
        let reference = json!({
            "type": "object",
            "properties": {"$ref": {"oneOf": [
                {"type": "string", "format": "uuid"},
                {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1}
            ]}},
            "required": ["$ref"]
        });
        definitions.insert(title, json!({"oneOf": [definition, reference]}));
    }
    Value::Object(schema)
}

/// The server's `process_properties` over an object schema's `properties`, recursively.
fn process_object(schema: &mut Map<String, Value>) {
    let required: Vec<Value> = schema
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for (key, property) in properties.iter_mut() {
        let Some(property) = property.as_object_mut() else {
            continue;
        };
        let optional = !required.iter().any(|r| r.as_str() == Some(key.as_str()));
        if let Some(ty) = property.get("type").filter(|ty| *ty != "null").cloned()
            && optional
        {
            property.insert("anyOf".into(), json!([{"type": ty}, {"type": "null"}]));
            property.remove("type");
        }
        let list = property.get("items").and_then(Value::as_array).cloned();
        if let Some(items) = list.filter(|items| !items.is_empty())
            && !property.get("prefixItems").is_some_and(truthy)
        {
            property.insert("prefixItems".into(), Value::Array(items));
            property.remove("items");
        }
        if property.contains_key("properties") {
            process_object(property);
        }
    }
}

/// The server's `remove_nested_keys(["required"], ...)`: every object's `required` member
/// removed, recursively through objects (not arrays).
pub(crate) fn without_required(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| *key != "required")
                .map(|(key, value)| (key.clone(), without_required(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;
