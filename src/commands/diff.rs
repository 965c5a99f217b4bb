//! `poolsync diff`: the unified diff (or JSON Patch, JSON, Markdown) of two templates, key
//! order ignored, optionally narrowed to one section; `--all` pairs every pool of two
//! servers by name ([`all`]). Exit status as diff(1): 0 same, 1 different, 2 trouble.
//!
//! flags -> [`Plan`] (sides parsed once) -> read both sides at once -> narrow -> compare
//! -> print -> exit status.

mod all;
mod side;

use crate::api::Client;
use crate::cli::{ConnectionArgs, DiffArgs, DiffFormat, SectionArg};
use crate::error::{Error, Result};
use crate::exit;
use crate::markdown::{self, Document, Entry};
use poolsync_engine::diff;
use poolsync_engine::display::escape;
use serde_json::{Value, json};
pub(super) use side::{Reader, Side, Source};

/// Exit status: the sides are the same.
pub(super) const SAME: u8 = 0;
/// Exit status: the sides differ.
pub(super) const DIFFERENT: u8 = 1;
/// Exit status: trouble (a side could not be read, a usage error).
pub(super) const TROUBLE: u8 = 2;

/// What `diff` compares, decided before anything is read.
#[derive(Debug)]
pub(super) struct Plan {
    /// One pair, or every pool of two servers.
    pub what: What,
    /// Only this section of each template.
    pub only: Option<&'static str>,
    /// How the result is printed.
    pub format: Format,
    /// Colour in text output.
    pub color: bool,
}

/// How `diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// A unified diff; with `--all`, a line per pool that differs or is on one side only.
    Text,
    /// One JSON object; with `--all`, JSON lines and a summary.
    Json,
    /// RFC 6902 operations from left to right (one pair only).
    JsonPatch,
    /// A Markdown report.
    Markdown,
}

/// One pair of sides, or all pools.
#[derive(Debug)]
pub(super) enum What {
    /// Two sides.
    Pair(Reader, Reader),
    /// Every pool on each side's server (a profile, or the default connection).
    All {
        /// The left server.
        left: Listing,
        /// The right server.
        right: Listing,
        /// `--name` globs.
        filter: super::plan::NameFilter,
    },
}

/// One side of `--all`: a server and how to name it.
#[derive(Debug)]
pub(super) struct Listing {
    /// `left` or `right`.
    pub which: &'static str,
    /// The profile, or `left (default connection)`.
    pub label: String,
    /// How errors name the side: `--left-profile dev`.
    pub spec: String,
    /// Its server's client.
    pub client: Client,
}

impl Listing {
    fn new(
        which: &'static str,
        profile: Option<&str>,
        connection: &ConnectionArgs,
    ) -> Result<Listing> {
        let (label, spec) = match profile {
            Some(p) => (p.to_string(), format!("--{which}-profile {p}")),
            None => (
                format!("{which} (default connection)"),
                "(default connection)".into(),
            ),
        };
        let client = side::client(connection, profile).map_err(|e| Error::Side {
            side: which,
            spec: spec.clone(),
            source: Box::new(e),
        })?;
        Ok(Listing {
            which,
            label,
            spec,
            client,
        })
    }

    /// `error`, naming this side.
    pub(super) fn error(&self, error: Error) -> Error {
        Error::Side {
            side: self.which,
            spec: self.spec.clone(),
            source: Box::new(error),
        }
    }
}

impl Plan {
    /// Compiles `diff`'s flags; `connection` (the command's connection flags) makes the
    /// clients of the sides that read a server.
    pub(super) fn new(args: &DiffArgs, connection: &ConnectionArgs, color: bool) -> Result<Plan> {
        let what = match (&args.left, &args.right, args.all) {
            (Some(left), Some(right), false) => {
                let left = Side::parse("left", left, args.left_profile.as_deref())?;
                let right = Side::parse("right", right, args.right_profile.as_deref())?;
                if left.source == Source::File("-".into()) && right.source == left.source {
                    return Err(Error::Usage("only one side can read stdin (-)".into()));
                }
                What::Pair(left.reader(connection)?, right.reader(connection)?)
            }
            (None, None, true) if args.output == DiffFormat::JsonPatch => {
                return Err(Error::Usage(
                    "--output json-patch compares one pair; use --output json with --all".into(),
                ));
            }
            (None, None, true) => What::All {
                filter: super::plan::NameFilter::new(&args.names, &[])?,
                left: Listing::new("left", args.left_profile.as_deref(), connection)?,
                right: Listing::new("right", args.right_profile.as_deref(), connection)?,
            },
            _ => {
                return Err(Error::Usage(
                    "give two sides (LEFT RIGHT) or --all with --left-profile/--right-profile"
                        .into(),
                ));
            }
        };
        Ok(Plan {
            what,
            only: args.only.map(|only| match only {
                SectionArg::Variables => "variables",
                SectionArg::JobConfiguration => "job_configuration",
            }),
            format: match args.output {
                DiffFormat::Text => Format::Text,
                DiffFormat::Json => Format::Json,
                DiffFormat::JsonPatch => Format::JsonPatch,
                DiffFormat::Markdown => Format::Markdown,
            },
            color,
        })
    }
}

/// Runs `diff`; every error is reported here and exits [`TROUBLE`].
pub(super) async fn run(connection: &ConnectionArgs, args: &DiffArgs, color: bool) -> Result<u8> {
    let outcome = match Plan::new(args, connection, color) {
        Ok(plan) => match &plan.what {
            What::Pair(left, right) => pair(&plan, left, right).await,
            What::All { .. } => all::run(&plan).await,
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(code) => Ok(code),
        Err(e) if e.is_broken_pipe() => Ok(exit::SUCCESS),
        Err(e) => {
            eprintln!("error: {}", e.shown());
            Ok(TROUBLE)
        }
    }
}

/// `template` narrowed to `only` (kept under its key, so pointers stay the template's).
pub(super) fn narrow(template: Value, only: Option<&str>) -> Value {
    match only {
        None => template,
        Some(key) => json!({ key: template.get(key).cloned().unwrap_or(Value::Null) }),
    }
}

async fn pair(plan: &Plan, left: &Reader, right: &Reader) -> Result<u8> {
    let (l, r) = futures::join!(left.read(), right.read());
    let (left, right) = (&left.side, &right.side);
    let (l, r) = (l?, r?);
    let (lt, rt) = (narrow(l.template, plan.only), narrow(r.template, plan.only));
    let patch = diff::json_patch(&lt, &rt);
    let changes = patch.as_array().map_or(0, Vec::len);
    let (ll, rl) = (escape(&left.spec), escape(&right.spec));
    let text = match plan.format {
        Format::Text => diff::unified(&lt, &rt, &ll, &rl, plan.color),
        Format::JsonPatch => format!("{patch}\n"),
        Format::Json => format!(
            "{}\n",
            json!({"left": left.spec, "right": right.spec, "only": plan.only,
                   "same": changes == 0, "changes": changes, "patch": patch})
        ),
        Format::Markdown => {
            let types: Vec<String> = [l.pool_type, r.pool_type].into_iter().flatten().collect();
            let mut types_shown = types.clone();
            types_shown.dedup();
            markdown::render(&Document {
                title: "poolsync diff".into(),
                summary: match plan.only {
                    Some(only) => format!("{} vs {}, {only} only", left.spec, right.spec),
                    None => format!("{} vs {}", left.spec, right.spec),
                },
                entries: vec![Entry {
                    pool: format!("{} vs {}", left.spec, right.spec),
                    pool_type: types_shown.join(" vs "),
                    outcome: if changes == 0 { "same" } else { "differs" }.into(),
                    changes: Some(changes),
                    diff: diff::unified(&lt, &rt, &ll, &rl, false),
                    ..Entry::default()
                }],
                whole_report: "rerun with --output text for the whole diff".into(),
                ..Document::default()
            })
        }
    };
    super::markdown::print(&text)?;
    Ok(if changes == 0 { SAME } else { DIFFERENT })
}
