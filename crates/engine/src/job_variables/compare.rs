//! A template change seen from one deployment: its findings against the new template, with
//! what the change did to it. A key that was valid and is invalid now **breaks**; a key that
//! was wired into `job_configuration` and now is not, or is no longer defined, **changes
//! meaning** (its value used to be applied and now is not).

use super::{Options, Problem, ProblemKind, check, pointer};
use crate::template::job_placeholders;
use serde_json::Value;

/// The findings of a deployment with `job_variables` against `after`, knowing it ran
/// against `before`: an invalid key that was not invalid before becomes [`ProblemKind::Breaks`]
/// (one that was invalid already stays [`ProblemKind::Invalid`]); a key wired before and not after
/// becomes [`ProblemKind::ChangesMeaning`] in place of its ignored or unwired warning.
pub fn compare(
    before: &Value,
    after: &Value,
    job_variables: &Value,
    options: Options,
) -> Vec<Problem> {
    let earlier = check(before, job_variables, options);
    let was_invalid = |f: &Problem| {
        earlier
            .iter()
            .any(|e| e.kind == ProblemKind::Invalid && e.key == f.key)
    };
    let was_wired = |key: &str| wired(before, key);
    let mut found = Vec::new();
    for mut finding in check(after, job_variables, options) {
        match finding.kind {
            ProblemKind::Invalid if !was_invalid(&finding) => {
                finding.kind = ProblemKind::Breaks;
                finding.message = format!(
                    "valid before the upgrade, invalid after: {}",
                    finding.message
                );
            }
            ProblemKind::Ignored | ProblemKind::Unwired if was_wired(&finding.key) => {
                finding = changes_meaning(&finding, after);
            }
            _ => {}
        }
        found.push(finding);
    }
    found
}

/// Whether `template` defines `key` and uses it in a `job_configuration` placeholder.
fn wired(template: &Value, key: &str) -> bool {
    let defined = template
        .pointer("/variables/properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(key));
    defined
        && template
            .get("job_configuration")
            .map(job_placeholders)
            .is_some_and(|used| used.iter().any(|u| u == key))
}

fn changes_meaning(finding: &Problem, after: &Value) -> Problem {
    let key = &finding.key;
    let defined = after
        .pointer("/variables/properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(key));
    let (what, fix) = match defined {
        false => (
            "the upgrade removes the variable",
            format!(
                "keep {key:?} in the merged template (poolsync's --base or a --template that \
                 defines it), or move the deployment to the variable that replaces it"
            ),
        ),
        true => (
            "the upgrade leaves the variable defined but no placeholder in job_configuration \
             uses it",
            format!(
                "put \"{{{{ {key} }}}}\" back where job_configuration used it, or move the \
                 deployment to the variable that replaces it"
            ),
        ),
    };
    Problem {
        kind: ProblemKind::ChangesMeaning,
        key: key.clone(),
        pointer: pointer(key, ""),
        value: finding.value.clone(),
        message: format!(
            "{key:?} was applied to the deployment's runs before the upgrade and is not after: \
             {what}"
        ),
        fix,
    }
}
