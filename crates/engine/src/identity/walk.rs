//! Finds the federated identity values a base job template carries: schema defaults under
//! `variables.properties.federated_identity` (through `$ref` and combinators) and a literal
//! `job_configuration.federated_identity`.

use super::{FIELDS, check_field, check_value};
use crate::finding::Finding;
use serde_json::Value;
use std::collections::HashSet;

/// Where the identity variable lives in a base job template.
const PROPERTY: &str = "/variables/properties/federated_identity";
/// Where a literal identity lives in a base job template.
const JOB_CONFIGURATION: &str = "/job_configuration/federated_identity";

/// See [`super::check_template`].
pub(super) fn check_template(template: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    if let (Some(variables), Some(property)) =
        (template.get("variables"), template.pointer(PROPERTY))
    {
        let mut walker = Walker {
            variables,
            seen: HashSet::new(),
            out: &mut out,
        };
        walker.identity_schema(property, PROPERTY.to_string());
    }
    if let Some(literal @ Value::Object(_)) = template.pointer(JOB_CONFIGURATION) {
        out.extend(
            check_value(literal, JOB_CONFIGURATION)
                .into_iter()
                .filter(|v| !is_templated(v.value.as_ref())),
        );
    }
    out
}

/// Whether a value is (or contains) a `{{ placeholder }}` filled in at run time, which the
/// patterns cannot judge.
fn is_templated(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| s.contains("{{"))
}

/// A walk over the schemas of one template's `variables`, each location visited once.
struct Walker<'a, 'o> {
    variables: &'a Value,
    seen: HashSet<String>,
    out: &'o mut Vec<Finding>,
}

impl<'a> Walker<'a, '_> {
    /// Checks a schema describing a whole identity at `pointer`: its `default`, its per-field
    /// defaults, and the schemas it links to.
    fn identity_schema(&mut self, node: &'a Value, pointer: String) {
        if !self.seen.insert(pointer.clone()) {
            return;
        }
        if let Some(default) = node.get("default") {
            self.out
                .extend(check_value(default, &format!("{pointer}/default")));
        }
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for field in FIELDS {
                if let Some(schema) = properties.get(field) {
                    self.field_schema(field, schema, format!("{pointer}/properties/{field}"));
                }
            }
        }
        for (target, target_pointer) in self.linked(node, &pointer) {
            self.identity_schema(target, target_pointer);
        }
    }

    /// Checks a schema describing one identity field at `pointer`: its non-null `default`
    /// and the schemas it links to.
    fn field_schema(&mut self, field: &str, node: &'a Value, pointer: String) {
        if !self.seen.insert(pointer.clone()) {
            return;
        }
        if let Some(default) = node.get("default").filter(|d| !d.is_null()) {
            self.out
                .extend(check_field(field, default, &format!("{pointer}/default")));
        }
        for (target, target_pointer) in self.linked(node, &pointer) {
            self.field_schema(field, target, target_pointer);
        }
    }

    /// The schemas `node` links to, with their pointers in the template: a local `$ref`
    /// (resolved inside `variables`) and every `anyOf`/`oneOf`/`allOf` member.
    fn linked(&self, node: &'a Value, pointer: &str) -> Vec<(&'a Value, String)> {
        let mut links = Vec::new();
        if let Some(fragment) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            let target = if fragment.is_empty() {
                Some(self.variables)
            } else {
                self.variables.pointer(fragment)
            };
            if let Some(target) = target {
                links.push((target, format!("/variables{fragment}")));
            }
        }
        for keyword in ["anyOf", "oneOf", "allOf"] {
            if let Some(members) = node.get(keyword).and_then(Value::as_array) {
                for (index, member) in members.iter().enumerate() {
                    links.push((member, format!("{pointer}/{keyword}/{index}")));
                }
            }
        }
        links
    }
}
