//! What the policy must name, when the caller says so: the AWS account and the Prefect
//! Cloud account, each checked and put in canonical form, and how the caller names them.

use crate::error::Error;
use crate::input_names::InputNames;

/// What the policy must name, when the user said so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The 12-digit AWS account that owns the role and the OIDC provider.
    pub aws_account: Option<String>,
    /// The Prefect Cloud account uuid (lowercase, hyphenated).
    pub prefect_account: Option<String>,
    /// How the caller names these inputs (and the others) in messages.
    pub names: InputNames,
}

/// Checks a 12-digit AWS account id.
pub fn parse_aws_account(text: &str) -> Result<String, Error> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(Error::AwsAccount { text: text.into() })
    }
}

/// Checks a Prefect Cloud account id and returns its canonical (lowercase, hyphenated)
/// form, the one Prefect Cloud puts in the token's subject.
pub fn parse_prefect_account(text: &str) -> Result<String, Error> {
    match uuid::Uuid::try_parse(text) {
        Ok(id) if text.len() == 36 => Ok(id.hyphenated().to_string()),
        _ => Err(Error::PrefectAccount { text: text.into() }),
    }
}
