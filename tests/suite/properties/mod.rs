//! Property tests of the pure merge and template checks over generated JSON.
//!
//! Cases per property come from proptest's default config: 256, or `PROPTEST_CASES`.
//! Long run: `PROPTEST_CASES=100000 cargo test --release --test main suite::properties`
//! (measured once: 85 s for all six properties in release on 2 cores, build excluded; the
//! three-way properties were added later and not measured). [`checks`]: federated identity
//! validation and the diff.

mod checks;

use crate::strategies;

use poolsync_engine::merge::{Strategy as Merge, UpstreamKind, jq_merge, merge, merge3};
use poolsync_engine::template::{check, job_placeholders, placeholders};
use proptest::prelude::*;
use serde_json::Value;
use strategies::*;

proptest! {
    #[test]
    fn nothing_panics(default in document(), current in document()) {
        let _ = merge(&default, &current, Merge::Schema);
        let _ = merge(&default, &current, Merge::Jq);
        let _ = merge3(Some(&current), &default, &current, Merge::Schema);
        let _ = merge3(Some(&default), &current, &default, Merge::Schema);
        let _ = check(&current);
        let _ = placeholders(&current);
        let _ = job_placeholders(&current);
    }

    #[test]
    fn jq_keeps_every_non_object_value_of_current(default in document(), current in document()) {
        let merged = jq_merge(&default, &current);
        for (pointer, value) in pointers(&current) {
            // Inside an array of current the whole array was copied, so this holds there too.
            if !value.is_object() {
                prop_assert_eq!(merged.pointer(&pointer), Some(value), "at {}", pointer);
            }
        }
    }

    #[test]
    fn merging_again_changes_nothing(default in document(), current in document()) {
        let once = jq_merge(&default, &current);
        prop_assert_eq!(&jq_merge(&once, &current), &once);
        prop_assert_eq!(&jq_merge(&default, &once), &once);
        let schema = merge(&default, &current, Merge::Schema).template;
        prop_assert_eq!(merge(&default, &schema, Merge::Schema).template, schema);
    }

    /// A default pointer survives unless, at some proper ancestor, current holds a value and
    /// the two sides are not both objects there (then current's value replaced the subtree).
    #[test]
    fn jq_keeps_default_pointers_current_does_not_replace(
        default in document(),
        current in document(),
    ) {
        let merged = jq_merge(&default, &current);
        for (pointer, _) in pointers(&default) {
            let replaced = ancestors(&pointer).into_iter().any(|at| {
                current.pointer(at).is_some_and(|ours| {
                    !(ours.is_object() && default.pointer(at).is_some_and(Value::is_object))
                })
            });
            if !replaced {
                prop_assert!(merged.pointer(&pointer).is_some(), "{} was lost", pointer);
            }
        }
    }

    #[test]
    fn schema_keeps_currents_required_names(default in document(), current in document()) {
        let merged = merge(&default, &current, Merge::Schema).template;
        let Some(ours) = current.pointer("/variables/required").and_then(Value::as_array) else {
            return Ok(());
        };
        let Some(properties) = merged.pointer("/variables/properties").and_then(Value::as_object)
        else {
            return Ok(());
        };
        let kept = merged.pointer("/variables/required").and_then(Value::as_array);
        for name in ours.iter().filter_map(Value::as_str) {
            if properties.contains_key(name) {
                prop_assert!(
                    kept.is_some_and(|kept| kept.contains(&Value::from(name))),
                    "{} was dropped", name
                );
            }
        }
    }

    /// For well-formed sections, the placeholder violations are exactly the undefined
    /// placeholders.
    #[test]
    fn check_reports_exactly_the_undefined_placeholders(template in template()) {
        let violations = check(&template);
        let jobs = template.get("job_configuration").and_then(Value::as_object);
        let properties = template.pointer("/variables/properties").and_then(Value::as_object);
        let (Some(jobs), Some(properties)) = (jobs, properties) else {
            return Ok(());
        };
        if jobs.is_empty() {
            prop_assert!(!violations.is_empty());
            return Ok(());
        }
        let mut undefined: Vec<String> = job_placeholders(&template["job_configuration"])
            .into_iter()
            .filter(|name| !properties.contains_key(name))
            .collect();
        // The other violations are about variable defaults.
        let mut reported = undefined_placeholders(&template);
        undefined.sort();
        reported.sort();
        reported.dedup();
        prop_assert_eq!(reported, undefined);
    }

    #[test]
    fn merge3_nothing_panics(
        base in prop::option::of(document()),
        default in document(),
        current in document(),
    ) {
        let merged = merge3(base.as_ref(), &default, &current, Merge::Schema);
        for report in &merged.upstream {
            let _ = report.to_string();
        }
    }

    /// Without a base, or with the jq strategy, the three-way merge is the two-way one.
    #[test]
    fn merge3_without_base_or_with_jq_is_merge(
        base in document(),
        default in document(),
        current in document(),
    ) {
        for strategy in [Merge::Schema, Merge::Jq] {
            prop_assert_eq!(
                merge3(None, &default, &current, strategy),
                merge(&default, &current, strategy)
            );
        }
        prop_assert_eq!(
            merge3(Some(&base), &default, &current, Merge::Jq),
            merge(&default, &current, Merge::Jq)
        );
    }

    /// Base == current (the user changed nothing): the result is the default, except for the
    /// clean-up: `required` keeps only the default's names that are defined, and variables the
    /// default dropped but its own `job_configuration` still uses come back from current. With
    /// a default the clean-up leaves alone, the result is exactly the default, in its key
    /// order. No report is a conflict.
    #[test]
    fn merge3_untouched_current_takes_the_default(
        default in document(),
        current in document(),
    ) {
        let merged = merge3(Some(&current), &default, &current, Merge::Schema);
        let template = &merged.template;
        prop_assert!(merged.upstream.iter().all(|u| u.kind != UpstreamKind::Conflict));
        prop_assert_eq!(
            without_cleanup(template, &default),
            without_cleanup(&default, &default)
        );
        let theirs = required_of(&default);
        prop_assert!(required_of(template).iter().all(|name| theirs.contains(name)));
        let restored = template
            .pointer("/variables/properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(name, _)| default.pointer("/variables/properties").and_then(|p| p.get(name.as_str())).is_none());
        for (name, schema) in restored {
            prop_assert_eq!(Some(schema), current.pointer("/variables/properties").and_then(|p| p.get(name)));
        }
        if clean(&default) {
            prop_assert_eq!(template.to_string(), default.to_string());
        }
    }

    /// Base == default (upstream changed nothing): the result is current, except that
    /// `required` keeps only current's names that are defined; nothing is reported.
    #[test]
    fn merge3_unchanged_upstream_keeps_current(default in document(), current in document()) {
        let merged = merge3(Some(&default), &default, &current, Merge::Schema);
        prop_assert_eq!(&merged.upstream, &vec![]);
        prop_assert_eq!(
            without_cleanup(&merged.template, &current),
            without_cleanup(&current, &current)
        );
        let ours = required_of(&current);
        prop_assert!(required_of(&merged.template).iter().all(|name| ours.contains(name)));
        if clean(&current) {
            prop_assert_eq!(&merged.template, &current);
        }
    }

    /// Syncing a merged template again against the same default changes nothing, key order
    /// included, and reports nothing.
    #[test]
    fn merge3_merging_again_changes_nothing(
        base in prop::option::of(document()),
        default in document(),
        current in document(),
    ) {
        let once = merge3(base.as_ref(), &default, &current, Merge::Schema).template;
        let again = merge3(Some(&default), &default, &once, Merge::Schema);
        prop_assert_eq!(again.template.to_string(), once.to_string());
        prop_assert_eq!(again.upstream, vec![]);
    }

    /// Each report holds the three documents' values at its pointer, its kind matches them,
    /// and the merged template holds the value the rule chose (default's if current equals
    /// base, else current's). Exception, a conflict: where current equals base but taking
    /// default's value would add to `job_configuration` a placeholder of a variable the user
    /// deleted, current's is kept. Reports inside arrays merged by `name` locate elements by
    /// their index in the merged template, not in the inputs: those are left to the unit
    /// tables in `src/merge/keyed_tests.rs`. So is the wiring of a variable new upstream
    /// ([`wires_new_variable`]), which goes where the merge left nothing, whatever the base
    /// held there (its unit tests are in the engine's `references_tests.rs`).
    #[test]
    fn merge3_reports_match_the_inputs(
        base in document(),
        default in document(),
        current in document(),
    ) {
        let merged = merge3(Some(&base), &default, &current, Merge::Schema);
        let deleted = deleted_variables(&base, &current);
        for report in &merged.upstream {
            if under_keyed_merge(&report.pointer, &base, &default, &current)
                || wires_new_variable(report, &base, &default)
            {
                continue;
            }
            let at = |doc: &Value| doc.pointer(&report.pointer).cloned();
            let (b, d, c) = (at(&base), at(&default), at(&current));
            prop_assert_eq!(&report.base, &b, "{}", report);
            prop_assert_eq!(&report.default, &d, "{}", report);
            prop_assert_eq!(&report.current, &c, "{}", report);
            let revived = c == b
                && d.as_ref().is_some_and(|d| {
                    let before = job_uses(&report.pointer, c.as_ref());
                    job_uses(&report.pointer, Some(d))
                        .iter()
                        .any(|name| deleted.contains(name) && !before.contains(name))
                });
            let (b, d, c) = (b.as_ref(), d.as_ref(), c.as_ref());
            let expected = match revived {
                true => Some(UpstreamKind::Conflict),
                false => oracle::kind(b, d, c),
            };
            prop_assert_eq!(Some(report.kind), expected, "{}", report);
            prop_assert!(d != b && d != c, "{}", report);
            if ["", "/variables", "/variables/required"].contains(&report.pointer.as_str()) {
                continue; // `required` in there is filtered after the three-way step
            }
            let merged_value = merged.template.pointer(&report.pointer).cloned();
            let kept = match revived {
                true => c.cloned(),
                false => oracle::pick(b, d, c),
            };
            prop_assert_eq!(merged_value, kept, "{}", report);
        }
    }

    /// On documents the template steps leave alone, the three-way merge is the per-key rules
    /// of the specification ([`oracle`]): the same document, key order included, and a
    /// conflict reported exactly where both sides changed a value differently.
    #[test]
    fn merge3_follows_the_per_key_rules(
        base in plain_document(),
        default in plain_document(),
        current in plain_document(),
        shared in 0u8..4,
    ) {
        // Often a side is the base, or both made the same change.
        let default = if shared == 1 { base.clone() } else { default };
        let current = match shared {
            2 => base.clone(),
            3 => default.clone(),
            _ => current,
        };
        let mut conflicts = Vec::new();
        let want = oracle::merge(Some(&base), Some(&default), Some(&current), "", &mut conflicts);
        let merged = merge3(Some(&base), &default, &current, Merge::Schema);
        prop_assert_eq!(Some(merged.template.to_string()), want.map(|w| w.to_string()));
        let reported: Vec<&str> = merged
            .upstream
            .iter()
            .filter(|u| u.kind == UpstreamKind::Conflict)
            .map(|u| u.pointer.as_str())
            .collect();
        prop_assert_eq!(reported, conflicts);
    }

    /// From a default and a current template the server accepts (placeholders all defined),
    /// whatever the base, the three-way merge gives one whose placeholders are all defined.
    /// Half the time the base is both templates jq-merged: every variable only the default
    /// has was then deleted by the user, while current's values equal the base's.
    #[test]
    fn merge3_of_valid_templates_defines_every_placeholder(
        base in document(),
        related in any::<bool>(),
        default in valid_template(),
        current in valid_template(),
    ) {
        prop_assume!(well_formed(&default) && well_formed(&current));
        let base = if related { jq_merge(&default, &current) } else { base };
        let merged = merge3(Some(&base), &default, &current, Merge::Schema).template;
        prop_assert_eq!(undefined_placeholders(&merged), Vec::<String>::new(), "{}", merged);
    }
}
