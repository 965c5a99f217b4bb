//! What the safe write needs of a server, as a trait: the [`Client`] in a run, a model of a
//! server with concurrent writers in the property tests.

use crate::api::{Booking, Client, Fresh, Tries, WriteAttempt};
use crate::error::Result;
use serde_json::Value;
use std::time::{Duration, Instant};

/// A server the safe write reads and PATCHes.
pub(crate) trait Remote {
    /// The API base URL (backups record it).
    fn base_url(&self) -> &str;
    /// How many PATCHes may follow one re-read within its window.
    fn writes_per_read(&self) -> usize;
    /// Books the send slots of a re-read and `patches` PATCHes (when paced).
    fn book(&self, patches: usize) -> Booking;
    /// How long before a round's PATCHes end the next round's re-read may go, so it is
    /// answered as they end; `None` when the rounds go one after another (paced).
    fn read_lead(&self) -> Option<Duration>;
    /// The pools named, in one request (at the `booked` slot), with the deadline of
    /// PATCHes based on them.
    async fn read(&self, names: &[String], booked: Option<Instant>) -> Result<Fresh>;
    /// One try of a PATCH of `name`'s template, to leave by `.0` (at the slot `.1`).
    async fn patch(
        &self,
        name: &str,
        template: &Value,
        spent: Tries,
        when: (Instant, Option<Instant>),
    ) -> WriteAttempt;
    /// A retry's wait; `Err` when a signal cut it.
    async fn wait(&self, wait: Duration) -> Result<()>;
    /// Now, as the windows of reads are counted (in the model, each wait moves it on).
    fn now(&self) -> Instant;
}

impl Remote for Client {
    fn base_url(&self) -> &str {
        Client::base_url(self)
    }

    fn writes_per_read(&self) -> usize {
        Client::writes_per_read(self)
    }

    fn book(&self, patches: usize) -> Booking {
        Client::book(self, patches)
    }

    fn read_lead(&self) -> Option<Duration> {
        Client::read_lead(self)
    }

    async fn read(&self, names: &[String], booked: Option<Instant>) -> Result<Fresh> {
        self.read_fresh(names, booked).await
    }

    async fn patch(
        &self,
        name: &str,
        template: &Value,
        spent: Tries,
        when: (Instant, Option<Instant>),
    ) -> WriteAttempt {
        self.try_patch(name, template, spent, when).await
    }

    async fn wait(&self, wait: Duration) -> Result<()> {
        Client::wait(self, wait).await
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}
