//! Pure: the deployments of a `prefect.yaml`, each with its work pool's name and
//! `job_variables`, as `prefect deploy` reads them.
//!
//! The real shapes: aliases of anchors under `definitions` (`work_pool: *k8s`), YAML merge
//! keys (`<<: *k8s`, also inside `job_variables`, later keys winning), several deployments on
//! several pools. `{{ ... }}` values are kept as strings (the checks treat them as unknown).
//! Bad input is an error naming the line: malformed YAML (the parser's line and column), a
//! deployment without a `work_pool` (or without its `name`), `job_variables` that are not a
//! mapping (the line of the deployment, or of its `job_variables:` key when written there).

use serde::Deserialize;
use serde_json::{Map, Value};

/// One deployment of the file, on one pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Its `name` (empty when the file gives none).
    pub name: String,
    /// Its position in `deployments`, from 0.
    pub index: usize,
    /// `work_pool.name`.
    pub pool: String,
    /// `work_pool.job_variables`, merge keys applied (`{}` when absent).
    pub job_variables: Value,
}

/// The deployments of a `prefect.yaml`'s text; an error names the line (and the deployment).
pub fn deployments(text: &str) -> Result<Vec<Deployment>, String> {
    let file: File = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let lines = Lines::scan(text);
    file.deployments
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let raw = raw.resolved();
            let name = raw.name.clone().unwrap_or_default();
            entry(raw).map_err(|(problem, key)| {
                let line = lines.of(index, key);
                format!("deployments[{index}] ({name:?}) at line {line}: {problem}")
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map(|entries| {
            entries
                .into_iter()
                .enumerate()
                .map(|(index, (name, pool, job_variables))| Deployment {
                    name,
                    index,
                    pool,
                    job_variables,
                })
                .collect()
        })
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    deployments: Option<Vec<RawDeployment>>,
}

/// A deployment's name, pool and job variables; else what is wrong and the key to point at.
fn entry(raw: RawDeployment) -> Result<(String, String, Value), (String, Option<&'static str>)> {
    let name = raw.name.unwrap_or_default();
    let Some(pool) = raw.work_pool.map(RawPool::resolved) else {
        return Err((
            "the deployment has no work_pool; add `work_pool: {name: POOL}` (or an alias of \
             one under definitions)"
                .into(),
            None,
        ));
    };
    let Some(pool_name) = pool.name else {
        return Err((
            "its work_pool has no name; add `name: POOL` to it".into(),
            Some("work_pool:"),
        ));
    };
    let job_variables = match pool.job_variables {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(map)) => merge_keys(Value::Object(map)),
        Some(other) => {
            return Err((
                format!(
                    "its work_pool.job_variables must be a mapping of variable names to \
                     values, not a {}",
                    yaml_kind(&other)
                ),
                Some("job_variables:"),
            ));
        }
    };
    Ok((name, pool_name, job_variables))
}

#[derive(Clone, Default, Deserialize)]
struct RawDeployment {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    work_pool: Option<RawPool>,
    #[serde(rename = "<<", default)]
    merge: Option<Merged<RawDeployment>>,
}

#[derive(Clone, Default, Deserialize)]
struct RawPool {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    job_variables: Option<Value>,
    #[serde(rename = "<<", default)]
    merge: Option<Merged<RawPool>>,
}

/// The value of a merge key: one mapping or a list of them (earlier ones win).
#[derive(Clone, Deserialize)]
#[serde(untagged)]
enum Merged<T> {
    One(Box<T>),
    Many(Vec<T>),
}

impl<T: Clone> Merged<T> {
    /// The merged mappings, the one that wins first.
    fn sources(&self) -> Vec<T> {
        match self {
            Merged::One(one) => vec![(**one).clone()],
            Merged::Many(many) => many.clone(),
        }
    }
}

impl RawDeployment {
    fn resolved(self) -> RawDeployment {
        let sources = self.merge.as_ref().map(Merged::sources).unwrap_or_default();
        sources
            .into_iter()
            .map(RawDeployment::resolved)
            .fold(self, |mine, theirs| RawDeployment {
                name: mine.name.or(theirs.name),
                work_pool: mine.work_pool.or(theirs.work_pool),
                merge: None,
            })
    }
}

impl RawPool {
    fn resolved(self) -> RawPool {
        let sources = self.merge.as_ref().map(Merged::sources).unwrap_or_default();
        sources
            .into_iter()
            .map(RawPool::resolved)
            .fold(self, |mine, theirs| RawPool {
                name: mine.name.or(theirs.name),
                job_variables: mine.job_variables.or(theirs.job_variables),
                merge: None,
            })
    }
}

/// A value's kind in YAML's words.
fn yaml_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Null | Value::Object(_) => "mapping",
    }
}

/// YAML merge keys (`<<`) applied inside a value, recursively: the mapping's own keys win,
/// then the merged mappings in order.
fn merge_keys(value: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            let merged = map.shift_remove("<<");
            let mut out: Map<String, Value> = Map::new();
            let sources = match merged {
                Some(Value::Array(items)) => items,
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for (key, value) in map {
                out.insert(key, merge_keys(value));
            }
            for source in sources {
                if let Value::Object(source) = merge_keys(source) {
                    for (key, value) in source {
                        out.entry(key).or_insert(value);
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(merge_keys).collect()),
        other => other,
    }
}

/// Where each deployment starts in the text, for messages: the items of the top-level
/// `deployments:` block sequence (the shape prefect.yaml files have).
struct Lines<'a> {
    text: Vec<&'a str>,
    items: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn scan(text: &'a str) -> Lines<'a> {
        let text: Vec<&str> = text.lines().collect();
        let mut items = Vec::new();
        let start = text.iter().position(|l| l.trim_end() == "deployments:");
        let mut indent = None;
        for (at, line) in text
            .iter()
            .enumerate()
            .skip(start.map_or(text.len(), |s| s + 1))
        {
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let here = line.len() - body.len();
            let item = body.starts_with("- ") || body == "-";
            match indent {
                None if item => indent = Some(here),
                Some(i) if here == i && item => {}
                Some(i) if here > i => continue,
                _ => break,
            }
            items.push(at);
        }
        Lines { text, items }
    }

    /// The 1-based line of deployment `index`, or of `key` inside it when written there.
    fn of(&self, index: usize, key: Option<&str>) -> usize {
        let Some(&start) = self.items.get(index) else {
            return 0;
        };
        let end = self
            .items
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        let inside = key.and_then(|key| {
            (start..end).find(|&at| {
                let body = self.text[at].trim_start();
                body.strip_prefix("- ")
                    .unwrap_or(body)
                    .trim_start()
                    .starts_with(key)
            })
        });
        inside.unwrap_or(start) + 1
    }
}

#[cfg(test)]
#[path = "prefect_yaml_tests.rs"]
mod tests;
