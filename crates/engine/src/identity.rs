//! Pure validation of the `federated_identity` section Prefect Cloud managed pools use to
//! call AWS STS `AssumeRoleWithWebIdentity`: the Rust type, its JSON Schema, and checks.

use crate::finding::Finding;
use crate::pointer::Pointer;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Pattern of an IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<path/><name>`.
pub const ROLE_ARN_PATTERN: &str = r"^arn:(?:aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/(?:[A-Za-z0-9_+=,.@-][A-Za-z0-9_+=,.@/-]{0,510}/)?[A-Za-z0-9_+=,.@-]{1,64}$";

/// Pattern of an AWS region code such as `us-east-1` or `us-gov-west-1`.
pub(crate) const REGION_PATTERN: &str = r"^[a-z]{2}(?:-gov)?-[a-z]+-[0-9]$";

/// The kind of federated identity; Prefect Cloud supports AWS only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FederatedIdentityKind {
    /// AWS STS `AssumeRoleWithWebIdentity`.
    Aws,
}

/// Written by hand so the schema is a plain inline `{"type": "string", "enum": ["aws"]}`
/// (the derive turns documented variants into a `oneOf` of `const`s).
impl JsonSchema for FederatedIdentityKind {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "FederatedIdentityKind".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        let mut schema = Map::new();
        schema.insert("type".into(), json!("string"));
        schema.insert("enum".into(), json!(["aws"]));
        Schema::from(schema)
    }
}

/// The identity Prefect Cloud assumes for each flow run of a managed work pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Federated identity",
    description = "The cloud identity Prefect Cloud assumes for each flow run of a managed work pool, e.g. {\"kind\": \"aws\", \"aws_role_arn\": \"arn:aws:iam::123456789012:role/prefect-managed\", \"aws_region_name\": \"us-east-1\"}."
)]
pub struct FederatedIdentity {
    /// The identity provider.
    #[schemars(
        title = "Kind",
        description = "The cloud provider of the identity; only \"aws\" is supported, e.g. \"aws\"."
    )]
    pub kind: FederatedIdentityKind,
    /// The IAM role Prefect Cloud assumes with `AssumeRoleWithWebIdentity`.
    #[schemars(
        title = "AWS role ARN",
        description = "ARN of the IAM role Prefect Cloud assumes with AWS STS AssumeRoleWithWebIdentity, e.g. arn:aws:iam::123456789012:role/prefect-managed.",
        regex(pattern = ROLE_ARN_PATTERN)
    )]
    pub aws_role_arn: String,
    /// The AWS region of the STS endpoint and of the injected `AWS_REGION`.
    #[schemars(
        title = "AWS region name",
        description = "AWS region the flow run's credentials are issued for (set as AWS_REGION), e.g. us-east-1.",
        regex(pattern = REGION_PATTERN)
    )]
    pub aws_region_name: String,
}

/// The federated identity JSON Schema generated from the Rust type (what
/// `schemas/federated-identity.schema.json` must equal).
pub fn schema() -> Value {
    schemars::schema_for!(FederatedIdentity).to_value()
}

/// Validates every federated identity value a base job template carries: the defaults of
/// `variables.properties.federated_identity` (whole object and per field, following `$ref`,
/// `anyOf`, `oneOf` and `allOf`) and a literal `job_configuration.federated_identity`.
/// Pointers name the real location (e.g. inside `variables.definitions`). A template
/// without federated identity yields no violations.
pub fn check_template(template: &Value) -> Vec<Finding> {
    walk::check_template(template)
}

/// Validates one federated identity value found at `pointer` (e.g. a deployment override)
/// against [`schema()`] plus the rule the schema cannot express: the region must be in the
/// role ARN's partition. `null` is valid: it means no identity is configured.
pub fn check_value(value: &Value, pointer: &str) -> Vec<Finding> {
    if value.is_null() {
        return Vec::new();
    }
    let mut out: Vec<Finding> = Vec::new();
    for error in VALIDATOR.iter_errors(value) {
        for violation in describe(&error, pointer) {
            if !out
                .iter()
                .any(|v| v.pointer == violation.pointer && v.message == violation.message)
            {
                out.push(violation);
            }
        }
    }
    out.extend(partition_mismatch(value, pointer));
    out
}

/// The fields of a federated identity, in schema order.
pub(crate) const FIELDS: [&str; 3] = ["kind", "aws_role_arn", "aws_region_name"];

/// Validates one field's value (e.g. a per-field `default`) against that field's sub-schema.
/// Unknown field names yield no violations.
pub fn check_field(field: &str, value: &Value, pointer: &str) -> Vec<Finding> {
    match FIELD_VALIDATORS.iter().find(|(name, _)| *name == field) {
        Some((_, validator)) if !validator.is_valid(value) => {
            vec![field_violation(field, value, pointer)]
        }
        _ => Vec::new(),
    }
}

// The schema is generated from a Rust type with constant patterns; the
// `validators_compile` unit test forces both locks, so these `expect`s never fire.
static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    jsonschema::validator_for(&schema()).expect("generated federated identity schema compiles")
});

static FIELD_VALIDATORS: LazyLock<Vec<(&'static str, Validator)>> = LazyLock::new(|| {
    let schema = schema();
    FIELDS
        .iter()
        .map(|&field| {
            let validator = jsonschema::validator_for(&schema["properties"][field])
                .expect("generated federated identity field schema compiles");
            (field, validator)
        })
        .collect()
});

const EXAMPLE_ARN: &str = "arn:aws:iam::123456789012:role/prefect-managed";

/// The violations one jsonschema error stands for.
fn describe(error: &ValidationError<'_>, pointer: &str) -> Vec<Finding> {
    let at = format!("{pointer}{}", error.instance_path().as_str());
    let instance = error.instance().as_ref();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| Finding::violation(format!("{at}/{}", Pointer::escape(key)), instance.get(key).cloned(), format!("federated identity has unknown field {key}"), format!(
                    "remove {key}; a federated identity has only kind, aws_role_arn and aws_region_name"
                )))
            .collect(),
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default();
            vec![Finding::violation(at, None, format!("federated identity is missing {field}"), format!("add {field}, e.g. \"{field}\": {}", example(field)))]
        }
        _ => match error.instance_path().iter().next() {
            Some(LocationSegment::Property(field)) => {
                vec![field_violation(&field, instance, &at)]
            }
            _ => vec![Finding::violation(at, Some(instance.clone()), "federated identity is not an object", format!(
                    "set it to null (no identity) or to an object like {{\"kind\": \"aws\", \"aws_role_arn\": \"{EXAMPLE_ARN}\", \"aws_region_name\": \"us-east-1\"}}"
                ))],
        },
    }
}

/// The one violation of a bad field value, whatever the schema keyword that failed.
fn field_violation(field: &str, value: &Value, pointer: &str) -> Finding {
    let (message, fix) = match field {
        "kind" => (
            "kind is not a supported identity kind".to_string(),
            "set kind to \"aws\" (the only kind prefect cloud supports)".to_string(),
        ),
        "aws_role_arn" => (
            "aws_role_arn is not an iam role arn".to_string(),
            format!("use arn:aws:iam::<12-digit account id>:role/<role name>, e.g. {EXAMPLE_ARN}"),
        ),
        "aws_region_name" => (
            "aws_region_name is not an aws region code".to_string(),
            "use a region code such as us-east-1, eu-central-1, cn-north-1 or us-gov-west-1"
                .to_string(),
        ),
        other => (
            format!("federated identity field {other} is invalid"),
            "use kind, aws_role_arn and aws_region_name only".to_string(),
        ),
    };
    Finding::violation(pointer.to_string(), Some(value.clone()), message, fix)
}

/// An example value of `field`, as JSON text.
fn example(field: &str) -> String {
    match field {
        "kind" => "\"aws\"".into(),
        "aws_role_arn" => format!("\"{EXAMPLE_ARN}\""),
        _ => "\"us-east-1\"".into(),
    }
}

/// The AWS partition a region code belongs to.
fn region_partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// A violation when a well-formed region is outside the well-formed role ARN's partition.
fn partition_mismatch(value: &Value, pointer: &str) -> Option<Finding> {
    let arn_value = value.get("aws_role_arn")?;
    let region_value = value.get("aws_region_name")?;
    if !check_field("aws_role_arn", arn_value, "").is_empty()
        || !check_field("aws_region_name", region_value, "").is_empty()
    {
        return None;
    }
    let arn_partition = arn_value.as_str()?.split(':').nth(1)?;
    let region = region_value.as_str()?;
    let region_partition = region_partition(region);
    if arn_partition == region_partition {
        return None;
    }
    let examples = match arn_partition {
        "aws-cn" => "cn-north-1 or cn-northwest-1",
        "aws-us-gov" => "us-gov-west-1 or us-gov-east-1",
        _ => "us-east-1 or eu-central-1",
    };
    Some(Finding::violation(
        format!("{pointer}/aws_region_name"),
        Some(region_value.clone()),
        format!(
            "aws_region_name {region} is outside the {arn_partition} partition of aws_role_arn"
        ),
        format!(
            "use a region of the {arn_partition} partition such as {examples}, or a role arn of the {region_partition} partition (arn:{region_partition}:iam::...)"
        ),
    ))
}

mod walk;

#[cfg(test)]
#[path = "identity/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "identity/template_tests.rs"]
mod template_tests;
