//! What the fake API serves and tests compare with: the pool most tests update, a stored
//! template, the server's newer default and their merge, reply builders, and the files a
//! run leaves.

use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

/// The pool most tests update.
pub(crate) const POOL: &str = "k8s";
/// A Prefect Cloud workspace path, appended to `PREFECT_CLOUD_API_URL`.
pub(crate) const CLOUD_PATH: &str = "/accounts/9c0a5c36-2b38-4a43-9e77-1f2f8e3c1a01\
    /workspaces/5f6e7d8c-1234-4abc-8def-0123456789ab";

/// The path of `rel` under `tests/fixtures/`.
pub(crate) fn fixture(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// The JSON document `rel` under `tests/fixtures/`.
#[track_caller]
pub(crate) fn fixture_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The stored template: a valid one whose image default the user customised.
pub(crate) fn current() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "registry.example.com/flows:2"}
        }}
    })
}

/// The server's newer default: a stock image and a new `cpu` variable.
pub(crate) fn newer_default() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "a:1"},
            "cpu": {"type": "string", "default": "500m"}
        }}
    })
}

/// What `update` must push: the newer default keeping the customised image.
pub(crate) fn merged() -> Value {
    json!({
        "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
        "variables": {"type": "object", "properties": {
            "image": {"type": "string", "default": "registry.example.com/flows:2"},
            "cpu": {"type": "string", "default": "500m"}
        }}
    })
}

/// A defaults document with `newer_default()` under `key`, of type `pool_type`.
pub(crate) fn defaults(key: &str, pool_type: &str) -> Value {
    json!({"prefect-kubernetes": {key: {
        "type": pool_type, "default_base_job_configuration": newer_default()
    }}})
}

/// The defaults reply of every fake: [`defaults`] of the kubernetes worker.
pub(crate) fn kubernetes_defaults() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(defaults("kubernetes", "kubernetes"))
}

/// A 200 work pool reply.
pub(crate) fn pool_reply(name: &str, pool_type: &str, template: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "name": name, "type": pool_type, "base_job_template": template,
        "updated": "2024-01-01T00:00:00Z"
    }))
}

/// An error reply with Prefect's `{"detail": ...}` body.
pub(crate) fn detail(status: u16, detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "detail": detail }))
}

/// A request header's value, when it is there and text.
pub(crate) fn header_is<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A work pool body as the API returns it, with an explicit `updated` timestamp.
pub(crate) fn pool_body(name: &str, pool_type: &str, template: &Value, updated: &str) -> Value {
    json!({
        "name": name, "type": pool_type, "base_job_template": template, "updated": updated
    })
}

/// Every regular file under `dir`, recursively, sorted.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
