//! The checks every template must pass before it is written, in one place (poolsync's
//! `update`, `validate` and `rollback` all run them): the server's own placeholder and
//! section rules ([`template::check`]) and the federated identity
//! ([`identity::check_template`]).

use crate::finding::Finding;
use crate::{identity, template};
use serde_json::Value;

/// Every reason not to write `template`; empty when it may be written.
pub fn before_write(template: &Value) -> Vec<Finding> {
    let mut violations = template::check(template);
    violations.extend(identity::check_template(template));
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_rule_sets_apply() {
        let ok = json!({"job_configuration": {"image": "{{ image }}"},
                        "variables": {"properties": {"image": {"type": "string"}}}});
        assert!(before_write(&ok).is_empty());
        let undefined = json!({"job_configuration": {"image": "{{ image }}"},
                               "variables": {"properties": {}}});
        assert!(!before_write(&undefined).is_empty());
        let bad_identity = json!({"job_configuration": {"federated_identity": "{{ federated_identity }}"},
            "variables": {"properties": {"federated_identity": {"type": "object",
                "default": {"kind": "aws", "aws_role_arn": "not-an-arn", "aws_region_name": "us-east-1"}}}}});
        assert!(!before_write(&bad_identity).is_empty());
    }
}
