//! The Prefect REST client, in three parts by job, behind one façade, [`Client`]:
//! - [`transport`]: how a request reaches the server: the HTTP clients (authentication,
//!   custom headers, TLS, redirects, the verbatim client for pools named `.` and `..`), and
//!   the one send loop, whose every try is an [`Attempt`](transport::Attempt): answered,
//!   retry, or fatal;
//! - [`endpoints`]: what poolsync asks the Prefect API, one module per job: pools (read,
//!   listing, update), default templates, deployments and flows, CSRF tokens; and the
//!   request paths ([`encode`]);
//! - [`pacing`]: when a request may leave and how long a retry waits: the request rate,
//!   `429` pauses, the writes in flight, the retry policy.
//!
//! The arrows: endpoints (where [`Client`] is defined) -> transport -> pacing. The transport
//! asks a [`Tokens`](transport::Tokens) provider for CSRF headers and so never calls back
//! into the endpoints.

mod endpoints;
mod pacing;
mod transport;

pub use endpoints::encode;
pub(crate) use endpoints::{
    Booking, Client, Defaults, Deployment, Fresh, Listed, PAGE_SIZE, WINDOW_FLOOR, WorkPool,
    WriteAttempt,
};
pub(crate) use pacing::Pushback;
pub(crate) use transport::{Interrupt, Tries};
