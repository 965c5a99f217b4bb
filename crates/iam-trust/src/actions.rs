//! The actions of AWS STS (service prefix `sts`), and the closest valid name to a misspelt
//! one. IAM compares action names without regard to case.

/// Every action of AWS STS, as the service authorization reference lists them.
pub(crate) const STS_ACTIONS: [&str; 15] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoot",
    "sts:DecodeAuthorizationMessage",
    "sts:GetAccessKeyInfo",
    "sts:GetCallerIdentity",
    "sts:GetDelegatedAccessToken",
    "sts:GetFederationToken",
    "sts:GetServiceBearerToken",
    "sts:GetSessionToken",
    "sts:GetWebIdentityToken",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
];

/// The actions a role's trust policy can allow.
pub(crate) const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
];

/// The largest edit distance at which a name is suggested.
const MAX_DISTANCE: usize = 3;

/// An action that is not an STS action, though it looks like one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unknown {
    /// The valid name closest to it, if one is close.
    pub closest: Option<&'static str>,
    /// Whether it names another service than `sts` (or none).
    pub other_service: bool,
}

impl Unknown {
    /// What is wrong, lowercase.
    pub(crate) fn message(&self, action: &str) -> String {
        match (self.closest, self.other_service) {
            (Some(name), _) => format!("{action:?} is not an sts action (did you mean {name}?)"),
            (None, true) => format!(
                "{action:?} is not an sts action; a trust policy allows only sts actions such as sts:AssumeRole"
            ),
            (None, false) => format!("{action:?} is not an sts action"),
        }
    }

    /// How to fix it.
    pub(crate) fn fix(&self, action: &str) -> String {
        match self.closest {
            Some(name) => format!("write \"{name}\""),
            None => format!(
                "remove {action:?}; valid trust actions are {}",
                TRUST_ACTIONS.join(", ")
            ),
        }
    }
}

/// `None` when `action` is an STS action, a wildcard, or plainly another service's action
/// that resembles none; otherwise what is wrong with it.
pub(crate) fn unknown(action: &str) -> Option<Unknown> {
    if action.contains(['*', '?']) || is_sts_action(action) {
        return None;
    }
    let (service, _) = action.split_once(':').unwrap_or(("", action));
    let other_service = !service.eq_ignore_ascii_case("sts");
    let closest = closest(action);
    if other_service && closest.is_none() && !service.is_empty() {
        return Some(Unknown {
            closest: None,
            other_service,
        });
    }
    Some(Unknown {
        closest,
        other_service,
    })
}

/// Whether `action` names an STS action (any case).
pub(crate) fn is_sts_action(action: &str) -> bool {
    STS_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// The STS action closest to `action`, when at most a few edits away; a name without a
/// service prefix is compared with the names without theirs.
pub(crate) fn closest(action: &str) -> Option<&'static str> {
    let lower = action.to_ascii_lowercase();
    let bare = !lower.contains(':');
    STS_ACTIONS
        .iter()
        .map(|name| {
            let candidate = name.to_ascii_lowercase();
            let mut d = distance(&lower, &candidate);
            if bare {
                d = d.min(distance(&lower, candidate.trim_start_matches("sts:")));
            }
            (d, *name)
        })
        .filter(|(d, _)| *d <= MAX_DISTANCE)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        for (typo, want) in [
            ("sts:AsumeRole", Some("sts:AssumeRole")),
            ("sts:assumerole", None),
            ("sts.AssumeRole", Some("sts:AssumeRole")),
            ("AssumeRole", Some("sts:AssumeRole")),
            ("sts:AssumeRoles", Some("sts:AssumeRole")),
            (
                "sts:AssumeRoleWithWebIdentiy",
                Some("sts:AssumeRoleWithWebIdentity"),
            ),
            ("sts:TagSesion", Some("sts:TagSession")),
            ("iam:AssumeRole", Some("sts:AssumeRole")),
        ] {
            let got = unknown(typo).and_then(|u| u.closest);
            assert_eq!(got, want, "{typo}");
        }
        assert_eq!(unknown("sts:*"), None);
        assert_eq!(unknown("sts:GetCallerIdentity"), None);
        let s3 = unknown("s3:GetObject").unwrap();
        assert_eq!(s3.closest, None);
        assert!(s3.message("s3:GetObject").contains("only sts actions"));
        let far = unknown("sts:Frobnicate").unwrap();
        assert_eq!(far.closest, None);
        assert!(!far.other_service);
        assert!(far.fix("sts:Frobnicate").contains("sts:AssumeRole, "));
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }
}
