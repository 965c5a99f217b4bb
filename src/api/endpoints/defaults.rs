//! The server's default base job templates: Prefect Cloud's
//! `GET /collections/work_pool_types`, or a self-hosted server's
//! `GET /collections/views/aggregate-worker-metadata`, and finding one pool type's in them.

use crate::api::endpoints::Client;
use crate::error::Result;
use reqwest::Method;
use serde_json::Value;

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

impl Client {
    /// The server's default templates: Prefect Cloud's `collections/work_pool_types`, or a
    /// self-hosted server's `collections/views/aggregate-worker-metadata`.
    pub(crate) async fn defaults(&self) -> Result<Defaults> {
        let path = if self.cloud {
            "/collections/work_pool_types"
        } else {
            "/collections/views/aggregate-worker-metadata"
        };
        let reply = self.send(Method::GET, path, None).await?;
        self.parse(Method::GET, path, reply).map(Defaults)
    }

    /// The URL `defaults()` reads, for messages.
    pub(crate) fn defaults_url(&self) -> String {
        let base = self.transport.base();
        match self.cloud {
            true => format!("{base}/collections/work_pool_types"),
            false => format!("{base}/collections/views/aggregate-worker-metadata"),
        }
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
}
