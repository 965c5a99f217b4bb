//! The crate's one error type: an input the caller gave (an account id, an issuer, a role
//! arn, a Terraform file) that cannot be used. It names the input by what it is, never by
//! how a tool asks for it; a tool maps each variant to its own wording (its flags).

/// An input that cannot be used, with why and what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not a 12-digit AWS account id.
    #[error("invalid aws account id {text:?}: {}", self.reason())]
    AwsAccount {
        /// The text given.
        text: String,
    },
    /// Not a Prefect Cloud account id (a uuid).
    #[error("invalid prefect cloud account id {text:?}: {}", self.reason())]
    PrefectAccount {
        /// The text given.
        text: String,
    },
    /// Not an issuer host (and path) as IAM names an OIDC provider.
    #[error("invalid issuer {text:?}: {}", self.reason())]
    Issuer {
        /// The text given.
        text: String,
    },
    /// An empty (or blank) audience.
    #[error("invalid audience \"\": {}", self.reason())]
    EmptyAudience,
    /// Both an exact subject and a subject pattern.
    #[error("give an exact subject or a subject pattern, not both")]
    SubjectAndPattern,
    /// An exact subject holding a wildcard.
    #[error("invalid subject {subject:?}: it holds a wildcard; give it as a subject pattern")]
    WildcardSubject {
        /// The subject given.
        subject: String,
    },
    /// An empty subject or subject pattern.
    #[error("the subject and the subject pattern need a value")]
    EmptySubject,
    /// Not an IAM role arn.
    #[error("invalid role arn {text:?}: {}", self.reason())]
    RoleArn {
        /// The text given.
        text: String,
        /// What is wrong with it and the fix (and, for a session arn, the role's arn).
        why: String,
    },
    /// The two roles of a chain are in different partitions.
    #[error(
        "the first role is in the {from} partition and the second in {to}; a role can only assume roles of its own partition"
    )]
    Partition {
        /// The first role's partition.
        from: String,
        /// The second role's partition.
        to: String,
    },
    /// The two roles of a chain are one role.
    #[error("the two roles of the chain are the same role; give the role the springboard assumes")]
    SameRole,
    /// Not an `sts:ExternalId` STS takes.
    #[error("invalid external id {text:?}: {}", self.reason())]
    ExternalId {
        /// The text given.
        text: String,
    },
    /// Not a role session name STS takes.
    #[error("invalid session name {text:?}: {}", self.reason())]
    SessionName {
        /// The text given.
        text: String,
    },
    /// A session length a chained role cannot have.
    #[error("invalid session length {seconds}: {}", self.reason())]
    Duration {
        /// The seconds given.
        seconds: u32,
        /// The shortest session STS gives.
        min: u32,
        /// The longest session of a chained role.
        max: u32,
    },
    /// A policy in a Terraform file that cannot be evaluated (it needs a value the file does
    /// not give).
    #[error("{why}")]
    Unevaluable {
        /// Why, naming what it needs.
        why: String,
    },
    /// A Terraform file that does not parse, or holds no policy.
    #[error("{message}")]
    Terraform {
        /// What is wrong, with the line.
        message: String,
    },
}

impl Error {
    /// Why the input is refused and what a valid one looks like, without naming the input:
    /// what follows `invalid <input> <value>: ` (the whole message for the other variants).
    pub fn reason(&self) -> String {
        match self {
            Error::AwsAccount { .. } => "an aws account id is 12 digits, e.g. 123456789012".into(),
            Error::PrefectAccount { .. } => "a prefect cloud account id is a uuid such as \
                 9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e; it follows /accounts/ in your PREFECT_API_URL"
                .into(),
            Error::Issuer { .. } => "give the issuer's host and path as iam names the provider, \
                 e.g. app.crewai.com or api.prefect.cloud/oidc-provider"
                .into(),
            Error::EmptyAudience => "give the token's aud claim".into(),
            Error::RoleArn { why, .. } => why.clone(),
            Error::ExternalId { .. } => {
                "sts takes 2 to 1224 letters, digits and +=,.@:/-_".into()
            }
            Error::SessionName { .. } => "sts takes 2 to 64 letters, digits and _+=,.@-".into(),
            Error::Duration { min, max, .. } => format!(
                "a chained role session lasts {min} to {max} seconds (aws caps role chaining at one hour)"
            ),
            other => other.to_string(),
        }
    }
}
