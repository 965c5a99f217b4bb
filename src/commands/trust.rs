//! `poolsync trust-policy`: print the IAM trust policy Prefect Cloud needs, or lint one (JSON
//! or Terraform, for Prefect Cloud's issuer or any other). The reading and reporting here are
//! shared with `poolsync springboard`.

use crate::cli::{TrustPolicyArgs, trust_names, trust_usage};
use crate::error::{Error, Result};
use crate::{exit, input};
use iam_trust::terraform::{self, Kind, Known};
use iam_trust::{self as trust, Expect, Finding, Issuer, Level};
use serde_json::Value;
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
    let source = load(path, Kind::Trust, &known)?;
    let mut report = Report::default();
    match &source {
        Source::Json { policy, .. } if !named => {
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

/// Policies read from a file: one JSON document, or the documents of a Terraform file.
pub(crate) enum Source {
    /// A JSON policy.
    Json {
        /// The file's name (`stdin` for `-`).
        name: String,
        /// The policy.
        policy: Value,
    },
    /// The policies of a Terraform file.
    Terraform {
        /// The file's name (`stdin` for `-`).
        name: String,
        /// Its policies of the kind asked for.
        documents: Vec<terraform::Document>,
    },
}

impl Source {
    /// The file's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Source::Json { name, .. } | Source::Terraform { name, .. } => name,
        }
    }
}

/// Reads a policy file: Terraform when it is named `*.tf` (or, on stdin, when it is not JSON
/// but parses as HCL), JSON otherwise.
pub(crate) fn load(path: &Path, kind: Kind, known: &Known) -> Result<Source> {
    let (name, text) = input::read_text(path)?;
    let terraform_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tf") || e.eq_ignore_ascii_case("hcl"));
    let as_terraform = |name: String| -> Result<Source> {
        let documents = terraform::documents(&text, kind, known).map_err(|error| Error::Shape {
            input: name.clone(),
            message: error.to_string(),
        })?;
        Ok(Source::Terraform { name, documents })
    };
    if terraform_name {
        return as_terraform(name);
    }
    match serde_json::from_str(&text) {
        Ok(policy) => Ok(Source::Json { name, policy }),
        Err(_) if path == Path::new("-") && terraform::looks_like_terraform(&text) => {
            as_terraform(name)
        }
        Err(source) => Err(Error::Json {
            input: name,
            source,
        }),
    }
}

/// Printed findings and their count.
#[derive(Default)]
pub(crate) struct Report {
    errors: usize,
    warnings: usize,
}

impl Report {
    /// Prints one finding line.
    pub(crate) fn line(&mut self, level: Level, text: String) {
        match level {
            Level::Error => self.errors += 1,
            Level::Warning => self.warnings += 1,
        }
        println!("{text}");
    }

    /// Prints the findings of a file of policies, each prefixed with the file and, for
    /// Terraform, the line; a file without findings gets one `ok` line.
    pub(crate) fn documents(
        &mut self,
        source: &Source,
        what: &str,
        lint: impl Fn(&Value) -> Vec<Finding>,
    ) {
        let name = source.name();
        match source {
            Source::Json { policy, .. } => {
                let findings = lint(policy);
                if findings.is_empty() {
                    println!("{name}: {what} policy ok");
                }
                for finding in findings {
                    self.line(level(&finding), format!("{name}: {finding}"));
                }
            }
            Source::Terraform { documents, .. } => {
                let mut clean = Vec::new();
                for doc in documents {
                    let findings = match &doc.policy {
                        Ok(policy) => lint(policy),
                        Err(why) => {
                            self.line(
                                Level::Error,
                                format!(
                                    "{name}:{}: error: {}: could not evaluate the policy: {why}; fix: pass --aws-account to fill in account ids and arns, give variables defaults, or lint the rendered policy (terraform show -json, or aws iam get-role)",
                                    doc.line, doc.address
                                ),
                            );
                            continue;
                        }
                    };
                    if findings.is_empty() {
                        clean.push(doc.address.as_str());
                    }
                    for finding in findings {
                        let line = doc.line_of(&finding.pointer);
                        let level = level(&finding);
                        let fix = finding.fix.as_deref().unwrap_or_default();
                        self.line(
                            level,
                            format!(
                                "{name}:{line}: {level}: {} {}: {}; fix: {fix}",
                                doc.address, finding.pointer, finding.message
                            ),
                        );
                    }
                }
                if !clean.is_empty() {
                    println!("{name}: {what} policy ok: {}", clean.join(", "));
                }
            }
        }
    }

    /// Prints the summary (when anything was found) and returns the exit code: 1 on any
    /// error-level finding.
    pub(crate) fn finish(self) -> u8 {
        if self.errors + self.warnings > 0 {
            println!(
                "{}, {}",
                count(self.errors, "error"),
                count(self.warnings, "warning")
            );
        }
        if self.errors > 0 {
            exit::ERROR
        } else {
            exit::SUCCESS
        }
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A trust finding's level (every finding of the trust lint has one).
fn level(finding: &Finding) -> Level {
    finding.level.unwrap_or(Level::Error)
}
