//! What every check of the lint shares: the values its fixes name ([`Context`]) and the shape
//! of an OIDC provider ARN.

use crate::expect::Expect;
use crate::issuer::Issuer;
use std::sync::LazyLock;

/// An OIDC provider ARN; its captures are the AWS account and the provider (issuer host and
/// path).
pub(crate) static PROVIDER_ARN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^arn:(?:aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider/(.+)$")
        .expect("valid regex")
});

/// Values the fixes name: the expected accounts, or the policy's, or placeholders.
pub(crate) struct Context<'a> {
    pub(crate) expect: &'a Expect,
    pub(crate) issuer: &'a Issuer,
    pub(crate) aws: String,
    pub(crate) prefect: String,
}
