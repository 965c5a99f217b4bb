//! The IAM policies of a Terraform file: each `assume_role_policy = jsonencode({...})` (or a
//! heredoc, or a reference to a `data "aws_iam_policy_document"` block), evaluated to JSON
//! with hcl-rs's expression evaluation, and the line each JSON pointer came from.
//!
//! Evaluation knows `jsonencode` and `jsondecode`, `var.*` from variable defaults,
//! `local.*`, `data.aws_iam_policy_document.*.json`, and, when the AWS account is known,
//! `data.aws_caller_identity.*.account_id`, `aws_iam_role.*.arn` and
//! `aws_iam_openid_connect_provider.*.arn`. A policy that needs anything else is reported
//! as not evaluable, with the reason.

mod attributes;
mod budget;
mod locate;
mod policy_document;
mod scope;
#[cfg(test)]
mod tests;

use crate::error::Error;
use attributes::{collect, data_reference, jsonencode_arg};
use hcl::edit::Span;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::Block;
use locate::{line_at, line_starts, locate_document, locate_expr};
use scope::Scope;
use serde_json::Value;
use std::sync::Arc;

/// Which policies to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Roles' trust policies: `assume_role_policy`, or policy documents with principals.
    Trust,
    /// Permissions policies: `policy` of `aws_iam_role_policy`, `aws_iam_policy` and
    /// `inline_policy`, or policy documents without principals.
    Permissions,
}

/// One policy found in a Terraform file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Where it is, e.g. `aws_iam_role.prefect.assume_role_policy`.
    pub address: String,
    /// The 1-based line of the attribute or block.
    pub line: usize,
    /// The policy, or why it could not be evaluated ([`Error::Unevaluable`]).
    pub policy: Result<Value, Error>,
    locator: Locator,
    lines: Arc<Vec<usize>>,
}

#[derive(Debug, Clone)]
enum Locator {
    /// Walk an HCL expression (`jsonencode({...})`).
    Expr(EditExpr),
    /// Walk a `data "aws_iam_policy_document"` block; `offset` statements came from
    /// `source_policy_documents` before the block's own.
    PolicyDocument { block: Block, offset: usize },
    /// Only the attribute's line is known (a heredoc or a computed string).
    Line,
}

impl Document {
    /// The 1-based line a JSON pointer into the policy came from (the deepest HCL node
    /// found on its path; the attribute's line when nothing deeper is known).
    pub fn line_of(&self, pointer: &str) -> usize {
        let tokens: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let offset = match &self.locator {
            Locator::Expr(expr) => locate_expr(expr, &tokens),
            Locator::PolicyDocument { block, offset } => locate_document(block, *offset, &tokens),
            Locator::Line => None,
        };
        offset.map_or(self.line, |o| line_at(&self.lines, o))
    }
}

/// What the command line tells about the file's resources.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The AWS account the resources are in (the expected one): it fills in
    /// `data.aws_caller_identity.*.account_id` and the arns of roles and oidc providers.
    pub aws_account: Option<String>,
    /// Role arns the file's `aws_iam_role` resources may be (matched by path and name).
    pub roles: Vec<String>,
}

/// Finds the policies of `kind` in a Terraform file. The error ([`Error::Terraform`]: a
/// syntax error, or no policy at all) names the line.
pub fn documents(text: &str, kind: PolicyKind, known: &Known) -> Result<Vec<Document>, Error> {
    documents_or_why(text, kind, known).map_err(|message| Error::Terraform { message })
}

fn documents_or_why(text: &str, kind: PolicyKind, known: &Known) -> Result<Vec<Document>, String> {
    let body = hcl::edit::parser::parse_body(text).map_err(|e| e.to_string())?;
    let lines = Arc::new(line_starts(text));
    let scope = Scope::build(&body, known);
    let mut found = Vec::new();
    collect(&body, &mut Vec::new(), kind, &mut found);
    let mut out = Vec::new();
    for (address, attribute) in found {
        let line = attribute.span().map_or(1, |s| line_at(&lines, s.start));
        let (policy, locator) = match data_reference(&attribute.value) {
            Some(name) => match scope.documents.get(&name) {
                Some((policy, block, offset)) => (
                    unevaluable(policy.clone()),
                    Locator::PolicyDocument {
                        block: block.clone(),
                        offset: *offset,
                    },
                ),
                None => (
                    Err(Error::Unevaluable {
                        why: format!("data.aws_iam_policy_document.{name} is not in this file"),
                    }),
                    Locator::Line,
                ),
            },
            None => {
                let locator =
                    if matches!(jsonencode_arg(&attribute.value), Some(EditExpr::Object(_))) {
                        Locator::Expr(attribute.value.clone())
                    } else {
                        Locator::Line
                    };
                (unevaluable(scope.policy_string(&attribute.value)), locator)
            }
        };
        out.push(Document {
            address,
            line,
            policy,
            locator,
            lines: lines.clone(),
        });
    }
    if let Some((span, why)) = scope.exceeded.borrow().as_ref() {
        let at = span.as_ref().map_or(0, |s| s.start);
        let line = line_at(&lines, at);
        let start = lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let text: String = text[start..]
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(80)
            .collect();
        return Err(format!(
            "terraform evaluation stopped at line {line} (`{text}`): {why}; simplify the \
             expression, or give the policy as json"
        ));
    }
    if out.is_empty() {
        for (name, (policy, block, offset)) in &scope.documents {
            let principals = block
                .body
                .get_blocks("statement")
                .any(|s| s.body.has_blocks("principals") || s.body.has_blocks("not_principals"));
            if principals != (kind == PolicyKind::Trust) {
                continue;
            }
            out.push(Document {
                address: format!("data.aws_iam_policy_document.{name}"),
                line: block.span().map_or(1, |s| line_at(&lines, s.start)),
                policy: unevaluable(policy.clone()),
                locator: Locator::PolicyDocument {
                    block: block.clone(),
                    offset: *offset,
                },
                lines: lines.clone(),
            });
        }
        out.sort_by_key(|d| d.line);
    }
    if out.is_empty() {
        return Err(match kind {
            PolicyKind::Trust => "has no assume_role_policy and no data \"aws_iam_policy_document\" with principals".into(),
            PolicyKind::Permissions => "has no policy of an aws_iam_role_policy, aws_iam_policy or inline_policy, and no data \"aws_iam_policy_document\" without principals".into(),
        });
    }
    Ok(out)
}

/// A policy, or why it could not be evaluated as the crate's error.
fn unevaluable(policy: Result<Value, String>) -> Result<Value, Error> {
    policy.map_err(|why| Error::Unevaluable { why })
}

/// Whether a text is Terraform rather than JSON: it parses as HCL and holds a block or an
/// attribute (used for stdin, where there is no file name to go by).
pub fn looks_like_terraform(text: &str) -> bool {
    hcl::edit::parser::parse_body(text).is_ok_and(|body| body.iter().next().is_some())
}
