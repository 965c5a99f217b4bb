//! What the safe write needs of a server, as a trait: the [`Client`] in a run, a model of a
//! server with concurrent writers in the property tests.

use crate::api::{Attempt, Client, Fresh, Tries};
use crate::error::Result;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A server the safe write reads and PATCHes.
pub(crate) trait Remote {
    /// The API base URL (backups record it).
    fn base_url(&self) -> &str;
    /// The pools named, in one request, with the deadline of PATCHes based on them.
    async fn read(&self, names: &[String]) -> Result<Fresh>;
    /// One try of a PATCH of `name`'s template, to leave by `by`.
    async fn patch(&self, name: &str, template: &Value, spent: Tries, by: Instant) -> Attempt;
    /// A retry's wait; `Err` when a signal cut it.
    async fn wait(&self, wait: Duration) -> Result<()>;
}

impl Remote for Client {
    fn base_url(&self) -> &str {
        Client::base_url(self)
    }

    async fn read(&self, names: &[String]) -> Result<Fresh> {
        self.read_fresh(names).await
    }

    async fn patch(&self, name: &str, template: &Value, spent: Tries, by: Instant) -> Attempt {
        self.try_patch(name, template, spent, by).await
    }

    async fn wait(&self, wait: Duration) -> Result<()> {
        Client::wait(self, wait).await
    }
}
