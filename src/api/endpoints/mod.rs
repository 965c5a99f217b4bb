//! The Prefect API, one module per job, each adding its methods to [`Client`]:
//! - [`pools`]: work pools: read one or a few, the paged listing, and the client's side of a
//!   safe write (the timed re-read and one try of a PATCH);
//! - [`defaults`]: the server's default templates;
//! - [`deployments`]: the deployments on a batch of pools and their flows' names;
//! - [`csrf`]: the CSRF tokens of a self-hosted server, the transport's [`Tokens`] provider;
//! - [`path`]: building request paths ([`encode`]).
//!
//! [`client`] defines [`Client`] itself and what every endpoint shares: a request through
//! the transport with this client's tokens, and parsing an answer into a shape.
//!
//! [`Tokens`]: crate::api::transport::Tokens

mod client;
mod csrf;
mod defaults;
mod deployments;
mod path;
mod pools;

pub(crate) use client::Client;
use csrf::Csrf;
pub(crate) use defaults::Defaults;
pub(crate) use deployments::Deployment;
pub use path::encode;
pub(crate) use pools::{Booking, Fresh, Listed, WINDOW_FLOOR, WorkPool, WriteAttempt};

/// The most pools one `POST /work_pools/filter` may return.
pub(crate) const PAGE_SIZE: usize = 200;
