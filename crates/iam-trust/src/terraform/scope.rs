//! What evaluation knows about a Terraform file: variable defaults, locals, the data sources
//! and resource arns it can fill in, and each policy document, evaluated in rounds until
//! nothing more can be; and the evaluation of one expression with hcl-rs, `jsonencode` and
//! `jsondecode` included.

use super::Known;
use super::budget::{self, Bound};
use super::policy_document;
use hcl::edit::Span as _;
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Attribute, Block, Body};
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::time::Instant;

/// What evaluation knows about the file.
pub(super) struct Scope {
    vars: Map<String, Value>,
    locals: Map<String, Value>,
    data: Map<String, Value>,
    resources: Map<String, Value>,
    /// Each policy document: its policy (or why not), its block, how many statements its
    /// source documents put before its own.
    pub(super) documents: BTreeMap<String, (Result<Value, String>, Block, usize)>,
    /// The measure of each variable and local, taken once.
    sizes: HashMap<(&'static str, String), Bound>,
    /// The units of every value known.
    total: u64,
    started: Instant,
    /// The expression that went over budget (where it is, and why): evaluation stopped.
    pub(super) exceeded: RefCell<Option<(Option<Range<usize>>, String)>>,
}

impl Scope {
    pub(super) fn build(body: &Body, known: &Known) -> Scope {
        let aws_account = known.aws_account.as_deref();
        let mut scope = Scope {
            vars: Map::new(),
            locals: Map::new(),
            data: Map::new(),
            resources: Map::new(),
            documents: BTreeMap::new(),
            sizes: HashMap::new(),
            total: 0,
            started: Instant::now(),
            exceeded: RefCell::new(None),
        };
        let blocks: Vec<&Block> = body.blocks().collect();
        for block in &blocks {
            if block.ident.as_str() == "variable"
                && let Some(name) = block.labels.first()
                && let Some(default) = block.body.get_attribute("default")
                && let Ok(value) = scope.eval(&default.value)
            {
                scope.keep("var", name.as_str(), &default.value, value);
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
                    scope.keep("local", key, &local.value, value);
                    progress = true;
                }
            }
            for (name, block) in &documents {
                if scope.documents.get(*name).is_some_and(|(p, ..)| p.is_ok()) {
                    continue;
                }
                let rendered = policy_document::render(block, &|e| scope.eval(e));
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
            if !progress || scope.exceeded.borrow().is_some() {
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

    /// Stores a variable's or a local's value, measured, unless the values known would
    /// go over budget together.
    fn keep(&mut self, root: &'static str, name: &str, expr: &EditExpr, value: Value) {
        let bound = Bound::of(&value);
        self.total = self.total.saturating_add(bound.size);
        if self.total > budget::MAX_SCOPE {
            let why = format!(
                "the values evaluated so far would hold about {} values, more than the {} \
                 a file of policies needs",
                self.total / budget::NODE,
                budget::MAX_SCOPE / budget::NODE
            );
            self.stop(expr, why);
            return;
        }
        self.sizes.insert((root, name.to_string()), bound);
        let map = match root {
            "var" => &mut self.vars,
            _ => &mut self.locals,
        };
        map.insert(name.to_string(), value);
    }

    /// Records the first expression over budget; every evaluation after it fails.
    fn stop(&self, expr: &EditExpr, why: String) {
        let mut exceeded = self.exceeded.borrow_mut();
        if exceeded.is_none() {
            *exceeded = Some((expr.span(), why));
        }
    }

    /// A bound of what `root.attr` (or all of `root`) holds.
    fn size_of(&self, root: &str, attr: Option<&str>) -> Bound {
        let key = |root: &'static str| attr.map(|a| (root, a.to_string()));
        let measured = match root {
            "var" => key("var").and_then(|k| self.sizes.get(&k)),
            "local" => key("local").and_then(|k| self.sizes.get(&k)),
            _ => None,
        };
        if let Some(bound) = measured {
            return *bound;
        }
        let map = match root {
            "var" => Some(&self.vars),
            "local" => Some(&self.locals),
            "data" => Some(&self.data),
            other => self.resources.get(other).and_then(Value::as_object),
        };
        let Some(map) = map else {
            return Bound::default();
        };
        match attr {
            Some(attr) => map.get(attr).map(Bound::of).unwrap_or_default(),
            None => Bound::of(&Value::Object(map.clone())),
        }
    }

    /// Evaluates an expression to JSON, within the budget (see [`budget`]).
    fn eval(&self, expr: &EditExpr) -> Result<Value, String> {
        if self.exceeded.borrow().is_some() {
            return Err("evaluation was stopped".into());
        }
        let converted = hcl::Expression::from(expr.clone());
        let over = match self.started.elapsed() > budget::MAX_TIME {
            true => Some(format!(
                "the file's evaluation took longer than {} s",
                budget::MAX_TIME.as_secs()
            )),
            false => budget::bound(&converted, &|root, attr| self.size_of(root, attr)).over(),
        };
        if let Some(why) = over {
            self.stop(expr, why.clone());
            return Err(why);
        }
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
        let value = converted
            .evaluate(&ctx)
            .map_err(|e| e.to_string().trim().to_string())?;
        serde_json::to_value(&value).map_err(|e| e.to_string())
    }

    /// Evaluates a policy attribute, which Terraform wants as a JSON string.
    pub(super) fn policy_string(&self, expr: &EditExpr) -> Result<Value, String> {
        match self.eval(expr)? {
            Value::String(text) => serde_json::from_str(&text)
                .map_err(|e| format!("the policy is not valid json: {e}")),
            other => Err(format!(
                "the policy is a {}, not a json string; wrap it in jsonencode(...)",
                poolsync_engine::json_kind(&other)
            )),
        }
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
