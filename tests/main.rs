//! poolsync's one integration-test crate: every test runs the built binary.
//!
//! - [`suite`]: the tests, a module per feature;
//! - [`fake`]: a stateful fake Prefect API on wiremock and the `Scenario` builder on it;
//! - [`mock`]: the hermetic `poolsync` command, template fixtures, a raw HTTP server;
//! - [`support`]: the real Prefect server shared by the process, and REST helpers for it;
//! - [`strategies`]: proptest strategies of the property tests.

mod fake;
mod mock;
mod strategies;
mod suite;
mod support;
