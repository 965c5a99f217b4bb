//! poolsync's one integration-test crate: every test runs the built binary.
//!
//! - [`suite`]: the tests, a module per feature;
//! - [`harness`]: the one `Run` builder and its `Output`, with its backends (none, the real
//!   Prefect server, a fake Prefect API, raw and TLS servers, a proxy) and fixtures;
//! - [`strategies`]: proptest strategies of the property tests, and the specification
//!   oracle of the three-way merge.

mod harness;
mod strategies;
mod suite;
