//! The budget of Terraform evaluation. hcl-rs evaluates an expression in one go, with no
//! limit, and a file of a few lines can ask for more than any machine has: locals that each
//! list the one before twice double at every line (`l2 = [local.l1, local.l1]`), a `for`
//! over a `for` multiplies. So before an expression is evaluated, an upper bound of what it
//! builds is worked out from its shape and the sizes of the values it refers to; one over
//! budget (too large, nested too deep, or the file's evaluation too long) is refused, and
//! the file fails naming the expression.
//!
//! A value's size is counted in units: [`NODE`] per value built, plus the bytes of its
//! strings. Pure arithmetic over the expression tree; no evaluation happens here.

use hcl::expr::{Expression, ObjectKey, Operation, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// Units one value (array, object, number, string...) counts for, beside its bytes.
pub(super) const NODE: u64 = 8;
/// The most units one expression may build (about 130,000 values, or 1 MB of text).
pub(super) const MAX_VALUE: u64 = 1 << 20;
/// The most units every value evaluation knows of may hold together.
pub(super) const MAX_SCOPE: u64 = 4 << 20;
/// The deepest value (and expression) evaluated; an IAM policy is about six levels deep.
pub(super) const MAX_DEPTH: u64 = 64;
/// The longest a file's evaluation may take.
pub(super) const MAX_TIME: Duration = Duration::from_secs(5);

/// An upper bound of what an expression builds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Bound {
    /// Units built.
    pub size: u64,
    /// Elements a `for` over it may visit.
    pub items: u64,
    /// How deep it nests.
    pub depth: u64,
}

impl Bound {
    /// The exact measure of a value.
    pub(super) fn of(value: &Value) -> Bound {
        match value {
            Value::Array(items) => {
                let inner = items.iter().map(Bound::of);
                let mut bound = inner.fold(Bound::default(), Bound::beside);
                bound.items = items.len() as u64;
                bound.wrapped()
            }
            Value::Object(map) => {
                let inner = map.iter().map(|(k, v)| {
                    let mut bound = Bound::of(v);
                    bound.size = bound.size.saturating_add(k.len() as u64);
                    bound
                });
                let mut bound = inner.fold(Bound::default(), Bound::beside);
                bound.items = map.len() as u64;
                bound.wrapped()
            }
            Value::String(text) => Bound::leaf(text.len() as u64),
            _ => Bound::leaf(0),
        }
    }

    fn leaf(bytes: u64) -> Bound {
        Bound {
            size: NODE.saturating_add(bytes),
            items: bytes,
            depth: 1,
        }
    }

    /// Two values built side by side.
    fn beside(self, other: Bound) -> Bound {
        Bound {
            size: self.size.saturating_add(other.size),
            items: self.items.saturating_add(other.items),
            depth: self.depth.max(other.depth),
        }
    }

    /// A collection around what was built.
    fn wrapped(self) -> Bound {
        Bound {
            size: self.size.saturating_add(NODE),
            items: self.items,
            depth: self.depth.saturating_add(1),
        }
    }

    /// Why this bound is over budget, if it is.
    pub(super) fn over(&self) -> Option<String> {
        if self.size > MAX_VALUE {
            return Some(format!(
                "it may build about {} values, more than the {} a policy needs",
                self.size / NODE,
                MAX_VALUE / NODE
            ));
        }
        if self.depth > MAX_DEPTH {
            return Some(format!("it nests deeper than {MAX_DEPTH} levels"));
        }
        None
    }
}

/// The sizes of what names refer to: `(root, first attribute)` gives the bound of
/// `root.attribute` (`local.x`), `(root, None)` the bound of the whole root.
pub(super) type Sizes<'a> = dyn Fn(&str, Option<&str>) -> Bound + 'a;

/// An upper bound of what evaluating `expr` builds.
pub(super) fn bound(expr: &Expression, sizes: &Sizes<'_>) -> Bound {
    Walk {
        sizes,
        vars: HashMap::new(),
    }
    .expr(expr, 0)
}

struct Walk<'a, 'b> {
    sizes: &'a Sizes<'b>,
    /// Iteration variables in scope, and a bound of each.
    vars: HashMap<String, Bound>,
}

impl Walk<'_, '_> {
    fn expr(&mut self, expr: &Expression, depth: u64) -> Bound {
        if depth > MAX_DEPTH {
            return Bound {
                depth: u64::MAX,
                ..Bound::default()
            };
        }
        let next = depth + 1;
        match expr {
            Expression::Null | Expression::Bool(_) | Expression::Number(_) => Bound::leaf(0),
            Expression::String(text) => Bound::leaf(text.len() as u64),
            Expression::Array(items) => {
                let mut bound = items
                    .iter()
                    .map(|e| self.expr(e, next))
                    .fold(Bound::default(), Bound::beside);
                bound.items = items.len() as u64;
                bound.wrapped()
            }
            Expression::Object(map) => {
                let mut bound = map
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            ObjectKey::Identifier(id) => Bound::leaf(id.as_str().len() as u64),
                            ObjectKey::Expression(e) => self.expr(e, next),
                            _ => Bound::leaf(0),
                        };
                        key.beside(self.expr(value, next))
                    })
                    .fold(Bound::default(), Bound::beside);
                bound.items = map.len() as u64;
                bound.wrapped()
            }
            Expression::TemplateExpr(template) => match Template::from_expr(template) {
                Ok(template) => self.template(&template, next),
                Err(_) => Bound::leaf(0),
            },
            Expression::Variable(name) => self.name(name.as_str(), None),
            Expression::Traversal(traversal) => {
                let mut bound = match (&traversal.expr, traversal.operators.first()) {
                    (Expression::Variable(root), Some(TraversalOperator::GetAttr(attr))) => {
                        self.name(root.as_str(), Some(attr.as_str()))
                    }
                    (inner, _) => self.expr(inner, next),
                };
                for operator in &traversal.operators {
                    if let TraversalOperator::Index(index) = operator {
                        bound = bound.beside(self.expr(index, next));
                    }
                }
                bound
            }
            Expression::FuncCall(call) => {
                let args = call
                    .args
                    .iter()
                    .map(|e| self.expr(e, next))
                    .fold(Bound::default(), Bound::beside);
                // jsonencode escapes: each byte may take two.
                Bound {
                    size: args.size.saturating_mul(2),
                    items: args.size.saturating_mul(2),
                    depth: args.depth.saturating_add(1),
                }
            }
            Expression::Parenthesis(inner) => self.expr(inner, next),
            Expression::Conditional(cond) => self
                .expr(&cond.cond_expr, next)
                .beside(self.expr(&cond.true_expr, next))
                .beside(self.expr(&cond.false_expr, next)),
            Expression::Operation(operation) => match operation.as_ref() {
                Operation::Unary(op) => self.expr(&op.expr, next),
                Operation::Binary(op) => self
                    .expr(&op.lhs_expr, next)
                    .beside(self.expr(&op.rhs_expr, next)),
            },
            Expression::ForExpr(for_expr) => {
                let collection = self.expr(&for_expr.collection_expr, next);
                let names = [for_expr.key_var.as_ref(), Some(&for_expr.value_var)];
                let body = self.with(&names, collection, |walk| {
                    let mut body = walk.expr(&for_expr.value_expr, next);
                    for e in [&for_expr.key_expr, &for_expr.cond_expr]
                        .into_iter()
                        .flatten()
                    {
                        body = body.beside(walk.expr(e, next));
                    }
                    body
                });
                collection.times(body)
            }
            _ => Bound::leaf(0),
        }
    }

    fn template(&mut self, template: &Template, depth: u64) -> Bound {
        let mut bound = Bound::leaf(0);
        for element in template.elements() {
            let part = match element {
                Element::Literal(text) => Bound::leaf(text.len() as u64),
                Element::Interpolation(interpolation) => self.expr(&interpolation.expr, depth),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(branch) => {
                        let mut part = self.expr(&branch.cond_expr, depth);
                        part = part.beside(self.template(&branch.true_template, depth));
                        if let Some(other) = &branch.false_template {
                            part = part.beside(self.template(other, depth));
                        }
                        part
                    }
                    Directive::For(each) => {
                        let collection = self.expr(&each.collection_expr, depth);
                        let names = [each.key_var.as_ref(), Some(&each.value_var)];
                        let body = self.with(&names, collection, |walk| {
                            walk.template(&each.template, depth)
                        });
                        collection.times(body)
                    }
                },
            };
            bound = bound.beside(part);
        }
        // A template builds one string, however many parts it joined.
        Bound {
            depth: bound.depth.min(1),
            ..bound
        }
    }

    /// The bound of a name: an iteration variable, or what `sizes` knows.
    fn name(&self, root: &str, attr: Option<&str>) -> Bound {
        match self.vars.get(root) {
            Some(bound) => *bound,
            None => (self.sizes)(root, attr),
        }
    }

    /// Runs `body` with iteration variables `names` bound to the elements of `collection`
    /// (each at most the whole collection).
    fn with(
        &mut self,
        names: &[Option<&hcl::Identifier>],
        collection: Bound,
        body: impl FnOnce(&mut Self) -> Bound,
    ) -> Bound {
        let element = Bound {
            items: collection.size,
            ..collection
        };
        let saved: Vec<(String, Option<Bound>)> = names
            .iter()
            .flatten()
            .map(|name| {
                let name = name.as_str().to_string();
                let old = self.vars.insert(name.clone(), element);
                (name, old)
            })
            .collect();
        let bound = body(self);
        for (name, old) in saved.into_iter().rev() {
            match old {
                Some(old) => self.vars.insert(name, old),
                None => self.vars.remove(&name),
            };
        }
        bound
    }
}

impl Bound {
    /// A `for` over `self` building `body` for each element.
    fn times(self, body: Bound) -> Bound {
        Bound {
            size: self
                .size
                .saturating_add(self.items.saturating_mul(body.size))
                .saturating_add(NODE),
            items: self.items,
            depth: body.depth.saturating_add(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expr(text: &str) -> Expression {
        let body: hcl::Body = hcl::from_str(&format!("x = {text}")).expect("hcl");
        body.attributes().next().expect("x").expr.clone()
    }

    fn known(value: &Value) -> impl Fn(&str, Option<&str>) -> Bound + '_ {
        move |root, attr| match (root, attr) {
            ("local", Some(name)) => value.get(name).map(Bound::of).unwrap_or_default(),
            _ => Bound::leaf(0),
        }
    }

    #[test]
    fn a_policy_is_far_within_budget() {
        let locals = json!({"arns": ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]});
        let sizes = known(&locals);
        let policy = expr(
            r#"jsonencode({
                Version = "2012-10-17"
                Statement = [for arn in local.arns : {
                    Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = arn }
                }]
            })"#,
        );
        let bound = bound(&policy, &sizes);
        assert_eq!(bound.over(), None, "{bound:?}");
        assert!(bound.size < 10_000, "{bound:?}");
    }

    #[test]
    fn the_bound_covers_what_is_built() {
        let locals = json!({"a": [1, [2, 3], {"k": "text"}]});
        let sizes = known(&locals);
        let built = json!([[1, [2, 3], {"k": "text"}], [1, [2, 3], {"k": "text"}]]);
        let bound = bound(&expr("[local.a, local.a]"), &sizes);
        let exact = Bound::of(&built);
        assert!(
            bound.size >= exact.size && bound.depth >= exact.depth,
            "{bound:?} {exact:?}"
        );
    }

    #[test]
    fn doubling_and_nested_fors_go_over_budget() {
        let mut value = json!("x");
        for _ in 0..20 {
            value = json!([value.clone(), value]);
        }
        let locals = json!({"big": value, "list": (0..3000).collect::<Vec<_>>()});
        let sizes = known(&locals);
        let doubled = bound(&expr("[local.big, local.big]"), &sizes);
        assert!(doubled.over().is_some(), "{doubled:?}");
        let nested = bound(
            &expr("[for a in local.list : [for b in local.list : [a, b]]]"),
            &sizes,
        );
        assert!(nested.over().is_some(), "{nested:?}");
        let template = bound(
            &expr(
                r#""%{ for a in local.list }%{ for b in local.list }${a}${b}%{ endfor }%{ endfor }""#,
            ),
            &sizes,
        );
        assert!(template.over().is_some(), "{template:?}");
    }

    #[test]
    fn deep_nesting_goes_over_budget() {
        // The parser stops at 64 levels; references nest a value deeper than any one text.
        let mut deep = json!(1);
        for _ in 0..60 {
            deep = json!([deep]);
        }
        let locals = json!({ "deep": deep });
        let bound = bound(&expr("[[[[[[local.deep]]]]]]"), &known(&locals));
        assert!(
            bound.over().is_some_and(|why| why.contains("deeper")),
            "{bound:?}"
        );
    }
}
