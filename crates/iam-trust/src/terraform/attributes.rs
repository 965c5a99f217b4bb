//! The attributes of a Terraform file that hold policies: which ones, by [`PolicyKind`], the
//! address Terraform gives each, and the shapes of value the rest of the module looks into
//! (a `data.aws_iam_policy_document.*.json` reference, a `jsonencode(...)` call).

use super::PolicyKind;
use hcl::edit::expr::{Expression as EditExpr, TraversalOperator};
use hcl::edit::structure::{Attribute, Body, Structure};

/// The policy attributes of `kind` under `body`, with their addresses, in file order.
pub(super) fn collect(
    body: &Body,
    path: &mut Vec<String>,
    kind: PolicyKind,
    out: &mut Vec<(String, Attribute)>,
) {
    let resource_type = path.get(1).cloned();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attribute) => {
                let key = attribute.key.as_str();
                let wanted = match kind {
                    PolicyKind::Trust => key == "assume_role_policy",
                    PolicyKind::Permissions => {
                        key == "policy"
                            && (matches!(
                                resource_type.as_deref(),
                                Some("aws_iam_role_policy" | "aws_iam_policy")
                            ) || path.last().is_some_and(|p| p == "inline_policy"))
                    }
                };
                if wanted {
                    out.push((address(path, key), attribute.clone()));
                }
            }
            Structure::Block(block) => {
                if block.ident.as_str() == "data" {
                    continue;
                }
                let depth = path.len();
                path.push(block.ident.as_str().to_string());
                path.extend(block.labels.iter().map(|l| l.as_str().to_string()));
                collect(&block.body, path, kind, out);
                path.truncate(depth);
            }
        }
    }
}

/// `resource.aws_iam_role.x` + key reads `aws_iam_role.x.key`, as Terraform names it.
fn address(path: &[String], key: &str) -> String {
    let parts = match path.first().map(String::as_str) {
        Some("resource") => &path[1..],
        _ => path,
    };
    let mut out = parts.join(".");
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(key);
    out
}

/// `data.aws_iam_policy_document.NAME.json` -> `NAME`.
pub(super) fn data_reference(expr: &EditExpr) -> Option<String> {
    let EditExpr::Traversal(traversal) = expr else {
        return None;
    };
    let EditExpr::Variable(root) = &traversal.expr else {
        return None;
    };
    let names: Vec<&str> = traversal
        .operators
        .iter()
        .map(|op| match &**op {
            TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match (root.as_str(), names.as_slice()) {
        ("data", ["aws_iam_policy_document", name, "json"]) => Some((*name).to_string()),
        _ => None,
    }
}

/// The argument of a `jsonencode(...)` call.
pub(super) fn jsonencode_arg(expr: &EditExpr) -> Option<&EditExpr> {
    match expr {
        EditExpr::FuncCall(call)
            if call.name.name.as_str() == "jsonencode" && call.args.len() == 1 =>
        {
            call.args.iter().next()
        }
        EditExpr::Parenthesis(inner) => jsonencode_arg(inner.inner()),
        _ => None,
    }
}
