//! The Prefect REST client, in three parts by job, behind one façade, [`Client`]:
//! - [`transport`]: how a request reaches the server: the HTTP clients (authentication,
//!   custom headers, TLS, redirects, the verbatim client for pools named `.` and `..`), and
//!   the one send loop, whose every try is an [`Attempt`]: answered, retry, or fatal;
//! - [`endpoints`]: what poolsync asks the Prefect API, one module per job: pools (read,
//!   listing, update), default templates, deployments and flows, CSRF tokens; and the
//!   request paths ([`encode`]);
//! - [`pacing`]: when a request may leave and how long a retry waits: the request rate,
//!   `429` pauses, the writes in flight, the retry policy.
//!
//! The arrows: endpoints -> transport -> pacing. The transport asks a
//! [`Tokens`](transport::Tokens) provider for CSRF headers and so never calls back into the
//! endpoints.

mod endpoints;
mod pacing;
mod transport;

pub use endpoints::encode;
pub(crate) use endpoints::{
    Booking, Defaults, Deployment, Fresh, Listed, PAGE_SIZE, WorkPool, WriteAttempt,
};
pub(crate) use pacing::{MIN_MAX_RPS, Pushback};
pub(crate) use transport::{Interrupt, Tries};

use crate::config::Config;
use crate::error::Result;
use endpoints::Csrf;
use transport::Transport;

/// A connection to one Prefect API: the one type the commands use. Its requests are the
/// endpoints' methods (`read_pool`, `filter_pools`, `defaults`, `deployments_on`,
/// `try_patch`...); this file holds its construction and its counters.
#[derive(Debug)]
pub(crate) struct Client {
    /// The way to the server, shared by every endpoint.
    transport: Transport,
    /// The CSRF tokens of a self-hosted server (off for Prefect Cloud).
    csrf: Csrf,
    /// Whether the server is Prefect Cloud (its default templates live elsewhere).
    cloud: bool,
}

impl Client {
    /// Builds a client from resolved settings.
    pub(crate) fn new(config: &Config) -> Result<Client> {
        Ok(Client {
            transport: Transport::new(config)?,
            csrf: Csrf::new(!config.cloud),
            cloud: config.cloud,
        })
    }

    /// The API base URL.
    pub(crate) fn base_url(&self) -> &str {
        self.transport.base()
    }

    /// Paces this client: at most `max_rps` requests per second (`None`: learn it from the
    /// server's `429`s) and at most `max_writes` writes in flight.
    pub(crate) fn paced(mut self, max_rps: Option<f64>, max_writes: usize) -> Client {
        self.transport.pace(max_rps, max_writes);
        self
    }

    /// Cuts this client's waits, and stops its PATCHes, once `interrupt` is raised.
    pub(crate) fn interruptible(mut self, interrupt: Interrupt) -> Client {
        self.transport.interrupt_on(interrupt);
        self
    }

    /// How many retries this client has made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.transport.retries()
    }

    /// How many requests this client has sent so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.transport.requests()
    }

    /// What the server's pushback cost so far.
    pub(crate) fn pushback(&self) -> Pushback {
        self.transport.pushback()
    }
}
