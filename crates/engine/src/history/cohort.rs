//! Pure: whether a variable the pool lacks was deleted by the user or never in its origin,
//! decided by the variable's cohort.
//!
//! Upstream adds variables in groups: the variables present in exactly the same released
//! defaults (of those that explain the pool) form a cohort, added together. When the pool
//! lacks a variable but holds others of its cohort, its origin had the cohort, so the user
//! deleted it. When the pool lacks the whole cohort, its origin predates it: the variable is
//! an upstream addition to take. A variable every candidate defines, or one that came
//! alone, tells nothing this way; the plausible origins decide it (see `evidence.rs`).

use crate::template::uses;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

fn variables(template: &Value) -> Option<&Map<String, Value>> {
    template.pointer("/variables/properties")?.as_object()
}

/// Adjusts `base` for every variable some of `candidates` (best first) define and `current`
/// does not: deleted (the base defines it) or never had (the base neither defines nor uses
/// it where the pool lacks the place).
pub(super) fn decide(base: &mut Value, current: &Value, candidates: &[&Value]) {
    let ours: BTreeSet<&str> = variables(current)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let defined: Vec<Option<&Map<String, Value>>> =
        candidates.iter().map(|c| variables(c)).collect();
    // Each variable's pattern (which candidates define it), worked out once per variable
    // (not once per candidate defining it): a cohort is the variables of one pattern.
    let mut patterns: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
    for name in defined.iter().flatten().flat_map(|p| p.keys()) {
        if !patterns.contains_key(name.as_str()) {
            let pattern = defined
                .iter()
                .map(|p| p.is_some_and(|p| p.contains_key(name)))
                .collect();
            patterns.insert(name, pattern);
        }
    }
    let mut cohorts: BTreeMap<&[bool], (usize, bool)> = BTreeMap::new();
    for (name, pattern) in &patterns {
        let cohort = cohorts.entry(pattern.as_slice()).or_default();
        cohort.0 += 1;
        cohort.1 |= ours.contains(name);
    }
    for (name, mine) in patterns.iter().filter(|(n, _)| !ours.contains(**n)) {
        let (cohort, cohort_held) = cohorts.get(mine.as_slice()).copied().unwrap_or_default();
        // Every candidate defines it, or it came alone: nothing to tell by.
        if mine.iter().all(|has| *has) || cohort < 2 {
            continue;
        }
        if cohort_held {
            let schema = defined.iter().flatten().find_map(|p| p.get(*name));
            if let (Some(schema), Some(Value::Object(props))) =
                (schema, base.pointer_mut("/variables/properties"))
            {
                props
                    .entry((*name).to_string())
                    .or_insert_with(|| schema.clone());
            }
        } else {
            if let Some(Value::Object(props)) = base.pointer_mut("/variables/properties") {
                props.remove(*name);
            }
            if let (Some(theirs), Some(mine)) = (
                base.get_mut("job_configuration"),
                current.get("job_configuration"),
            ) {
                drop_uses(theirs, Some(mine), name);
            }
        }
    }
}

/// Removes from `base` each object member that uses `name` and that `current` lacks.
fn drop_uses(base: &mut Value, current: Option<&Value>, name: &str) {
    if let Value::Object(map) = base {
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            let theirs = current.and_then(|c| c.get(&key));
            let used = map.get(&key).is_some_and(|v| uses(v, name));
            if !used {
                continue;
            }
            match theirs {
                None => {
                    map.remove(&key);
                }
                Some(mine) => {
                    if let Some(value) = map.get_mut(&key) {
                        drop_uses(value, Some(mine), name);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(vars: &[&str]) -> Value {
        let props: Map<String, Value> = vars
            .iter()
            .map(|v| (v.to_string(), json!({"type": "string"})))
            .collect();
        let jc: Map<String, Value> = vars
            .iter()
            .map(|v| (v.to_string(), json!(format!("{{{{ {v} }}}}"))))
            .collect();
        json!({"job_configuration": jc, "variables": {"properties": props}})
    }

    #[test]
    fn a_whole_cohort_missing_was_never_had_and_one_of_a_held_cohort_was_deleted() {
        let old = template(&["a", "b", "alone"]);
        let new = template(&["a", "b", "cpu", "mem"]);
        // The pool has a, b and mem, not cpu: cpu's cohort {cpu, mem} is held, so deleted.
        let current = template(&["a", "b", "mem"]);
        let mut base = template(&["a", "b", "mem"]);
        decide(&mut base, &current, &[&new, &old]);
        assert!(
            base.pointer("/variables/properties/cpu").is_some(),
            "{base}"
        );
        // The pool has a and b only: the cohort was never there.
        let current = template(&["a", "b"]);
        let mut base = new.clone();
        decide(&mut base, &current, &[&new, &old]);
        assert!(
            base.pointer("/variables/properties/cpu").is_none(),
            "{base}"
        );
        assert!(base.pointer("/job_configuration/mem").is_none(), "{base}");
        assert!(base.pointer("/job_configuration/a").is_some(), "{base}");
    }

    #[test]
    fn a_variable_every_candidate_defines_is_left_to_the_evidence() {
        let only = template(&["a", "b"]);
        let current = template(&["a"]);
        let mut base = template(&["a"]);
        decide(&mut base, &current, &[&only]);
        assert_eq!(base, template(&["a"]));
    }
}
