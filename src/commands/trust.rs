//! `poolsync trust-policy`: print the IAM trust policy Prefect Cloud needs, or lint one.

use crate::cli::TrustPolicyArgs;
use crate::error::{Error, Result};
use crate::trust::{self, Expect, Level};
use crate::{exit, input};
use std::path::{Path, PathBuf};

/// Runs `trust-policy`; returns the exit code.
pub fn run(args: &TrustPolicyArgs) -> Result<u8> {
    let expect = Expect {
        aws_account: args
            .aws_account
            .as_deref()
            .map(trust::parse_aws_account)
            .transpose()
            .map_err(Error::Usage)?,
        prefect_account: args
            .prefect_account
            .as_deref()
            .map(trust::parse_prefect_account)
            .transpose()
            .map_err(Error::Usage)?,
    };
    if let Some(check) = &args.check {
        let paths: Vec<PathBuf> = check.iter().chain(&args.files).cloned().collect();
        return match paths.as_slice() {
            [] => Err(Error::Usage(
                "--check needs a policy FILE (or - for stdin)".into(),
            )),
            [path] => check_one(path, &expect, ""),
            paths => check_all(paths, &expect),
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
         (for an existing role: aws iam update-assume-role-policy --role-name NAME --policy-document file://trust-policy.json)",
        trust::CREATE_PROVIDER
    );
    Ok(exit::SUCCESS)
}

/// Lints several files, each line prefixed with its file; fails if any has an error or
/// cannot be read.
fn check_all(paths: &[PathBuf], expect: &Expect) -> Result<u8> {
    let mut failed = 0;
    for path in paths {
        match check_one(path, expect, &format!("{}: ", path.display())) {
            Ok(exit::SUCCESS) => {}
            Ok(_) => failed += 1,
            Err(error) => {
                eprintln!("error: {error}");
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

fn check_one(path: &Path, expect: &Expect, prefix: &str) -> Result<u8> {
    let policy = input::read_json(path)?;
    let findings = trust::lint(&policy, expect);
    if findings.is_empty() {
        println!("{prefix}trust policy ok");
        return Ok(exit::SUCCESS);
    }
    for finding in &findings {
        println!("{prefix}{finding}");
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.len() - errors;
    println!(
        "{prefix}{}, {}",
        count(errors, "error"),
        count(warnings, "warning")
    );
    Ok(if errors > 0 {
        exit::ERROR
    } else {
        exit::SUCCESS
    })
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
