//! The work pools: the [`WorkPool`] shape, reading one pool (`GET /work_pools/{name}`) or a
//! few by name (`POST /work_pools/filter`), the paged [`listing`] of every pool, and the
//! client's side of a safe write ([`update`]).

mod decode;
mod listing;
mod trips;
mod update;

pub(crate) use listing::Listed;
pub(super) use trips::Trips;
use update::window_end;
pub(crate) use update::{Booking, Fresh, WINDOW_FLOOR, WriteAttempt};

use super::PAGE_SIZE;
use super::path::pool_path;
use crate::api::endpoints::Client;
use crate::error::{Error, Result};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::Instant;

/// A work pool, as `GET /work_pools/{name}` and `POST /work_pools/filter` return it
/// (only the fields poolsync uses), read field by field (`decode.rs`): a missing
/// `base_job_template` reads as null, a missing `updated` as none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WorkPool {
    /// The pool's name.
    pub name: String,
    /// The pool's type, e.g. `kubernetes` or `prefect:managed`.
    #[serde(rename = "type")]
    pub pool_type: String,
    /// The stored base job template.
    pub base_job_template: Value,
    /// When the pool was last changed (server timestamp).
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

impl Client {
    /// `GET /work_pools/{name}`.
    pub(crate) async fn read_pool(&self, name: &str) -> Result<WorkPool> {
        Ok(self.read_pool_timed(name).await?.0)
    }

    /// `GET /work_pools/{name}`, with the end of the read's window (see [`window_end`]): a
    /// PATCH based on it may leave until then without a re-read.
    pub(crate) async fn read_pool_timed(&self, name: &str) -> Result<(WorkPool, Instant)> {
        let path = pool_path(name);
        let reply = self.send(Method::GET, &path, None).await?;
        let by = window_end(reply.took);
        match reply.status {
            StatusCode::NOT_FOUND => Err(self
                .transport
                .not_found(Error::PoolNotFound {
                    pool: name.into(),
                    url: self.transport.base().to_string(),
                })
                .await),
            _ => Ok((self.parse(Method::GET, &path, reply)?, by)),
        }
    }

    /// The pools named `names` (at most [`PAGE_SIZE`]), in one `POST /work_pools/filter`;
    /// names the server does not know are simply absent from the answer.
    /// With the end of the read's window (see [`window_end`]).
    pub(crate) async fn read_pools(&self, names: &[String]) -> Result<(Vec<WorkPool>, Instant)> {
        let body = json!({
            "work_pools": {"name": {"any_": names}},
            "limit": names.len().clamp(1, PAGE_SIZE),
        });
        let path = "/work_pools/filter";
        let reply = self.send(Method::POST, path, Some(&body)).await?;
        let by = window_end(reply.took);
        if reply.status == StatusCode::NOT_FOUND {
            let error = self.transport.status_error(Method::POST, path, &reply);
            return Err(self.transport.not_found(error).await);
        }
        Ok((self.parse(Method::POST, path, reply)?, by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

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
