//! Property tests of federated identity validation and of the diff over generated JSON.
//!
//! Cases per property: 256, or `PROPTEST_CASES` (CI runs 100,000 in release).

use crate::strategies;

use poolsync_engine::{diff, identity};
use proptest::prelude::*;
use serde_json::{Value, json};
use strategies::*;

/// Role ARNs and regions, valid and not, across the three partitions.
fn arn() -> impl Strategy<Value = Value> {
    prop_oneof![
        "arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@-]{1,64}"
            .prop_map(Value::from),
        "arn:aws:iam::[0-9]{12}:role/[a-z]{1,8}/[a-z]{1,8}".prop_map(Value::from),
        "[a-z:0-9/]{0,30}".prop_map(Value::from),
        leaf(),
    ]
}

fn region() -> impl Strategy<Value = Value> {
    prop_oneof![
        "(us|eu|ap|cn|sa)-(east|west|north|south|central)-[1-3]".prop_map(Value::from),
        "us-gov-(east|west)-1".prop_map(Value::from),
        "[a-zA-Z0-9-]{0,12}".prop_map(Value::from),
        leaf(),
    ]
}

/// An identity value: an object with some of the three fields (and maybe an extra one),
/// or anything else.
fn identity_value() -> impl Strategy<Value = Value> {
    let object = (
        prop::option::of(prop_oneof![Just(json!("aws")), leaf()]),
        prop::option::of(arn()),
        prop::option::of(region()),
        prop::option::of(leaf()),
    )
        .prop_map(|(kind, arn, region, extra)| {
            let mut object = serde_json::Map::new();
            let fields = [
                ("kind", kind),
                ("aws_role_arn", arn),
                ("aws_region_name", region),
                ("extra", extra),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    object.insert(name.into(), value);
                }
            }
            Value::Object(object)
        });
    prop_oneof![4 => object, 1 => json_value()]
}

/// A template whose `federated_identity` variable is inline, a `$ref` or an `anyOf`, with
/// generated defaults in every place a value can sit.
fn identity_template() -> impl Strategy<Value = Value> {
    (
        identity_value(),
        arn(),
        region(),
        0..3usize,
        identity_value(),
    )
        .prop_map(|(default, field_arn, field_region, form, literal)| {
            let schema = json!({
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "default": "aws"},
                    "aws_role_arn": {"type": "string", "default": field_arn},
                    "aws_region_name": {"type": "string", "default": field_region}
                }
            });
            let (property, definitions) = match form {
                0 => (schema.clone(), json!({})),
                1 => (json!({"$ref": "#/definitions/FI"}), json!({"FI": schema})),
                _ => (
                    json!({"anyOf": [{"$ref": "#/$defs/FI"}, {"type": "null"}]}),
                    json!({"FI": schema}),
                ),
            };
            let mut property = property;
            property["default"] = default;
            json!({
                "job_configuration": {"federated_identity": literal},
                "variables": {
                    "type": "object",
                    "properties": {"federated_identity": property},
                    "definitions": definitions,
                    "$defs": definitions
                }
            })
        })
}

proptest! {
    #[test]
    fn identity_checks_never_panic(template in document(), value in identity_value()) {
        identity::check_template(&template);
        identity::check_value(&value, "/x");
        identity::check_value(&template, "");
    }

    /// Every violation points at a place that exists in the template, and the value it
    /// shows is the value found there.
    #[test]
    fn identity_violations_point_at_real_values(template in identity_template()) {
        for violation in identity::check_template(&template) {
            let found = template.pointer(&violation.pointer);
            prop_assert!(found.is_some(), "{violation} does not resolve in {template}");
            if let Some(value) = &violation.value {
                prop_assert_eq!(found, Some(value), "{}", violation);
            }
        }
    }

    /// A complete identity from valid parts in matching partitions has no violation.
    #[test]
    fn valid_identities_pass(account in "[0-9]{12}", name in "[A-Za-z0-9_+=,.@-]{1,64}", partition in 0..3usize, n in 1..3u8) {
        let (arn_partition, region) = [("aws", "eu-west"), ("aws-cn", "cn-north"), ("aws-us-gov", "us-gov-west")][partition];
        let value = json!({
            "kind": "aws",
            "aws_role_arn": format!("arn:{arn_partition}:iam::{account}:role/{name}"),
            "aws_region_name": format!("{region}-{n}"),
        });
        prop_assert_eq!(identity::check_value(&value, ""), vec![]);
    }

    /// The JSON Patch turns the old template into the new one; the text diff is empty
    /// exactly when the two are equal.
    #[test]
    fn diff_patch_round_trips(old in document(), new in document()) {
        let patch: json_patch::Patch = serde_json::from_value(diff::json_patch(&old, &new)).unwrap();
        let mut patched = old.clone();
        json_patch::patch(&mut patched, &patch).unwrap();
        prop_assert_eq!(&patched, &new);
        prop_assert_eq!(diff::unified(&old, &new, "a", "b", false).is_empty(), old == new);
        prop_assert!(diff::unified(&old, &old, "a", "b", true).is_empty());
    }
}
