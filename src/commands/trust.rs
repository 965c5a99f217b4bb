//! `poolsync trust-policy`: print the IAM trust policy Prefect Cloud needs, or lint one (JSON
//! or Terraform, for Prefect Cloud's issuer or any other). Reading policy files and printing
//! their findings is shared with `poolsync springboard`, in [`super::policy_report`].

use super::policy_report::{PolicyFile, PolicyReport, level, load};
use crate::cli::{TrustPolicyArgs, trust_names, trust_usage};
use crate::error::{Error, Result};
use crate::exit;
use iam_trust::terraform::{Known, PolicyKind};
use iam_trust::{self as trust, Expect, Issuer};
use std::path::{Path, PathBuf};

/// Runs `trust-policy`; returns the exit code.
pub(super) fn run(args: &TrustPolicyArgs) -> Result<u8> {
    let usage = |e: trust::Error| Error::Usage(trust_usage(&e));
    let expect = Expect {
        aws_account: args
            .aws_account
            .as_deref()
            .map(trust::parse_aws_account)
            .transpose()
            .map_err(usage)?,
        prefect_account: args
            .prefect_account
            .as_deref()
            .map(trust::parse_prefect_account)
            .transpose()
            .map_err(usage)?,
        names: trust_names(),
    };
    let issuer = Issuer::from_args(
        args.issuer.as_deref(),
        args.audience.as_deref(),
        args.subject.as_deref(),
        args.subject_like.as_deref(),
    )
    .map_err(usage)?;
    if expect.prefect_account.is_some() && !issuer.is_prefect() {
        return Err(Error::Usage(format!(
            "--prefect-account is for prefect cloud's issuer, not --issuer {}; give --subject or --subject-like",
            issuer.provider
        )));
    }
    if let Some(check) = &args.check {
        let paths: Vec<PathBuf> = check.iter().chain(&args.files).cloned().collect();
        return match paths.as_slice() {
            [] => Err(Error::Usage(
                "--check needs a policy FILE (or - for stdin)".into(),
            )),
            [path] => check_one(path, &expect, &issuer, false),
            paths => check_all(paths, &expect, &issuer),
        };
    }
    let (Some(aws), Some(prefect)) = (&expect.aws_account, &expect.prefect_account) else {
        return Err(Error::Usage(
            "give --aws-account and --prefect-account to print a policy, or --check FILE to lint one"
                .into(),
        ));
    };
    let policy = trust::generate(aws, prefect);
    let text = serde_json::to_string_pretty(&policy).map_err(|e| Error::Usage(e.to_string()))?;
    println!("{text}");
    eprintln!(
        "note: create prefect cloud's oidc provider once per aws account:\n  \
         {}\n\
         then save this policy and create the role with it, e.g.:\n  \
         poolsync trust-policy --aws-account {aws} --prefect-account {prefect} > trust-policy.json\n  \
         aws iam create-role --role-name prefect-managed --assume-role-policy-document file://trust-policy.json\n\
         (for an existing role: aws iam update-assume-role-policy --role-name NAME --policy-document file://trust-policy.json)\n\
         to chain a second role from this one, see `poolsync springboard --help`",
        trust::CREATE_PROVIDER
    );
    Ok(exit::SUCCESS)
}

/// Lints several files (as pre-commit passes them), each line prefixed with its file; fails
/// if any has an error or cannot be read.
fn check_all(paths: &[PathBuf], expect: &Expect, issuer: &Issuer) -> Result<u8> {
    let mut failed = 0;
    for path in paths {
        match check_one(path, expect, issuer, true) {
            Ok(exit::SUCCESS) => {}
            Ok(_) => failed += 1,
            Err(error) => {
                eprintln!("error: {}", error.shown());
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(exit::SUCCESS),
        failed => Err(Error::FilesFailed {
            check: "the trust policy lint",
            failed,
            total: paths.len(),
        }),
    }
}

/// Lints one file; `named` prefixes every line with the file, as for Terraform files.
fn check_one(path: &Path, expect: &Expect, issuer: &Issuer, named: bool) -> Result<u8> {
    let known = Known {
        aws_account: expect.aws_account.clone(),
        roles: Vec::new(),
    };
    let source = load(path, PolicyKind::Trust, &known)?;
    let mut report = PolicyReport::default();
    match &source {
        PolicyFile::Json { policy, .. } if !named => {
            let findings = trust::lint_for(policy, expect, issuer);
            if findings.is_empty() {
                println!("trust policy ok");
                return Ok(exit::SUCCESS);
            }
            for finding in &findings {
                report.line(level(finding), finding.to_string());
            }
        }
        _ => {
            report.documents(&source, "trust", |policy| {
                trust::lint_for(policy, expect, issuer)
            });
        }
    }
    Ok(report.finish())
}
