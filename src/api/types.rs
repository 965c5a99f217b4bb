//! The shapes poolsync reads from the Prefect API: work pools and default templates.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A work pool, as `GET /work_pools/{name}` and `POST /work_pools/filter` return it
/// (only the fields poolsync uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WorkPool {
    /// The pool's name.
    pub name: String,
    /// The pool's type, e.g. `kubernetes` or `prefect:managed`.
    #[serde(rename = "type")]
    pub pool_type: String,
    /// The stored base job template.
    #[serde(default)]
    pub base_job_template: Value,
    /// When the pool was last changed (server timestamp).
    #[serde(default)]
    pub updated: Option<String>,
    /// Every other field, kept so a backup holds the pool exactly as read.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

impl WorkPool {
    /// Pools whose name starts with "prefect" (any case) are reserved: the server answers
    /// 403 to template changes.
    pub(crate) fn is_reserved(name: &str) -> bool {
        name.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("prefect"))
    }
}

/// A deployment, as `POST /deployments/filter` returns it (only the fields poolsync uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Deployment {
    /// The deployment's id.
    pub id: String,
    /// The deployment's name (unique per flow).
    pub name: String,
    /// The flow it deploys.
    #[serde(default)]
    pub flow_id: Option<String>,
    /// The work pool it runs on.
    #[serde(default)]
    pub work_pool_name: Option<String>,
    /// Per-deployment overrides of the pool's job variables.
    #[serde(default)]
    pub job_variables: Value,
}

/// The default templates a server offers, as `{package: {key: {"type", "default_base_job_configuration"}}}`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Defaults(pub Value);

impl Defaults {
    /// The default base job template for `pool_type`: an entry whose `type` matches, else
    /// an entry whose key matches.
    pub(crate) fn find(&self, pool_type: &str) -> Option<&Value> {
        let entries = || {
            self.0
                .as_object()
                .into_iter()
                .flat_map(|packages| packages.values())
                .filter_map(Value::as_object)
                .flat_map(|workers| workers.iter())
        };
        let by_type =
            entries().find(|(_, w)| w.get("type").and_then(Value::as_str) == Some(pool_type));
        let by_key = || entries().find(|(key, _)| key.as_str() == pool_type);
        by_type
            .or_else(by_key)
            .and_then(|(_, worker)| worker.get("default_base_job_configuration"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn finds_defaults_by_type_before_key() {
        let defaults = Defaults(json!({
            "prefect-aws": {
                "ecs": {"type": "ecs", "default_base_job_configuration": {"n": 1}},
                "odd-key": {"type": "kubernetes", "default_base_job_configuration": {"n": 2}}
            },
            "prefect-kubernetes": {
                "kubernetes": {"type": "something-else", "default_base_job_configuration": {"n": 3}}
            }
        }));
        assert_eq!(defaults.find("ecs"), Some(&json!({"n": 1})));
        assert_eq!(defaults.find("kubernetes"), Some(&json!({"n": 2})));
        assert_eq!(defaults.find("something-else"), Some(&json!({"n": 3})));
        assert_eq!(defaults.find("prefect:managed"), None);
        assert_eq!(Defaults(json!([1])).find("ecs"), None);
    }

    #[test]
    fn reserved_names() {
        for (name, want) in [
            ("prefect", true),
            ("Prefect-Managed", true),
            ("PREFECTX", true),
            ("my-prefect", false),
            ("pref", false),
            ("ünïcode", false),
        ] {
            assert_eq!(WorkPool::is_reserved(name), want, "{name}");
        }
    }
}
