//! The IAM policies of a Terraform file: each `assume_role_policy = jsonencode({...})` (or a
//! heredoc, or a reference to a `data "aws_iam_policy_document"` block), evaluated to JSON
//! with hcl-rs's expression evaluation, and the line each JSON pointer came from.
//!
//! Evaluation knows `jsonencode` and `jsondecode`, `var.*` from variable defaults,
//! `local.*`, `data.aws_iam_policy_document.*.json`, and, when the AWS account is known,
//! `data.aws_caller_identity.*.account_id`, `aws_iam_role.*.arn` and
//! `aws_iam_openid_connect_provider.*.arn`. A policy that needs anything else is reported
//! as not evaluable, with the reason.

use hcl::edit::Span;
use hcl::edit::expr::{Expression as EditExpr, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which policies to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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
    /// The policy, or why it could not be evaluated.
    pub policy: Result<Value, String>,
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
    /// The AWS account the resources are in (`--aws-account`): it fills in
    /// `data.aws_caller_identity.*.account_id` and the arns of roles and oidc providers.
    pub aws_account: Option<String>,
    /// Role arns the file's `aws_iam_role` resources may be (matched by path and name).
    pub roles: Vec<String>,
}

/// Finds the policies of `kind` in a Terraform file. The error (a syntax error, or no
/// policy at all) is a message with the line.
pub fn documents(text: &str, kind: Kind, known: &Known) -> Result<Vec<Document>, String> {
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
                    policy.clone(),
                    Locator::PolicyDocument {
                        block: block.clone(),
                        offset: *offset,
                    },
                ),
                None => (
                    Err(format!(
                        "data.aws_iam_policy_document.{name} is not in this file"
                    )),
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
                (scope.policy_string(&attribute.value), locator)
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
    if out.is_empty() {
        for (name, (policy, block, offset)) in &scope.documents {
            let principals = block
                .body
                .get_blocks("statement")
                .any(|s| s.body.has_blocks("principals") || s.body.has_blocks("not_principals"));
            if principals != (kind == Kind::Trust) {
                continue;
            }
            out.push(Document {
                address: format!("data.aws_iam_policy_document.{name}"),
                line: block.span().map_or(1, |s| line_at(&lines, s.start)),
                policy: policy.clone(),
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
            Kind::Trust => "has no assume_role_policy and no data \"aws_iam_policy_document\" with principals".into(),
            Kind::Permissions => "has no policy of an aws_iam_role_policy, aws_iam_policy or inline_policy, and no data \"aws_iam_policy_document\" without principals".into(),
        });
    }
    Ok(out)
}

/// Whether a text is Terraform rather than JSON: it parses as HCL and holds a block or an
/// attribute (used for stdin, where there is no file name to go by).
pub fn looks_like_terraform(text: &str) -> bool {
    hcl::edit::parser::parse_body(text).is_ok_and(|body| body.iter().next().is_some())
}

/// The policy attributes of `kind` under `body`, with their addresses, in file order.
fn collect(body: &Body, path: &mut Vec<String>, kind: Kind, out: &mut Vec<(String, Attribute)>) {
    let resource_type = path.get(1).cloned();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attribute) => {
                let key = attribute.key.as_str();
                let wanted = match kind {
                    Kind::Trust => key == "assume_role_policy",
                    Kind::Permissions => {
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
fn data_reference(expr: &EditExpr) -> Option<String> {
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
fn jsonencode_arg(expr: &EditExpr) -> Option<&EditExpr> {
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

/// What evaluation knows about the file.
struct Scope {
    vars: Map<String, Value>,
    locals: Map<String, Value>,
    data: Map<String, Value>,
    resources: Map<String, Value>,
    /// Each policy document: its policy (or why not), its block, how many statements its
    /// source documents put before its own.
    documents: BTreeMap<String, (Result<Value, String>, Block, usize)>,
}

impl Scope {
    fn build(body: &Body, known: &Known) -> Scope {
        let aws_account = known.aws_account.as_deref();
        let mut scope = Scope {
            vars: Map::new(),
            locals: Map::new(),
            data: Map::new(),
            resources: Map::new(),
            documents: BTreeMap::new(),
        };
        let blocks: Vec<&Block> = body.blocks().collect();
        for block in &blocks {
            if block.ident.as_str() == "variable"
                && let Some(name) = block.labels.first()
                && let Some(default) = block.body.get_attribute("default")
                && let Ok(value) = scope.eval(&default.value)
            {
                scope.vars.insert(name.as_str().to_string(), value);
            }
        }
        if let Some(account) = aws_account {
            let mut identities = Map::new();
            let mut partitions = Map::new();
            for block in &blocks {
                if block.ident.as_str() != "data" {
                    continue;
                }
                match (
                    block.labels.first().map(|l| l.as_str()),
                    block.labels.get(1),
                ) {
                    (Some("aws_caller_identity"), Some(name)) => {
                        identities.insert(name.as_str().into(), json!({"account_id": account}));
                    }
                    (Some("aws_partition"), Some(name)) => {
                        partitions.insert(name.as_str().into(), json!({"partition": "aws"}));
                    }
                    _ => {}
                }
            }
            scope
                .data
                .insert("aws_caller_identity".into(), Value::Object(identities));
            scope
                .data
                .insert("aws_partition".into(), Value::Object(partitions));
        }
        // Locals, policy documents and resource arns may refer to each other: evaluate
        // what can be, a few rounds, until nothing more can.
        let locals: Vec<&Attribute> = blocks
            .iter()
            .filter(|b| b.ident.as_str() == "locals")
            .flat_map(|b| b.body.attributes())
            .collect();
        let documents: Vec<(&str, &Block)> = blocks
            .iter()
            .filter(|b| b.ident.as_str() == "data")
            .filter_map(|b| match (b.labels.first(), b.labels.get(1)) {
                (Some(kind), Some(name)) if kind.as_str() == "aws_iam_policy_document" => {
                    Some((name.as_str(), *b))
                }
                _ => None,
            })
            .collect();
        for _ in 0..4 {
            let mut progress = false;
            for local in &locals {
                let key = local.key.as_str();
                if !scope.locals.contains_key(key)
                    && let Ok(value) = scope.eval(&local.value)
                {
                    scope.locals.insert(key.to_string(), value);
                    progress = true;
                }
            }
            for (name, block) in &documents {
                if scope.documents.get(*name).is_some_and(|(p, ..)| p.is_ok()) {
                    continue;
                }
                let rendered = scope.render(block);
                if let Ok((policy, _)) = &rendered {
                    let text = serde_json::to_string(policy).unwrap_or_default();
                    let docs = scope
                        .data
                        .entry("aws_iam_policy_document")
                        .or_insert_with(|| json!({}));
                    docs[*name] = json!({"json": text});
                    progress = true;
                }
                let (policy, offset) = match rendered {
                    Ok((policy, offset)) => (Ok(policy), offset),
                    Err(e) => (Err(e), 0),
                };
                scope
                    .documents
                    .insert((*name).to_string(), (policy, (*block).clone(), offset));
            }
            progress |= scope.resource_arns(&blocks, known);
            if !progress {
                break;
            }
        }
        scope
    }

    /// `aws_iam_role.X.arn` and `aws_iam_openid_connect_provider.X.arn`, from their names
    /// and urls and the known account or role arns; returns whether any was new.
    fn resource_arns(&mut self, blocks: &[&Block], known: &Known) -> bool {
        let account = known.aws_account.as_deref();
        let mut progress = false;
        for block in blocks {
            if block.ident.as_str() != "resource" {
                continue;
            }
            let (Some(kind), Some(name)) = (block.labels.first(), block.labels.get(1)) else {
                continue;
            };
            let (kind, name) = (kind.as_str(), name.as_str());
            if self.resources.get(kind).and_then(|k| k.get(name)).is_some() {
                continue;
            }
            let attr = |key: &str| {
                block
                    .body
                    .get_attribute(key)
                    .and_then(|a| self.eval(&a.value).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
            };
            let value = match kind {
                "aws_iam_role" => attr("name").and_then(|role| {
                    let path = attr("path").unwrap_or_else(|| "/".into());
                    let suffix = format!(":role{path}{role}");
                    let arn = known
                        .roles
                        .iter()
                        .find(|arn| arn.ends_with(&suffix))
                        .cloned()
                        .or_else(|| account.map(|a| format!("arn:aws:iam::{a}{suffix}")))?;
                    Some(json!({"name": role, "arn": arn}))
                }),
                "aws_iam_openid_connect_provider" => account.zip(attr("url")).map(|(account, url)| {
                    let host = url
                        .trim_start_matches("https://")
                        .trim_start_matches("http://")
                        .to_string();
                    json!({"url": url, "arn": format!("arn:aws:iam::{account}:oidc-provider/{host}")})
                }),
                _ => None,
            };
            if let Some(value) = value {
                let entry = self.resources.entry(kind).or_insert_with(|| json!({}));
                entry[name] = value;
                progress = true;
            }
        }
        progress
    }

    /// Evaluates an expression to JSON.
    fn eval(&self, expr: &EditExpr) -> Result<Value, String> {
        let mut ctx = Context::new();
        ctx.declare_func(
            "jsonencode",
            FuncDef::builder().param(ParamType::Any).build(jsonencode),
        );
        ctx.declare_func(
            "jsondecode",
            FuncDef::builder()
                .param(ParamType::String)
                .build(jsondecode),
        );
        let declare = |ctx: &mut Context, name: &str, map: &Map<String, Value>| {
            if let Ok(value) = hcl::to_value(Value::Object(map.clone())) {
                ctx.declare_var(name.to_string(), value);
            }
        };
        declare(&mut ctx, "var", &self.vars);
        declare(&mut ctx, "local", &self.locals);
        declare(&mut ctx, "data", &self.data);
        for (kind, value) in &self.resources {
            if let Value::Object(map) = value {
                declare(&mut ctx, kind, map);
            }
        }
        let expr = hcl::Expression::from(expr.clone());
        let value = expr
            .evaluate(&ctx)
            .map_err(|e| e.to_string().trim().to_string())?;
        serde_json::to_value(&value).map_err(|e| e.to_string())
    }

    /// Evaluates a policy attribute, which Terraform wants as a JSON string.
    fn policy_string(&self, expr: &EditExpr) -> Result<Value, String> {
        match self.eval(expr)? {
            Value::String(text) => serde_json::from_str(&text)
                .map_err(|e| format!("the policy is not valid json: {e}")),
            other => Err(format!(
                "the policy is a {}, not a json string; wrap it in jsonencode(...)",
                crate::input::kind(&other)
            )),
        }
    }

    /// Renders a `data "aws_iam_policy_document"` block as the provider does; returns the
    /// policy and how many statements its source documents put first.
    fn render(&self, block: &Block) -> Result<(Value, usize), String> {
        let body = &block.body;
        if body.has_blocks("dynamic") {
            return Err("it has dynamic blocks, which poolsync does not expand".into());
        }
        let string = |body: &Body, key: &str| -> Result<Option<Value>, String> {
            body.get_attribute(key)
                .map(|a| self.eval(&a.value))
                .transpose()
        };
        let mut statements: Vec<Value> = Vec::new();
        let mut version = None;
        if let Some(sources) = string(body, "source_policy_documents")? {
            for text in sources.as_array().into_iter().flatten() {
                let source = parse_policy(text)?;
                version = version.or_else(|| source.get("Version").cloned());
                statements.extend(statement_list(&source));
            }
        }
        let offset = statements.len();
        for statement in body.get_blocks("statement") {
            statements.push(self.render_statement(&statement.body)?);
        }
        if let Some(overrides) = string(body, "override_policy_documents")? {
            for text in overrides.as_array().into_iter().flatten() {
                for over in statement_list(&parse_policy(text)?) {
                    let sid = over.get("Sid").cloned();
                    match statements
                        .iter_mut()
                        .find(|s| sid.is_some() && s.get("Sid") == sid.as_ref())
                    {
                        Some(existing) => *existing = over,
                        None => statements.push(over),
                    }
                }
            }
        }
        let mut policy = Map::new();
        let version = string(body, "version")?
            .or(version)
            .unwrap_or_else(|| json!(super::document::VERSION));
        policy.insert("Version".into(), version);
        if let Some(id) = string(body, "policy_id")? {
            policy.insert("Id".into(), id);
        }
        policy.insert("Statement".into(), Value::Array(statements));
        Ok((Value::Object(policy), offset))
    }

    fn render_statement(&self, body: &Body) -> Result<Value, String> {
        let mut statement = Map::new();
        let attr = |key: &str| -> Result<Option<Value>, String> {
            body.get_attribute(key)
                .map(|a| self.eval(&a.value))
                .transpose()
        };
        if let Some(sid) = attr("sid")? {
            statement.insert("Sid".into(), sid);
        }
        statement.insert(
            "Effect".into(),
            attr("effect")?.unwrap_or_else(|| json!("Allow")),
        );
        for (key, name) in [
            ("not_principals", "NotPrincipal"),
            ("principals", "Principal"),
        ] {
            let mut principals = Map::new();
            let mut anyone = false;
            for block in body.get_blocks(key) {
                let kind = block
                    .body
                    .get_attribute("type")
                    .map(|a| self.eval(&a.value))
                    .transpose()?
                    .and_then(|v| v.as_str().map(str::to_string))
                    .ok_or("a principals block has no type")?;
                let ids = block
                    .body
                    .get_attribute("identifiers")
                    .map(|a| self.eval(&a.value))
                    .transpose()?
                    .unwrap_or_else(|| json!([]));
                if kind == "*" {
                    anyone = true;
                    continue;
                }
                let entry = principals.entry(kind).or_insert_with(|| json!([]));
                if let (Some(list), Some(more)) = (entry.as_array_mut(), ids.as_array()) {
                    list.extend(more.iter().cloned());
                }
            }
            if anyone {
                statement.insert(name.into(), json!("*"));
            } else if !principals.is_empty() {
                let principals = principals
                    .into_iter()
                    .map(|(k, v)| (k, single(v)))
                    .collect();
                statement.insert(name.into(), Value::Object(principals));
            }
        }
        for (key, name) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(value) = attr(key)? {
                statement.insert(name.into(), single(value));
            }
        }
        let mut condition = Map::new();
        for block in body.get_blocks("condition") {
            let get = |key: &str| -> Result<Value, String> {
                let a = block
                    .body
                    .get_attribute(key)
                    .ok_or_else(|| format!("a condition block has no {key}"))?;
                self.eval(&a.value)
            };
            let (test, variable, values) = (get("test")?, get("variable")?, get("values")?);
            let (Some(test), Some(variable)) = (test.as_str(), variable.as_str()) else {
                return Err("a condition's test and variable must be strings".into());
            };
            let keys = condition
                .entry(test.to_string())
                .or_insert_with(|| json!({}));
            keys[variable] = single(values);
        }
        if !condition.is_empty() {
            statement.insert("Condition".into(), Value::Object(condition));
        }
        Ok(Value::Object(statement))
    }
}

/// The provider writes one-element lists as the element.
fn single(value: Value) -> Value {
    match value {
        Value::Array(mut list) if list.len() == 1 => list.remove(0),
        other => other,
    }
}

fn parse_policy(text: &Value) -> Result<Value, String> {
    let text = text
        .as_str()
        .ok_or("a policy document must be a json string")?;
    serde_json::from_str(text)
        .map_err(|e| format!("a source or override document is not valid json: {e}"))
}

fn statement_list(policy: &Value) -> Vec<Value> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
    serde_json::to_string(&args[0])
        .map(hcl::Value::String)
        .map_err(|e| e.to_string())
}

fn jsondecode(args: FuncArgs) -> Result<hcl::Value, String> {
    let text = args[0].as_str().unwrap_or_default();
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    hcl::to_value(value).map_err(|e| e.to_string())
}

/// The byte offsets at which lines start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The 1-based line of a byte offset.
fn line_at(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).max(1)
}

/// The byte offset of the deepest node of `expr` on the pointer's path.
fn locate_expr(expr: &EditExpr, tokens: &[String]) -> Option<usize> {
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
fn locate_document(block: &Block, offset: usize, tokens: &[String]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn account() -> Known {
        Known {
            aws_account: Some("123456789012".into()),
            roles: Vec::new(),
        }
    }

    const ROLE: &str = r#"
variable "prefect_account" {
  default = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e"
}

locals {
  provider = "api.prefect.cloud/oidc-provider"
}

resource "aws_iam_role" "prefect" {
  name = "prefect-managed"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "sts:AssumeRoleWithWebIdentity"
        Principal = {
          Federated = "arn:aws:iam::123456789012:oidc-provider/${local.provider}"
        }
        Condition = {
          StringEquals = {
            "${local.provider}:aud" = "prefect-cloud"
            "${local.provider}:sub" = "prefect:account:${var.prefect_account}"
          }
        }
      },
    ]
  })
}
"#;

    #[test]
    fn jsonencode_is_evaluated_and_located() {
        let docs = documents(ROLE, Kind::Trust, &Known::default()).unwrap();
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.address, "aws_iam_role.prefect.assume_role_policy");
        assert_eq!(doc.line, 12);
        let policy = doc.policy.as_ref().unwrap();
        assert_eq!(
            policy.pointer(
                "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc-provider:sub"
            ),
            Some(&json!(
                "prefect:account:9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e"
            ))
        );
        assert_eq!(doc.line_of("/Statement/0/Action"), 17);
        assert_eq!(doc.line_of("/Statement/0/Principal/Federated"), 19);
        assert_eq!(doc.line_of("/Statement/0/Condition/StringEquals"), 22);
        assert_eq!(doc.line_of("/Version"), 13);
        assert_eq!(doc.line_of("/Statement/7"), 14);
        assert_eq!(doc.line_of(""), 12);
    }

    const DOCUMENT: &str = r#"
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "Vendor"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::999988887777:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["vendor-42"]
    }
  }
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "vendor" {
  name               = "vendor"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "springboard" {
  role   = aws_iam_role.vendor.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/x" }]
  })
}
"#;

    #[test]
    fn policy_documents_are_rendered_like_the_provider() {
        let docs = documents(DOCUMENT, Kind::Trust, &Known::default()).unwrap();
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.address, "aws_iam_role.vendor.assume_role_policy");
        assert_eq!(doc.line, 29);
        assert_eq!(
            doc.policy.as_ref().unwrap(),
            &json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Vendor", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                 "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "vendor-42"}}},
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                 "Action": "sts:AssumeRole"}]})
        );
        assert_eq!(doc.line_of("/Statement/0/Action"), 7);
        assert_eq!(doc.line_of("/Statement/0/Principal/AWS"), 8);
        assert_eq!(doc.line_of("/Statement/0/Principal/AWS/0"), 10);
        assert_eq!(
            doc.line_of("/Statement/0/Condition/StringEquals/sts:ExternalId"),
            12
        );
        assert_eq!(doc.line_of("/Statement/1/Principal/Service"), 20);
        assert_eq!(doc.line_of("/Statement/1/Effect"), 18);
        assert_eq!(doc.line_of("/Version"), 4);
    }

    #[test]
    fn unknowns_are_reported_and_the_account_fills_them() {
        let docs = documents(DOCUMENT, Kind::Permissions, &Known::default()).unwrap();
        assert_eq!(docs[0].address, "aws_iam_role_policy.springboard.policy");
        let err = docs[0].policy.as_ref().unwrap_err();
        assert!(err.contains("aws_caller_identity"), "{err}");
        let docs = documents(DOCUMENT, Kind::Permissions, &account()).unwrap();
        assert_eq!(
            docs[0].policy.as_ref().unwrap()["Statement"][0]["Resource"],
            json!("arn:aws:iam::123456789012:role/x")
        );
        assert_eq!(docs[0].line_of("/Statement/0/Resource"), 36);
    }

    #[test]
    fn heredocs_references_and_errors() {
        let text = r#"
resource "aws_iam_openid_connect_provider" "crewai" {
  url            = "https://app.crewai.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "a" {
  assume_role_policy = <<EOF
{"Version": "2012-10-17", "Statement": []}
EOF
}
resource "aws_iam_role" "b" {
  assume_role_policy = { Version = "2012-10-17" }
}
resource "aws_iam_role" "c" {
  assume_role_policy = jsonencode({ Statement = [{ Principal = { Federated = aws_iam_openid_connect_provider.crewai.arn } }] })
}
"#;
        let docs = documents(text, Kind::Trust, &account()).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs[0].policy,
            Ok(json!({"Version": "2012-10-17", "Statement": []}))
        );
        assert_eq!(docs[0].line_of("/Statement"), 7);
        assert!(
            docs[1]
                .policy
                .as_ref()
                .unwrap_err()
                .contains("wrap it in jsonencode")
        );
        assert_eq!(
            docs[2].policy.as_ref().unwrap()["Statement"][0]["Principal"]["Federated"],
            json!("arn:aws:iam::123456789012:oidc-provider/app.crewai.com")
        );
        let err = documents(
            "resource \"x\" \"y\" {\n  a = \n}",
            Kind::Trust,
            &Known::default(),
        )
        .unwrap_err();
        assert!(err.contains('2') || err.contains("line"), "{err}");
        let err =
            documents("resource \"x\" \"y\" {}\n", Kind::Trust, &Known::default()).unwrap_err();
        assert!(err.contains("no assume_role_policy"), "{err}");
        assert!(looks_like_terraform("a = 1\n"));
        assert!(!looks_like_terraform("Version: 2012-10-17\n"));
        assert!(!looks_like_terraform(""));
    }

    #[test]
    fn lone_policy_documents_are_checked() {
        let text = r#"
data "aws_iam_policy_document" "trust" {
  source_policy_documents = [jsonencode({ Statement = [{ Sid = "Base", Effect = "Allow", Action = "sts:TagSession", Principal = { AWS = "*" } }] })]
  statement {
    actions = ["sts:AsumeRole"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}
data "aws_iam_policy_document" "permissions" {
  statement {
    actions   = ["sts:AssumeRole"]
    resources = ["*"]
  }
}
"#;
        let trust = documents(text, Kind::Trust, &Known::default()).unwrap();
        assert_eq!(trust.len(), 1);
        assert_eq!(trust[0].address, "data.aws_iam_policy_document.trust");
        let policy = trust[0].policy.as_ref().unwrap();
        assert_eq!(policy["Statement"][0]["Sid"], json!("Base"));
        assert_eq!(policy["Statement"][1]["Principal"], json!("*"));
        assert_eq!(trust[0].line_of("/Statement/1/Action"), 5);
        assert_eq!(trust[0].line_of("/Statement/0/Action"), 2);
        let permissions = documents(text, Kind::Permissions, &Known::default()).unwrap();
        assert_eq!(
            permissions[0].address,
            "data.aws_iam_policy_document.permissions"
        );
        assert_eq!(permissions[0].line, 12);
    }
}
