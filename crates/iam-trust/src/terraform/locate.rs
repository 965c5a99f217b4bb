//! Lines of a Terraform file: where each line starts, and the HCL node a JSON pointer into
//! an evaluated policy came from (in a `jsonencode({...})` expression, or in a
//! `data "aws_iam_policy_document"` block).

use super::attributes::jsonencode_arg;
use hcl::edit::Span;
use hcl::edit::expr::{Expression as EditExpr, ObjectKey};
use hcl::edit::structure::{Block, Body};

/// The byte offsets at which lines start.
pub(super) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The 1-based line of a byte offset.
pub(super) fn line_at(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).max(1)
}

/// The byte offset of the deepest node of `expr` on the pointer's path.
pub(super) fn locate_expr(expr: &EditExpr, tokens: &[String]) -> Option<usize> {
    let mut node = jsonencode_arg(expr).unwrap_or(expr);
    let mut best = node.span().map(|s| s.start);
    for token in tokens {
        while let EditExpr::Parenthesis(inner) = node {
            node = inner.inner();
        }
        let next = match node {
            EditExpr::Object(object) => object.iter().find_map(|(key, value)| {
                let name = match key {
                    ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                    ObjectKey::Expression(EditExpr::String(s)) => Some(s.as_str().to_string()),
                    ObjectKey::Expression(_) => None,
                };
                (name.as_deref() == Some(token.as_str())).then(|| {
                    best = key.span().map(|s| s.start).or(best);
                    value.expr()
                })
            }),
            EditExpr::Array(array) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| array.iter().nth(i))
                .inspect(|e| best = e.span().map(|s| s.start).or(best)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    best
}

/// The byte offset of the deepest part of a policy document block on the pointer's path.
pub(super) fn locate_document(block: &Block, offset: usize, tokens: &[String]) -> Option<usize> {
    let start = |s: Option<std::ops::Range<usize>>| s.map(|s| s.start);
    let mut best = start(block.span());
    let attribute = |body: &Body, key: &str| body.get_attribute(key).and_then(|a| start(a.span()));
    match tokens.first().map(String::as_str) {
        Some("Version") => return attribute(&block.body, "version").or(best),
        Some("Statement") => {}
        _ => return best,
    }
    let statements: Vec<&Block> = block.body.get_blocks("statement").collect();
    let index = match tokens.get(1).map(|t| t.parse::<usize>()) {
        Some(Ok(i)) => i,
        _ if statements.len() == 1 => offset,
        _ => return best,
    };
    let Some(statement) = index.checked_sub(offset).and_then(|i| statements.get(i)) else {
        return best;
    };
    best = start(statement.span()).or(best);
    let rest: Vec<&str> = tokens
        .iter()
        .skip(
            if tokens.get(1).is_some_and(|t| t.parse::<usize>().is_ok()) {
                2
            } else {
                1
            },
        )
        .map(String::as_str)
        .collect();
    let body = &statement.body;
    let found = match rest.as_slice() {
        ["Effect", ..] => attribute(body, "effect"),
        ["Sid", ..] => attribute(body, "sid"),
        ["Action", ..] => attribute(body, "actions"),
        ["NotAction", ..] => attribute(body, "not_actions"),
        ["Resource", ..] => attribute(body, "resources"),
        ["NotResource", ..] => attribute(body, "not_resources"),
        [principal @ ("Principal" | "NotPrincipal"), more @ ..] => {
            let key = if *principal == "Principal" {
                "principals"
            } else {
                "not_principals"
            };
            let blocks: Vec<&Block> = body.get_blocks(key).collect();
            let chosen = more
                .first()
                .and_then(|kind| {
                    blocks.iter().find(|b| {
                        b.body.get_attribute("type").is_some_and(
                            |t| matches!(&t.value, EditExpr::String(s) if s.as_str() == *kind),
                        )
                    })
                })
                .or(blocks.first());
            chosen.and_then(|b| {
                if more.len() > 1 {
                    attribute(&b.body, "identifiers").or(start(b.span()))
                } else {
                    start(b.span())
                }
            })
        }
        ["Condition", more @ ..] => {
            let literal = |b: &Block, key: &str, want: &str| {
                b.body
                    .get_attribute(key)
                    .is_some_and(|t| matches!(&t.value, EditExpr::String(s) if s.as_str() == want))
            };
            let blocks: Vec<&Block> = body.get_blocks("condition").collect();
            let chosen = match more {
                [test, variable, ..] => blocks
                    .iter()
                    .find(|b| literal(b, "test", test) && literal(b, "variable", variable)),
                [test] => blocks.iter().find(|b| literal(b, "test", test)),
                [] => None,
            }
            .or(blocks.first());
            chosen.and_then(|b| {
                if more.len() > 2 {
                    attribute(&b.body, "values").or(start(b.span()))
                } else {
                    start(b.span())
                }
            })
        }
        _ => None,
    };
    found.or(best)
}
