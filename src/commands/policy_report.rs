//! Policy files as `trust-policy --check` and `springboard --check-*` read them (JSON, or the
//! policies of a Terraform file), and the finding lines they print, with their count and
//! exit code.

use crate::error::{Error, Result};
use crate::{exit, input};
use iam_trust::terraform::{self, Known, PolicyKind};
use iam_trust::{Finding, Level};
use serde_json::Value;
use std::path::Path;

/// Policies read from a file: one JSON document, or the documents of a Terraform file.
pub(super) enum PolicyFile {
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

impl PolicyFile {
    /// The file's name.
    pub(super) fn name(&self) -> &str {
        match self {
            PolicyFile::Json { name, .. } | PolicyFile::Terraform { name, .. } => name,
        }
    }
}

/// Reads a policy file: Terraform when it is named `*.tf` (or, on stdin, when it is not JSON
/// but parses as HCL), JSON otherwise.
pub(super) fn load(path: &Path, kind: PolicyKind, known: &Known) -> Result<PolicyFile> {
    let (name, text) = input::read_text(path)?;
    let terraform_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tf") || e.eq_ignore_ascii_case("hcl"));
    let as_terraform = |name: String| -> Result<PolicyFile> {
        let documents = terraform::documents(&text, kind, known).map_err(|error| Error::Shape {
            input: name.clone(),
            message: error.to_string(),
        })?;
        Ok(PolicyFile::Terraform { name, documents })
    };
    if terraform_name {
        return as_terraform(name);
    }
    match serde_json::from_str(&text) {
        Ok(policy) => Ok(PolicyFile::Json { name, policy }),
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
pub(super) struct PolicyReport {
    errors: usize,
    warnings: usize,
}

impl PolicyReport {
    /// Prints one finding line.
    pub(super) fn line(&mut self, level: Level, text: String) {
        match level {
            Level::Error => self.errors += 1,
            Level::Warning => self.warnings += 1,
        }
        println!("{text}");
    }

    /// Prints the findings of a file of policies, each prefixed with the file and, for
    /// Terraform, the line; a file without findings gets one `ok` line.
    pub(super) fn documents(
        &mut self,
        source: &PolicyFile,
        what: &str,
        lint: impl Fn(&Value) -> Vec<Finding>,
    ) {
        let name = source.name();
        match source {
            PolicyFile::Json { policy, .. } => {
                let findings = lint(policy);
                if findings.is_empty() {
                    println!("{name}: {what} policy ok");
                }
                for finding in findings {
                    self.line(level(&finding), format!("{name}: {finding}"));
                }
            }
            PolicyFile::Terraform { documents, .. } => {
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
    pub(super) fn finish(self) -> u8 {
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
pub(super) fn level(finding: &Finding) -> Level {
    finding.level.unwrap_or(Level::Error)
}
