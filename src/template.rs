//! Pure structural checks of a base job template, matching the Prefect server's own
//! validation: both sections present, every `{{ placeholder }}` defined in `variables`.

use crate::violation::Violation;
use serde_json::Value;

/// Checks a base job template the way the Prefect server does before it accepts one.
/// Returns every problem found; an empty list means the server would accept it.
pub fn check(template: &Value) -> Vec<Violation> {
    let _ = template;
    todo!("helper")
}
