//! Variables the new default wires into `job_configuration` but the merged template does
//! not: defined, shown in the pool's form, and doing nothing.

use super::properties;
use crate::finding::Finding;
use crate::pointer::Pointer;
use crate::template::{job_placeholder_uses, job_placeholders};
use serde_json::Value;

/// Warns, at `/variables/properties/NAME` of the merged template, for every variable the
/// default's `job_configuration` uses that the merged template defines but never uses,
/// naming where the default uses it.
pub(super) fn unwired(default: &Value, merged: &Value, out: &mut Vec<Finding>) {
    let (Some(theirs), Some(defined)) = (default.get("job_configuration"), properties(merged))
    else {
        return;
    };
    let used = merged
        .get("job_configuration")
        .map(job_placeholders)
        .unwrap_or_default();
    for (name, at) in job_placeholder_uses(theirs) {
        if !defined.contains_key(&name) || used.contains(&name) {
            continue;
        }
        out.push(Finding::notice(
            format!("/variables/properties/{}", Pointer::escape(&name)),
            format!(
                "variable {name:?} is defined but job_configuration never uses it, so setting \
                 it does nothing; the default uses it at {at}: add \"{{{{ {name} }}}}\" there"
            ),
        ));
    }
}
