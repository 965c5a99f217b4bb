//! `--history-file FILE` (`POOLSYNC_HISTORY_FILE`): a history of one's own instead of the
//! embedded one, for air-gapped organisations, custom worker types and golden templates.
//!
//! FILE is a JSON array of the objects `poolsync default --type T --history --output json`
//! prints, one per type: `{"type": T, "defaults": [{"package", "releases", "template"}, ..]}`.
//! `releases` is a list of release names or one text (`"2.19.0-2.20.27"`, `"golden-v3"`);
//! `release_list`, when present, is the full list; `package` defaults to `history-file`.

use super::{History, Released};
use crate::error::{Error, Result};
use crate::pointer::Pointer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Checks the parsed contents of a history file; every error names the file and the JSON
/// pointer.
pub fn from_value(value: &Value, path: &Path) -> Result<History> {
    parse(value).map_err(|(pointer, problem)| Error::Shape {
        input: format!("the history file {}", path.display()),
        message: format!(
            "at {pointer}: {problem}; it must be a json array of the objects `poolsync default \
             --type T --history --output json` prints"
        ),
    })
}

/// The history a value describes, or the pointer and problem of the first thing wrong.
fn parse(value: &Value) -> std::result::Result<History, (Pointer, String)> {
    let entries = value.as_array().ok_or_else(|| {
        (
            Pointer::root(),
            format!("is a json {}, not an array", kind(value)),
        )
    })?;
    let mut types: BTreeMap<String, Vec<Released>> = BTreeMap::new();
    let mut sources = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = |key: &str| Pointer::from(format!("/{i}{key}"));
        let pool_type = entry
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                (
                    at("/type"),
                    "is missing or not a non-empty string".to_string(),
                )
            })?;
        if let Some(source) = entry.get("source").and_then(Value::as_str) {
            sources.push(source.to_string());
        }
        let defaults = entry
            .get("defaults")
            .and_then(Value::as_array)
            .ok_or_else(|| (at("/defaults"), "is missing or not an array".to_string()))?;
        for (j, default) in defaults.iter().enumerate() {
            let released = released(default)
                .map_err(|(key, problem)| (at(&format!("/defaults/{j}{key}")), problem))?;
            types
                .entry(pool_type.to_string())
                .or_default()
                .push(released);
        }
    }
    sources.dedup();
    let source = match sources.is_empty() {
        true => "a history file".to_string(),
        false => sources.join("; "),
    };
    Ok(History::new(&source, types))
}

/// One default of a type.
fn released(value: &Value) -> std::result::Result<Released, (String, String)> {
    let template = value
        .get("template")
        .filter(|t| t.is_object())
        .ok_or_else(|| {
            (
                "/template".to_string(),
                "is missing or not an object".to_string(),
            )
        })?;
    for section in ["job_configuration", "variables"] {
        if !template.get(section).is_some_and(Value::is_object) {
            return Err((
                format!("/template/{section}"),
                "is missing or not an object (a base job template has both sections)".into(),
            ));
        }
    }
    let package = match value.get("package") {
        None => "history-file".to_string(),
        Some(Value::String(p)) if !p.is_empty() => p.clone(),
        Some(_) => return Err(("/package".into(), "is not a non-empty string".into())),
    };
    let list = |key: &str| -> std::result::Result<Option<Vec<String>>, (String, String)> {
        match value.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(vec![text.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| r.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| {
                    (
                        format!("/{key}"),
                        "holds a release that is not a string".into(),
                    )
                }),
            Some(_) => Err((
                format!("/{key}"),
                "is not a string or a list of strings".into(),
            )),
        }
    };
    let releases = match list("release_list")? {
        Some(all) if !all.is_empty() => all,
        _ => list("releases")?.unwrap_or_default(),
    };
    if releases.is_empty() {
        return Err((
            "/releases".into(),
            "is missing or empty (name the release)".into(),
        ));
    }
    Ok(Released::new(&package, releases, template.clone()))
}

fn kind(value: &Value) -> &'static str {
    crate::json_kind(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Value {
        json!({"job_configuration": {"image": "{{ image }}"}, "variables": {"properties": {}}})
    }

    #[test]
    fn reads_what_default_history_json_prints() {
        let file = json!([{
            "type": "kubernetes",
            "source": "ours",
            "defaults": [
                {"package": "prefect", "releases": "2.19.0-2.20.27", "release_list": ["2.19.0", "2.20.27"], "template": template()},
                {"package": "acme-golden", "releases": "v3", "template": template()},
            ],
        }]);
        let history = parse(&file).expect("a valid file");
        let defaults = history.defaults("kubernetes");
        assert_eq!(defaults.len(), 2);
        assert_eq!(defaults[0].releases, ["2.19.0", "2.20.27"]);
        assert_eq!(defaults[1].label(), "acme-golden v3");
        assert_eq!(history.source, "ours");
    }

    #[test]
    fn each_problem_names_its_pointer() {
        let cases = [
            (json!({}), "/", "not an array"),
            (json!([{"defaults": []}]), "/0/type", "missing"),
            (json!([{"type": "k"}]), "/0/defaults", "missing"),
            (
                json!([{"type": "k", "defaults": [{"releases": "1"}]}]),
                "/0/defaults/0/template",
                "missing",
            ),
            (
                json!([{"type": "k", "defaults": [{"releases": "1", "template": {"variables": {}}}]}]),
                "/0/defaults/0/template/job_configuration",
                "both sections",
            ),
            (
                json!([{"type": "k", "defaults": [{"template": template()}]}]),
                "/0/defaults/0/releases",
                "missing",
            ),
            (
                json!([{"type": "k", "defaults": [{"releases": [1], "template": template()}]}]),
                "/0/defaults/0/releases",
                "not a string",
            ),
        ];
        for (file, pointer, problem) in cases {
            let (at, message) = parse(&file).expect_err("invalid");
            assert_eq!(at.to_string(), pointer, "{file}");
            assert!(message.contains(problem), "{file}: {message}");
        }
    }
}
