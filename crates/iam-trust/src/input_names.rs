//! How the caller names its inputs in the findings' messages and fixes. A command line
//! names them by its flags, another caller by its own words; the crate itself names no
//! tool, flag or command, and says "the expected aws account" when not told otherwise.

/// How the caller names the inputs (and the generators) a finding may point the user to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputNames {
    /// The expected AWS account, e.g. `--aws-account`.
    pub aws_account: String,
    /// The expected Prefect Cloud account, e.g. `--prefect-account`.
    pub prefect_account: String,
    /// The exact subject the tokens carry, e.g. `--subject`.
    pub subject: String,
    /// The pattern of the subjects the tokens carry, e.g. `--subject-like`.
    pub subject_like: String,
    /// The external id the second hop of a chain sends, e.g. `--external-id`.
    pub external_id: String,
    /// Where the second role's trust policy is given to be checked, e.g. `--check-trust`.
    pub check_trust: String,
    /// Where the springboard's permissions policy is given to be checked, e.g.
    /// `--check-permissions`.
    pub check_permissions: String,
    /// What prints Prefect Cloud's trust policy; `{aws}` and `{prefect}` stand for the two
    /// accounts, e.g. `` `tool trust-policy --aws-account {aws} --prefect-account {prefect}` ``.
    pub trust_policy: String,
    /// What prints the two policies of a role chain, e.g. `` `tool springboard` ``.
    pub springboard: String,
}

impl Default for InputNames {
    /// Words that name no tool: "the expected aws account", "the generated policies", ...
    fn default() -> Self {
        InputNames {
            aws_account: "the expected aws account".into(),
            prefect_account: "the expected prefect account".into(),
            subject: "the expected subject".into(),
            subject_like: "the expected subject pattern".into(),
            external_id: "the external id".into(),
            check_trust: "the trust policy check".into(),
            check_permissions: "the permissions policy check".into(),
            trust_policy:
                "the trust policy generated for aws account {aws} and prefect account {prefect}"
                    .into(),
            springboard: "the generated springboard policies".into(),
        }
    }
}

impl InputNames {
    /// What prints Prefect Cloud's trust policy for these accounts.
    pub(crate) fn trust_policy_for(&self, aws: &str, prefect: &str) -> String {
        self.trust_policy
            .replace("{aws}", aws)
            .replace("{prefect}", prefect)
    }
}
