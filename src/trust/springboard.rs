//! The second hop of a role chain: the first role (the springboard Prefect Cloud assumes
//! with web identity) calls `sts:AssumeRole` into a second role, in another account or with
//! more rights. The chain needs a trust policy on the second role naming the first, and a
//! permissions policy on the first allowing `sts:AssumeRole` on the second; a `Deny` in
//! either cancels it.

use super::assume_role::{ASSUME_ROLE, has_condition};
use super::condition::{Compare, compare};
use super::document::{self, Effect};
use super::{Finding, Findings, actions, items, statements, token, wildcard_match};
use crate::identity;
use serde_json::{Value, json};

/// The session length prefect-aws asks for unless told otherwise, in seconds.
pub const DEFAULT_DURATION: u32 = 3600;
/// STS's shortest session.
pub const MIN_DURATION: u32 = 900;
/// The longest session of a chained role: AWS caps role chaining at one hour.
pub const MAX_CHAINED_DURATION: u32 = 3600;
/// The session name the generated `AwsCredentials` use unless told otherwise.
pub const DEFAULT_SESSION_NAME: &str = "prefect-springboard";

/// A role ARN, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The whole ARN.
    pub arn: String,
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The 12-digit account.
    pub account: String,
    /// The role's name, without its path (what `--role-name` takes).
    pub name: String,
}

/// Checks a role ARN with the federated identity's rules; the error is a usage message
/// naming `flag`.
pub fn parse_role(flag: &str, text: &str) -> Result<Role, String> {
    let violations = identity::check_field("aws_role_arn", &json!(text), "");
    if let Some(violation) = violations.first() {
        let hint = if text.contains(":assumed-role/") {
            let name = text.split('/').nth(1).unwrap_or("<role name>");
            let account = text.split(':').nth(4).unwrap_or("<account>");
            format!(
                " ({text:?} is a session of the role, as `aws sts get-caller-identity` prints it; the role is arn:aws:iam::{account}:role/{name})"
            )
        } else {
            String::new()
        };
        return Err(format!(
            "invalid {flag} {text:?}: {} ({}){hint}",
            violation.message.replace("aws_role_arn", "it"),
            violation.fix
        ));
    }
    let mut fields = text.splitn(6, ':');
    let partition = fields.nth(1).unwrap_or_default().to_string();
    let account = fields.nth(2).unwrap_or_default().to_string();
    let name = text.rsplit('/').next().unwrap_or_default().to_string();
    Ok(Role {
        arn: text.to_string(),
        partition,
        account,
        name,
    })
}

/// The two roles of a chain, and what the second hop passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The springboard: the role Prefect Cloud assumes first.
    pub from: Role,
    /// The role it assumes next.
    pub to: Role,
    /// The `sts:ExternalId` the second role requires, if any.
    pub external_id: Option<String>,
}

impl Pair {
    /// Checks that two roles can form a chain; the error is a usage message.
    pub fn new(from: Role, to: Role, external_id: Option<String>) -> Result<Pair, String> {
        if from.partition != to.partition {
            return Err(format!(
                "--from-role is in the {} partition and --to-role in {}; a role can only assume roles of its own partition",
                from.partition, to.partition
            ));
        }
        if from.arn.eq_ignore_ascii_case(&to.arn) {
            return Err(
                "--from-role and --to-role are the same role; give the role the springboard assumes as --to-role"
                    .into(),
            );
        }
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
            if !ok {
                return Err(format!(
                    "invalid --external-id {id:?}: sts takes 2 to 1224 letters, digits and +=,.@:/-_"
                ));
            }
        }
        Ok(Pair {
            from,
            to,
            external_id,
        })
    }

    /// Whether the chain crosses accounts.
    pub fn cross_account(&self) -> bool {
        self.from.account != self.to.account
    }
}

/// Checks an STS role session name; the error is a usage message.
pub fn parse_session_name(text: &str) -> Result<String, String> {
    let ok = (2..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "invalid --session-name {text:?}: sts takes 2 to 64 letters, digits and _+=,.@-"
        ))
    }
}

/// Checks the chained session's length; the error is a usage message.
pub fn parse_duration(seconds: u32) -> Result<u32, String> {
    if (MIN_DURATION..=MAX_CHAINED_DURATION).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "invalid --duration {seconds}: a chained role session lasts {MIN_DURATION} to {MAX_CHAINED_DURATION} seconds (aws caps role chaining at one hour)"
        ))
    }
}

/// The trust policy of the second role: the springboard may assume it.
pub fn trust_policy(pair: &Pair) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": pair.from.arn},
        "Action": ASSUME_ROLE,
    });
    if let Some(id) = &pair.external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": document::VERSION, "Statement": [statement]})
}

/// The permissions policy of the springboard: it may assume the second role.
pub fn permissions_policy(pair: &Pair) -> Value {
    json!({
        "Version": document::VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": ASSUME_ROLE,
            "Resource": pair.to.arn,
        }],
    })
}

/// Both policies, as `poolsync springboard` prints them.
pub fn generate(pair: &Pair) -> Value {
    json!({
        "trust_policy": trust_policy(pair),
        "permissions_policy": permissions_policy(pair),
    })
}

/// The name of the inline policy `put-role-policy` gives the springboard.
pub fn policy_name(pair: &Pair) -> String {
    let name = format!("assume-{}", pair.to.name);
    name.chars().take(128).collect()
}

/// The Python lines that assume the second role from a flow run, with prefect-aws.
pub fn aws_credentials(pair: &Pair, session_name: &str, duration: u32) -> String {
    let external = pair
        .external_id
        .as_deref()
        .map(|id| format!(", \"ExternalId\": \"{id}\""))
        .unwrap_or_default();
    format!(
        "from prefect_aws import AwsCredentials\n\
         \n\
         credentials = AwsCredentials(\n    \
             assume_role_arn=\"{}\",\n    \
             assume_role_kwargs={{\"RoleSessionName\": \"{session_name}\", \"DurationSeconds\": {duration}{external}}},\n\
         )",
        pair.to.arn
    )
}

/// How a statement's principal relates to the springboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// The role's ARN.
    Role,
    /// One session of the role (`arn:aws:sts::<account>:assumed-role/<name>/<session>`).
    Session,
    /// The role's account (id or `:root`): whoever the account allows.
    Account,
    /// `"*"`.
    Anyone,
    /// Not the springboard.
    Other,
}

fn names(statement: &Value, from: &Role) -> (Names, String) {
    if let Some(not) = statement.get("NotPrincipal") {
        let listed = not
            .get("AWS")
            .map(|v| items(v, ""))
            .unwrap_or_default()
            .iter()
            .any(|(_, p)| p.eq_ignore_ascii_case(&from.arn));
        let kind = if listed { Names::Other } else { Names::Anyone };
        return (kind, "/NotPrincipal".into());
    }
    let principal = match statement.get("Principal") {
        Some(Value::String(s)) if s == "*" => return (Names::Anyone, "/Principal".into()),
        Some(p) => p,
        None => return (Names::Other, "/Principal".into()),
    };
    let mut best = (Names::Other, "/Principal".to_string());
    let session = format!(
        "arn:{}:sts::{}:assumed-role/{}/",
        from.partition, from.account, from.name
    )
    .to_ascii_lowercase();
    for (at, p) in principal
        .get("AWS")
        .map(|v| items(v, "/Principal/AWS"))
        .unwrap_or_default()
    {
        let lower = p.to_ascii_lowercase();
        let kind = if lower == from.arn.to_ascii_lowercase() {
            Names::Role
        } else if lower.starts_with(&session) {
            Names::Session
        } else if p == "*" {
            Names::Anyone
        } else if p == from.account
            || lower == format!("arn:{}:iam::{}:root", from.partition, from.account)
        {
            Names::Account
        } else {
            continue;
        };
        let rank = |n: Names| match n {
            Names::Role => 0,
            Names::Account => 1,
            Names::Anyone => 2,
            Names::Session => 3,
            Names::Other => 4,
        };
        if rank(kind) < rank(best.0) {
            best = (kind, at);
        }
    }
    best
}

/// How a statement's actions relate to `sts:AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Covers {
    /// They allow it (exactly, or by a wildcard).
    Yes,
    /// One of them is a misspelling of it, at this pointer.
    Misspelt(String, String),
    /// No.
    No,
}

fn covers(pointer: &str, statement: &Value) -> Covers {
    if let Some(not) = statement.get("NotAction") {
        let excluded = items(not, "").iter().any(|(_, a)| {
            wildcard_match(&a.to_ascii_lowercase(), &ASSUME_ROLE.to_ascii_lowercase())
        });
        return if excluded { Covers::No } else { Covers::Yes };
    }
    let Some(action) = statement.get("Action") else {
        return Covers::No;
    };
    let list = items(action, &format!("{pointer}/Action"));
    if list
        .iter()
        .any(|(_, a)| wildcard_match(&a.to_ascii_lowercase(), &ASSUME_ROLE.to_ascii_lowercase()))
    {
        return Covers::Yes;
    }
    list.into_iter()
        .find(|(_, a)| actions::unknown(a).and_then(|u| u.closest) == Some(ASSUME_ROLE))
        .map(|(at, a)| Covers::Misspelt(at, a.to_string()))
        .unwrap_or(Covers::No)
}

/// The external ids a statement requires (`StringEquals` on `sts:ExternalId`), if any.
fn external_ids(statement: &Value) -> Option<(String, Vec<String>)> {
    let operators = statement.get("Condition")?.as_object()?;
    for (operator, keys) in operators {
        if !matches!(
            compare(operator),
            Some(Compare::Equals | Compare::EqualsIgnoreCase | Compare::Like)
        ) {
            continue;
        }
        for (key, values) in keys.as_object()? {
            if key.eq_ignore_ascii_case("sts:ExternalId") {
                let at = format!("/Condition/{}/{}", token(operator), token(key));
                let ids = items(values, "")
                    .into_iter()
                    .map(|(_, v)| v.to_string())
                    .collect();
                return Some((at, ids));
            }
        }
    }
    None
}

fn misspelt(out: &mut Findings, at: String, action: &str) {
    out.error(
        at,
        format!(
            "{action:?} is not an sts action, so the chain is refused (did you mean {ASSUME_ROLE}?)"
        ),
        format!("write \"{ASSUME_ROLE}\""),
    );
}

/// Lints the second role's trust policy against the pair: the springboard must be allowed
/// `sts:AssumeRole`, and no `Deny` may take that back.
pub fn check_trust(policy: &Value, pair: &Pair) -> Vec<Finding> {
    let mut out = Findings::default();
    document::check_version(policy, &mut out);
    let from = &pair.from;
    let fix_principal = format!("set \"Principal\": {{\"AWS\": \"{}\"}}", from.arn);
    let mut granted = false;
    let mut reported = false;
    let mut wrong: Vec<(String, String)> = Vec::new();
    let list = statements(policy);
    for (pointer, statement) in &list {
        if statement.get("Resource").is_some() && statement.get("Principal").is_none() {
            out.error(
                pointer.clone(),
                "the statement has a Resource and no Principal: this is a permissions policy, not a trust policy",
                "pass the first role's permissions policy to --check-permissions, and the second role's trust policy (aws iam get-role --role-name NAME --query Role.AssumeRolePolicyDocument) to --check-trust",
            );
            reported = true;
            continue;
        }
        let effect = document::effect(pointer, statement, &mut out);
        let (who, principal_at) = names(statement, from);
        let principal_at = format!("{pointer}{principal_at}");
        let covers = covers(pointer, statement);
        match effect {
            Effect::Allow => {
                match (who, &covers) {
                    (Names::Other, Covers::Yes) => {
                        let named = statement
                            .get("Principal")
                            .map(Value::to_string)
                            .unwrap_or_else(|| "nobody".into());
                        wrong.push((principal_at, named));
                    }
                    (Names::Other, _) => {}
                    (who, Covers::Yes) => {
                        granted = true;
                        match who {
                        Names::Session => out.warning(
                            principal_at,
                            format!("the principal is one session of {}, so the chain works only for that session name", from.arn),
                            fix_principal.clone(),
                        ),
                        Names::Account => out.warning(
                            principal_at,
                            format!("the principal is all of account {}, so any of its roles and users that may call {ASSUME_ROLE} can assume this role, not just the springboard", from.account),
                            fix_principal.clone(),
                        ),
                        Names::Anyone if !has_condition(statement) => out.error(
                            principal_at,
                            "the principal is \"*\" and the statement has no Condition, so any aws principal can assume this role",
                            fix_principal.clone(),
                        ),
                        _ => {}
                    }
                        check_external_id(pointer, statement, pair, &mut out);
                    }
                    (_, Covers::Misspelt(at, action)) => {
                        misspelt(&mut out, at.clone(), action);
                        reported = true;
                    }
                    (_, Covers::No) if who == Names::Role => {
                        out.error(
                        format!("{pointer}/Action"),
                        format!("the statement names the springboard but does not allow {ASSUME_ROLE}"),
                        format!("set \"Action\": \"{ASSUME_ROLE}\""),
                    );
                        reported = true;
                    }
                    _ => {}
                }
            }
            Effect::Deny if who != Names::Other && covers == Covers::Yes => {
                deny(
                    &mut out,
                    pointer,
                    statement,
                    &format!("{ASSUME_ROLE} to {}", from.arn),
                );
                reported = true;
            }
            _ => {}
        }
    }
    if !granted {
        for (at, named) in &wrong {
            out.error(
                at.clone(),
                format!(
                    "the statement allows {ASSUME_ROLE} to {named}, not to the springboard {}",
                    from.arn
                ),
                fix_principal.clone(),
            );
        }
        if wrong.is_empty() && !reported {
            out.error(
                "/Statement",
                format!(
                    "no statement allows {} to call {ASSUME_ROLE} on this role",
                    from.arn
                ),
                "add the trust_policy statement `poolsync springboard` prints",
            );
        }
    }
    in_document_order(out.0)
}

/// Findings sorted by the statement they are in (stable: within one, as found).
fn in_document_order(mut findings: Vec<Finding>) -> Vec<Finding> {
    let rank = |pointer: &str| -> (usize, usize) {
        if pointer.starts_with("/Version") {
            return (0, 0);
        }
        let index = pointer
            .strip_prefix("/Statement/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|i| i.parse::<usize>().ok());
        match index {
            Some(i) => (1, i),
            None => (2, 0),
        }
    };
    findings.sort_by_key(|f| rank(&f.pointer));
    findings
}

fn check_external_id(pointer: &str, statement: &Value, pair: &Pair, out: &mut Findings) {
    match (external_ids(statement), &pair.external_id) {
        (Some((at, ids)), None) => out.error(
            format!("{pointer}{at}"),
            format!("the statement requires sts:ExternalId {ids:?}, and the springboard does not send one"),
            "pass --external-id with that id, so the AwsCredentials lines send it",
        ),
        (Some((at, ids)), Some(id)) if !ids.iter().any(|v| wildcard_match(v, id)) => out.error(
            format!("{pointer}{at}"),
            format!("the statement requires sts:ExternalId {ids:?}, not --external-id {id:?}"),
            format!("set \"sts:ExternalId\": \"{id}\", or pass the id the statement names"),
        ),
        (None, Some(id)) => out.warning(
            format!("{pointer}/Condition"),
            format!("the statement does not check sts:ExternalId, so --external-id {id:?} is sent but not required"),
            format!("add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"{id}\"}}}}"),
        ),
        _ => {}
    }
}

fn deny(out: &mut Findings, pointer: &str, statement: &Value, what: &str) {
    if has_condition(statement) {
        out.warning(
            format!("{pointer}/Effect"),
            format!("this Deny of {what} may cancel the chain, depending on its Condition: a Deny overrides every Allow"),
            "check the Condition excludes the springboard's calls, or remove the statement",
        );
    } else {
        out.error(
            format!("{pointer}/Effect"),
            format!("this Deny of {what} cancels the chain: a Deny overrides every Allow"),
            "remove the statement, or narrow it with a Condition",
        );
    }
}

/// Lints the springboard's permissions policy against the pair: it must allow
/// `sts:AssumeRole` on the second role, and no `Deny` may take that back.
pub fn check_permissions(policy: &Value, pair: &Pair) -> Vec<Finding> {
    let mut out = Findings::default();
    document::check_version(policy, &mut out);
    let to = &pair.to.arn;
    let fix_resource = format!("set \"Resource\": \"{to}\"");
    let mut granted = false;
    let mut reported = false;
    let mut wrong: Vec<(String, String)> = Vec::new();
    for (pointer, statement) in statements(policy) {
        if statement.get("Principal").is_some() {
            out.error(
                format!("{pointer}/Principal"),
                "the statement has a Principal: this is a trust policy, and iam refuses a Principal in a role's permissions policy",
                "pass the second role's trust policy to --check-trust, and the first role's permissions policy (aws iam get-role-policy) to --check-permissions",
            );
            reported = true;
            continue;
        }
        let effect = document::effect(&pointer, statement, &mut out);
        let covers = covers(&pointer, statement);
        if let Some(action) = statement.get("Action") {
            for (at, a) in items(action, &format!("{pointer}/Action")) {
                if let Some(unknown) = actions::unknown(a)
                    && !unknown.other_service
                    && unknown.closest != Some(ASSUME_ROLE)
                {
                    out.error(at, unknown.message(a), unknown.fix(a));
                }
            }
        }
        let (resource, resource_at) =
            match (statement.get("Resource"), statement.get("NotResource")) {
                (Some(r), _) => {
                    let list = items(r, &format!("{pointer}/Resource"));
                    let hit = list.iter().find(|(_, r)| wildcard_match(r, to)).cloned();
                    (hit.is_some(), hit.map(|(at, r)| (at, r.to_string())))
                }
                (None, Some(not)) => {
                    let excluded = items(not, "").iter().any(|(_, r)| wildcard_match(r, to));
                    (
                        !excluded,
                        Some((format!("{pointer}/NotResource"), "NotResource".into())),
                    )
                }
                (None, None) => {
                    if effect == Effect::Allow && covers != Covers::No {
                        out.error(
                            pointer.clone(),
                            "the statement has no Resource",
                            fix_resource.clone(),
                        );
                        reported = true;
                    }
                    continue;
                }
            };
        match effect {
            Effect::Allow => {
                match (&covers, resource) {
                    (Covers::Yes, true) => {
                        granted = true;
                        if let Some((at, r)) = resource_at
                            && r != *to
                        {
                            out.warning(
                            at,
                            format!("resource {r:?} lets the springboard assume other roles than {to} too"),
                            fix_resource.clone(),
                        );
                        }
                    }
                    (Covers::Yes, false) => {
                        let named = statement
                            .get("Resource")
                            .map(Value::to_string)
                            .unwrap_or_default();
                        wrong.push((format!("{pointer}/Resource"), named));
                    }
                    (Covers::Misspelt(at, action), _) => {
                        misspelt(&mut out, at.clone(), action);
                        reported = true;
                    }
                    (Covers::No, true)
                        if statement.get("Resource").is_some_and(|r| {
                            items(r, "").iter().any(|(_, r)| r.eq_ignore_ascii_case(to))
                        }) =>
                    {
                        out.error(
                        format!("{pointer}/Action"),
                        format!("the statement names the second role but does not allow {ASSUME_ROLE}"),
                        format!("add \"{ASSUME_ROLE}\" to \"Action\""),
                    );
                        reported = true;
                    }
                    _ => {}
                }
            }
            Effect::Deny if covers == Covers::Yes && resource => {
                deny(
                    &mut out,
                    &pointer,
                    statement,
                    &format!("{ASSUME_ROLE} on {to}"),
                );
                reported = true;
            }
            _ => {}
        }
    }
    if !granted {
        for (at, named) in &wrong {
            out.error(
                at.clone(),
                format!(
                    "the statement allows {ASSUME_ROLE} on {named}, not on the second role {to}"
                ),
                fix_resource.clone(),
            );
        }
        if wrong.is_empty() && !reported {
            out.error(
                "/Statement",
                format!("no statement allows {ASSUME_ROLE} on {to}"),
                "add the permissions_policy statement `poolsync springboard` prints",
            );
        }
    }
    in_document_order(out.0)
}
