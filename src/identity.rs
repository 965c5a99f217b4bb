//! Pure validation of the `federated_identity` section Prefect Cloud managed pools use to
//! call AWS STS `AssumeRoleWithWebIdentity`: the Rust type, its JSON Schema, and checks.

use crate::violation::Violation;
use serde_json::Value;

/// The federated identity JSON Schema generated from the Rust type (what
/// `schemas/federated-identity.schema.json` must equal).
pub fn schema() -> Value {
    todo!("helper")
}

/// Validates every federated identity value a base job template carries.
pub fn check_template(template: &Value) -> Vec<Violation> {
    let _ = template;
    todo!("helper")
}

/// Validates one federated identity value found at `pointer` (e.g. a deployment override).
pub fn check_value(value: &Value, pointer: &str) -> Vec<Violation> {
    let _ = (value, pointer);
    todo!("helper")
}
