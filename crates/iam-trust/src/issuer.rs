//! The OIDC issuer a web identity trust policy is for: Prefect Cloud by default, or any other
//! (its provider, and the audience and subject its tokens carry).

use crate::document::{federated, items};
use crate::error::Error;
use crate::prefect_cloud::{ACTION, AUDIENCE, PROVIDER};
use serde_json::Value;

/// What the token's `sub` must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRule {
    /// Prefect Cloud's `prefect:account:<uuid>`, for the expected Prefect account (or any
    /// one account).
    Prefect,
    /// Exactly this subject.
    Exact(String),
    /// Subjects matching this IAM pattern; the policy may be narrower.
    Like(String),
    /// Not given: any subject of one tenant, the tenant being the field after the first `:`
    /// (`organization:<uuid>`, `repo:<org>/<repo>:...`).
    Tenant,
}

/// An OIDC issuer as IAM sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The provider as IAM names it: the issuer URL without `https://` and without a trailing
    /// slash, e.g. `api.prefect.cloud/oidc-provider` or `app.crewai.com`.
    pub provider: String,
    /// The audience the tokens carry; `None` checks only that an `aud` condition exists.
    pub audience: Option<String>,
    /// What the subject must be.
    pub subject: SubjectRule,
    /// Whether the policy must hold a statement for this issuer even when it trusts AWS
    /// principals (the user named the issuer, its audience, subject or Prefect account).
    pub required: bool,
}

impl Default for Issuer {
    fn default() -> Self {
        Issuer::prefect()
    }
}

impl Issuer {
    /// Prefect Cloud's issuer.
    pub fn prefect() -> Issuer {
        Issuer {
            provider: PROVIDER.to_string(),
            audience: Some(AUDIENCE.to_string()),
            subject: SubjectRule::Prefect,
            required: false,
        }
    }

    /// The issuer the caller names: its provider (host and path, or URL; Prefect Cloud's when
    /// `None`), the tokens' audience, and an exact subject or a subject pattern.
    pub fn from_args(
        issuer: Option<&str>,
        audience: Option<&str>,
        subject: Option<&str>,
        subject_like: Option<&str>,
    ) -> Result<Issuer, Error> {
        let provider = match issuer {
            Some(text) => normalize_host(text)?,
            None => PROVIDER.to_string(),
        };
        let prefect = provider.eq_ignore_ascii_case(PROVIDER);
        let audience = match audience {
            Some(a) if a.trim().is_empty() => {
                return Err(Error::EmptyAudience);
            }
            Some(a) => Some(a.to_string()),
            None if prefect => Some(AUDIENCE.to_string()),
            None => None,
        };
        let subject = match (subject, subject_like) {
            (Some(_), Some(_)) => {
                return Err(Error::SubjectAndPattern);
            }
            (Some(s), None) if s.contains(['*', '?']) => {
                return Err(Error::WildcardSubject { subject: s.into() });
            }
            (Some(s), None) if !s.is_empty() => SubjectRule::Exact(s.to_string()),
            (None, Some(p)) if !p.is_empty() => SubjectRule::Like(p.to_string()),
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::EmptySubject);
            }
            (None, None) if prefect => SubjectRule::Prefect,
            (None, None) => SubjectRule::Tenant,
        };
        Ok(Issuer {
            provider: if prefect {
                PROVIDER.to_string()
            } else {
                provider
            },
            required: issuer.is_some()
                || audience_given(audience.as_deref(), prefect)
                || subject != SubjectRule::Prefect,
            audience,
            subject,
        })
    }

    /// Whether this is Prefect Cloud's issuer.
    pub fn is_prefect(&self) -> bool {
        self.provider == PROVIDER
    }

    /// Who issues the tokens, for messages: `prefect cloud` or the provider host.
    pub(super) fn who(&self) -> String {
        if self.is_prefect() {
            "prefect cloud".to_string()
        } else {
            self.host().to_string()
        }
    }

    /// The provider's host (its first path segment).
    pub(super) fn host(&self) -> &str {
        self.provider.split('/').next().unwrap_or(&self.provider)
    }

    /// The issuer URL the provider was created with.
    pub(super) fn url(&self) -> String {
        format!("https://{}", self.provider)
    }

    /// The condition key of the token's audience.
    pub(super) fn aud_key(&self) -> String {
        format!("{}:aud", self.provider)
    }

    /// The condition key of the token's subject.
    pub(super) fn sub_key(&self) -> String {
        format!("{}:sub", self.provider)
    }

    /// The audience for fixes: the expected one or a placeholder.
    pub(super) fn audience_text(&self) -> &str {
        self.audience.as_deref().unwrap_or("<audience>")
    }

    /// The one-time command that creates this issuer's provider in an AWS account.
    pub(super) fn create_provider(&self) -> String {
        format!(
            "aws iam create-open-id-connect-provider --url {} --client-id-list {}",
            self.url(),
            self.audience_text()
        )
    }

    /// Whether a statement is meant as this issuer's trust: it names the issuer in its
    /// federated principal or condition keys, or allows web identity without naming another
    /// provider (and without naming AWS or service principals).
    pub(super) fn matches(&self, statement: &Value) -> bool {
        let needle = if self.is_prefect() {
            "prefect".to_string()
        } else {
            self.host().to_ascii_lowercase()
        };
        let mentions = |s: &str| s.to_ascii_lowercase().contains(&needle);
        let principals = federated(statement);
        if principals.iter().any(|p| mentions(p)) {
            return true;
        }
        let keys_mention = statement
            .get("Condition")
            .and_then(Value::as_object)
            .is_some_and(|ops| {
                ops.values()
                    .filter_map(Value::as_object)
                    .any(|keys| keys.keys().any(|k| mentions(k)))
            });
        let web_identity = statement.get("Action").is_some_and(|a| {
            items(a, "")
                .iter()
                .any(|(_, a)| a.eq_ignore_ascii_case(ACTION))
        });
        let aws_or_service = statement
            .get("Principal")
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key("AWS") || p.contains_key("Service"));
        keys_mention || (web_identity && principals.is_empty() && !aws_or_service)
    }
}

fn audience_given(audience: Option<&str>, prefect: bool) -> bool {
    match audience {
        Some(a) => !prefect || a != AUDIENCE,
        None => false,
    }
}

/// The provider name IAM uses for an issuer given as a host, a host and path, or a URL.
fn normalize_host(text: &str) -> Result<String, Error> {
    let trimmed = text.trim();
    let bare = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    let host = bare.split('/').next().unwrap_or_default();
    let host_ok = !host.is_empty()
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':');
    if !host_ok || bare.contains(char::is_whitespace) {
        return Err(Error::Issuer { text: text.into() });
    }
    let path = &bare[host.len()..];
    Ok(format!("{}{path}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_arguments() {
        let prefect = Issuer::from_args(None, None, None, None).unwrap();
        assert_eq!(prefect, Issuer::prefect());
        let crew = Issuer::from_args(
            Some("https://app.crewai.com/"),
            Some("sts.amazonaws.com"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(crew.provider, "app.crewai.com");
        assert_eq!(crew.subject, SubjectRule::Tenant);
        assert!(crew.required);
        assert_eq!(crew.aud_key(), "app.crewai.com:aud");
        let gitlab =
            Issuer::from_args(Some("GitLab.Example.com/Tenant/"), None, None, None).unwrap();
        assert_eq!(gitlab.provider, "gitlab.example.com/Tenant");
        assert_eq!(gitlab.audience, None);
        let explicit = Issuer::from_args(Some(PROVIDER), None, None, None).unwrap();
        assert!(explicit.is_prefect() && explicit.required);
        for (issuer, subject, like, fragment) in [
            (Some("not a host"), None, None, "invalid issuer"),
            (Some("localhost"), None, None, "invalid issuer"),
            (None, Some("a"), Some("b*"), "not both"),
            (
                None,
                Some("organization:*"),
                None,
                "give it as a subject pattern",
            ),
            (None, Some(""), None, "need a value"),
        ] {
            let err = Issuer::from_args(issuer, None, subject, like)
                .unwrap_err()
                .to_string();
            assert!(err.contains(fragment), "{err}");
        }
        assert_eq!(
            Issuer::from_args(None, Some(" "), None, None),
            Err(Error::EmptyAudience)
        );
    }
}
