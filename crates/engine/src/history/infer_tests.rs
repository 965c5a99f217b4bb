use super::*;
use crate::history::embedded;

/// Prints, per type, the score of each released default (row) as the candidate against each
/// other (column) as the pool: the data behind THRESHOLD.
#[test]
#[ignore = "experiment: cargo test --lib history::infer -- --ignored --nocapture"]
fn print_score_matrix() {
    let history = embedded().expect("decodes");
    for pool_type in history.types() {
        let defaults = history.defaults(pool_type);
        println!("{pool_type}");
        for cand in defaults {
            let row: Vec<String> = defaults
                .iter()
                .map(|pool| {
                    let a = agreement(&cand.template, Some(&pool.template));
                    format!("{:5.1}", 100.0 * a.score())
                })
                .collect();
            println!(
                "  {:>22} {:4} leaves: {}",
                cand.range(),
                leaves(&cand.template),
                row.join(" ")
            );
        }
        let others: Vec<String> = history
            .types()
            .filter(|t| *t != pool_type)
            .map(|t| {
                let best = history
                    .defaults(t)
                    .iter()
                    .map(|pool| {
                        defaults
                            .iter()
                            .map(|c| agreement(&c.template, Some(&pool.template)).score())
                            .fold(0.0, f64::max)
                    })
                    .fold(0.0, f64::max);
                format!("{t}={:.1}", 100.0 * best)
            })
            .collect();
        println!(
            "  best score of another type's default: {}",
            others.join(" ")
        );
    }
}

use proptest::prelude::*;
use serde_json::{Value, json};

/// Every (type, default) pair poolsync knows.
fn all_defaults() -> Vec<(&'static str, &'static crate::history::Released)> {
    let history = embedded().expect("decodes");
    history
        .types()
        .flat_map(|t| history.defaults(t).iter().map(move |d| (t, d)))
        .collect()
}

/// The JSON pointers of `value`'s leaves, in document order.
fn leaf_pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaf_pointers(v, &format!("{at}/{}", escape(k)), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaf_pointers(v, &format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at.to_string()),
    }
}

/// `template` with the leaves at `picks` (indices, wrapped) set to new strings; returns it
/// and the pointers changed.
fn customise(template: &Value, picks: &[usize]) -> (Value, Vec<String>) {
    let mut pointers = Vec::new();
    leaf_pointers(template, "", &mut pointers);
    let mut out = template.clone();
    let mut touched = Vec::new();
    for (n, pick) in picks.iter().enumerate() {
        let pointer = &pointers[pick % pointers.len()];
        if let Some(slot) = out.pointer_mut(pointer) {
            *slot = json!(format!("poolsync-custom-{n}"));
            touched.push(pointer.clone());
        }
    }
    (out, touched)
}

/// Deletes an optional variable (not in `required`) and each `job_configuration` value that
/// is just its placeholder; returns the pointers removed. Variables an older release lacks
/// are included: deleting one makes the pool look like that older release.
fn delete_optional_variable(template: &mut Value, pick: usize) -> Vec<String> {
    let required: Vec<String> = template
        .pointer("/variables/required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = template
        .pointer("/variables/properties")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let optional: Vec<String> = properties
        .keys()
        .filter(|k| !required.contains(k))
        .cloned()
        .collect();
    let Some(name) = optional.get(pick % optional.len().max(1)).cloned() else {
        return Vec::new();
    };
    let mut removed = vec![format!("/variables/properties/{name}")];
    let mut pointers = Vec::new();
    leaf_pointers(
        &template["job_configuration"],
        "/job_configuration",
        &mut pointers,
    );
    let placeholder = json!(format!("{{{{ {name} }}}}"));
    for pointer in pointers {
        if template.pointer(&pointer) == Some(&placeholder)
            && let Some((parent, key)) = pointer.rsplit_once('/')
            && let Some(map) = template.pointer_mut(parent).and_then(Value::as_object_mut)
        {
            map.remove(key);
            removed.push(pointer.clone());
        }
    }
    if let Some(map) = template
        .pointer_mut("/variables/properties")
        .and_then(Value::as_object_mut)
    {
        map.remove(&name);
    }
    removed
}

/// Whether `true_base` and `inferred` differ only under pointers the customisation touched
/// (the evidence that told them apart is gone, so either explains the pool).
fn differ_only_where_touched(true_base: &Value, inferred: &Value, touched: &[String]) -> bool {
    let patch = crate::diff::json_patch(true_base, inferred);
    patch.as_array().into_iter().flatten().all(|op| {
        let path = op["path"].as_str().unwrap_or_default();
        touched
            .iter()
            .any(|t| path.starts_with(t.as_str()) || t.starts_with(path))
    })
}

#[test]
fn each_released_default_infers_to_itself_at_100_percent() {
    let history = embedded().expect("decodes");
    for (pool_type, released) in all_defaults() {
        let choice = infer(history, pool_type, &released.template, &released.template);
        assert_eq!(
            choice.template.as_ref(),
            Some(&released.template),
            "{pool_type} {}: inferred {}",
            released.range(),
            choice.origin
        );
        match choice.origin {
            Origin::History {
                releases,
                matched,
                leaves,
                ..
            } => {
                assert_eq!(releases, released.range());
                assert_eq!(matched, leaves);
            }
            other => panic!("{pool_type} {}: {other}", released.range()),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A few changed leaves and a deleted optional variable still infer the true base, or
    /// one that differs from it only where the user changed it.
    #[test]
    fn customised_defaults_infer_their_true_base(
        which in 0usize..1000,
        picks in proptest::collection::vec(0usize..10_000, 0..6),
        delete in proptest::option::of(0usize..100),
    ) {
        let history = embedded().expect("decodes");
        let defaults = all_defaults();
        let (pool_type, released) = defaults[which % defaults.len()];
        let (mut pool, mut touched) = customise(&released.template, &picks);
        if let Some(pick) = delete {
            touched.extend(delete_optional_variable(&mut pool, pick));
        }
        pool["variables"]["properties"]["team_label"] = json!({"type": "string", "default": "data"});
        let choice = infer(history, pool_type, &pool, &pool);
        let inferred = choice.template.as_ref();
        prop_assert!(inferred.is_some(), "{pool_type} {}: {}", released.range(), choice.origin);
        let inferred = inferred.unwrap_or(&Value::Null);
        prop_assert!(
            inferred == &released.template
                || differ_only_where_touched(&released.template, inferred, &touched),
            "{pool_type} {}: inferred {} after touching {touched:?}",
            released.range(),
            choice.origin
        );
    }
}

#[test]
fn threshold_separates_customised_true_bases_from_other_types() {
    let history = embedded().expect("decodes");
    for (pool_type, released) in all_defaults() {
        // A fifth of the leaves changed: still this default.
        let count = leaves(&released.template);
        let picks: Vec<usize> = (0..count / 5).map(|i| i * 5).collect();
        let (pool, _) = customise(&released.template, &picks);
        let choice = infer(history, pool_type, &pool, &pool);
        assert!(
            choice.origin.score() >= THRESHOLD,
            "{pool_type} {}: {}",
            released.range(),
            choice.origin
        );
        // Over half changed: no base.
        let picks: Vec<usize> = (0..count).filter(|i| i % 2 == 0 || i % 5 == 1).collect();
        let (pool, _) = customise(&released.template, &picks);
        let choice = infer(history, pool_type, &pool, &pool);
        assert_eq!(
            choice.template,
            None,
            "{pool_type} {}: {}",
            released.range(),
            choice.origin
        );
    }
    // Another type's default is not mistaken for one of this type. Left out: process as a
    // candidate set (its tiny template is a subset of every other) and cloud-run against
    // cloud-run-v2 (sibling workers sharing most variables; cloud-run scores 66-69%).
    let siblings = |a: &str, b: &str| a.starts_with("cloud-run") && b.starts_with("cloud-run");
    for (pool_type, _) in all_defaults().into_iter().filter(|(t, _)| *t != "process") {
        for (other, released) in all_defaults()
            .into_iter()
            .filter(|(t, _)| *t != pool_type && !siblings(t, pool_type))
        {
            let choice = infer(history, pool_type, &released.template, &released.template);
            assert_eq!(
                choice.template,
                None,
                "{pool_type} from a {other} {} default: {}",
                released.range(),
                choice.origin
            );
        }
    }
}

#[test]
fn an_unknown_type_and_a_low_score_say_why() {
    let history = embedded().expect("decodes");
    let unknown = infer(history, "no-such-type", &json!({}), &json!({}));
    assert!(unknown.origin.to_string().contains("no released default"));
    let empty = infer(
        history,
        "kubernetes",
        &json!({"job_configuration": {}, "variables": {}}),
        &json!({}),
    );
    assert_eq!(empty.template, None);
    assert!(
        empty.origin.to_string().contains("below 60%"),
        "{}",
        empty.origin
    );
}
