//! Pure: the AWS IAM trust policy Prefect Cloud needs to assume a role with
//! `sts:AssumeRoleWithWebIdentity`: generate it, and lint one for the mistakes behind
//! `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`. The same lint
//! takes any other OIDC issuer ([`Issuer`]) and plain `sts:AssumeRole` trust policies;
//! [`springboard`] covers the second hop of a role chain and [`terraform`] finds the
//! policies of a Terraform file.
//!
//! The facts come from Prefect's guide "Using cloud workload identity with Prefect Managed
//! work pools": the issuer is `https://api.prefect.cloud/oidc-provider`, the client id (the
//! token's `aud`) is `prefect-cloud`, and the token's `sub` is `prefect:account:<account id>`.
//!
//! Modules:
//! - `prefect_cloud`: Prefect Cloud's issuer facts (its provider, audience, subject, and
//!   [`CREATE_PROVIDER`]) and the policy [`generate`]d for it.
//! - `expect`: what the policy must name ([`Expect`]) and its parsing.
//! - `issuer`: the OIDC issuer a policy is for ([`Issuer`], [`SubjectRule`]).
//! - `lint`: the lint driver ([`lint_for`]); `statement` and `condition` check a
//!   statement's parts, `document` reads a policy and checks what every policy shares.
//! - `assume_role`: plain `sts:AssumeRole` trust policies.
//! - [`springboard`]: the second hop of a role chain.
//! - [`terraform`]: the policies of a Terraform file.
//! - `actions`: the IAM actions a policy may name.
//! - `findings`, `pattern`: the findings a lint collects; IAM's wildcards.
//! - `error`: the crate's [`Error`], naming inputs by what they are, never by a tool's flags.
//! - `input_names`: how the caller names its inputs in findings ([`InputNames`]).
//!
//! Findings are [`poolsync_engine::finding::Finding`]s (re-exported as [`Finding`]), each
//! with its [`Level`].

mod actions;
mod assume_role;
mod condition;
mod context;
mod document;
mod error;
mod expect;
#[cfg(test)]
mod finding_table;
mod findings;
mod input_names;
mod issuer;
mod lint;
mod pattern;
mod prefect_cloud;
pub mod springboard;
mod statement;
pub mod terraform;
#[cfg(test)]
mod tests;

pub use error::Error;
pub use expect::{Expect, parse_aws_account, parse_prefect_account};
pub use input_names::InputNames;
pub use issuer::{Issuer, SubjectRule};
pub use lint::lint_for;
pub use poolsync_engine::finding::{Finding, Level};
pub use prefect_cloud::{CREATE_PROVIDER, generate};
