//! `poolsync trust-policy`: print the IAM trust policy Prefect Cloud needs, or lint one.

use crate::cli::TrustPolicyArgs;
use crate::error::Result;

/// Runs `trust-policy`; returns the exit code.
pub fn run(args: &TrustPolicyArgs) -> Result<u8> {
    let _ = args;
    todo!("helper")
}
