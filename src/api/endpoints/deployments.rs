//! The deployments of a batch of pools and the names of their flows, each read in as few
//! requests as the API allows: one paged `POST /deployments/filter` by the pools' names, then
//! `POST /flows/filter` by the flows' ids (a request per [`PAGE_SIZE`] ids).

use super::PAGE_SIZE;
use crate::api::endpoints::Client;
use crate::error::Result;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

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

/// A flow, as `POST /flows/filter` returns it (only the fields poolsync uses).
#[derive(Debug, Deserialize)]
struct Flow {
    id: String,
    name: String,
}

impl Client {
    /// Every deployment that runs on any of the pools `pools`, paging through
    /// `POST /deployments/filter` (sorted by name, so pages do not overlap).
    pub(crate) async fn deployments_on(&self, pools: &[String]) -> Result<Vec<Deployment>> {
        let path = "/deployments/filter";
        let mut all = Vec::new();
        if pools.is_empty() {
            return Ok(all);
        }
        loop {
            let body = json!({
                "work_pools": {"name": {"any_": pools}},
                "sort": "NAME_ASC",
                "limit": PAGE_SIZE,
                "offset": all.len(),
            });
            let reply = self.send(Method::POST, path, Some(&body)).await?;
            let page: Vec<Deployment> = self.parse(Method::POST, path, reply)?;
            let last = page.len() < PAGE_SIZE;
            all.extend(page);
            if last {
                return Ok(all);
            }
        }
    }

    /// The names of the flows `ids`, by id: `POST /flows/filter`, one request per
    /// [`PAGE_SIZE`] ids. An id the server does not know is absent.
    pub(crate) async fn flow_names(&self, ids: &[String]) -> Result<HashMap<String, String>> {
        let path = "/flows/filter";
        let mut names = HashMap::new();
        for chunk in ids.chunks(PAGE_SIZE) {
            let body = json!({"flows": {"id": {"any_": chunk}}, "limit": chunk.len()});
            let reply = self.send(Method::POST, path, Some(&body)).await?;
            let flows: Vec<Flow> = self.parse(Method::POST, path, reply)?;
            names.extend(flows.into_iter().map(|f| (f.id, f.name)));
        }
        Ok(names)
    }
}
