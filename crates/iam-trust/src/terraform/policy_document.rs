//! `data "aws_iam_policy_document"` blocks, rendered to the JSON policy the AWS provider
//! makes of them: statements, principals, conditions, and the source and override documents.

use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{Block, Body};
use serde_json::{Map, Value, json};

/// Evaluates one expression of the block to JSON, with what is known of the file.
pub(super) type Eval<'a> = &'a dyn Fn(&EditExpr) -> Result<Value, String>;

/// Renders a `data "aws_iam_policy_document"` block as the provider does; returns the
/// policy and how many statements its source documents put first.
pub(super) fn render(block: &Block, eval: Eval) -> Result<(Value, usize), String> {
    let body = &block.body;
    if body.has_blocks("dynamic") {
        return Err("it has dynamic blocks, which poolsync does not expand".into());
    }
    let string = |body: &Body, key: &str| -> Result<Option<Value>, String> {
        body.get_attribute(key).map(|a| eval(&a.value)).transpose()
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
        statements.push(render_statement(&statement.body, eval)?);
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
        .unwrap_or_else(|| json!(crate::document::VERSION));
    policy.insert("Version".into(), version);
    if let Some(id) = string(body, "policy_id")? {
        policy.insert("Id".into(), id);
    }
    policy.insert("Statement".into(), Value::Array(statements));
    Ok((Value::Object(policy), offset))
}

fn render_statement(body: &Body, eval: Eval) -> Result<Value, String> {
    let mut statement = Map::new();
    let attr = |key: &str| -> Result<Option<Value>, String> {
        body.get_attribute(key).map(|a| eval(&a.value)).transpose()
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
                .map(|a| eval(&a.value))
                .transpose()?
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or("a principals block has no type")?;
            let ids = block
                .body
                .get_attribute("identifiers")
                .map(|a| eval(&a.value))
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
            eval(&a.value)
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
