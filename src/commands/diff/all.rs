//! `poolsync diff --all`: every pool of two servers (two profiles, or a profile and the
//! default connection), each side listed with `update --all`'s paged filter (200 pools a
//! request), paired by name (pure: [`pair`]): one line per pair that differs, and each pool
//! present on one side only.

use super::{DIFFERENT, Format, Listing, Plan, SAME, TROUBLE, What, narrow};
use crate::api::{Client, Listed, PAGE_SIZE};
use crate::commands::paging::Paging;
use crate::commands::plan::NameFilter;
use crate::error::{Error, Result};
use crate::markdown::{self, Document, Entry};
use poolsync_engine::diff;
use poolsync_engine::display::escape;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How one name compares.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Status {
    /// Both sides hold the same template.
    Same,
    /// The templates differ: the JSON Patch from left to right.
    Differs(Value),
    /// Only the left side has the pool.
    OnlyLeft,
    /// Only the right side has the pool.
    OnlyRight,
    /// A side's pool could not be read: which, and why.
    Unreadable(&'static str, String),
}

/// One pool name and how its two sides compare.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pair {
    /// The pool name.
    pub name: String,
    /// The types on the left and right (when listed there).
    pub types: (Option<String>, Option<String>),
    /// The two templates (narrowed), when both were read.
    pub templates: Option<(Value, Value)>,
    /// How they compare.
    pub status: Status,
}

/// A listed pool: its type and template, or why it could not be read.
pub(super) type Pool = std::result::Result<(String, Value), String>;

/// Pairs two listings by name, in name order.
pub(super) fn pair(left: BTreeMap<String, Pool>, mut right: BTreeMap<String, Pool>) -> Vec<Pair> {
    let mut pairs = Vec::new();
    for (name, l) in left {
        let r = right.remove(&name);
        let kind = |p: &Pool| p.as_ref().ok().map(|(t, _)| t.clone());
        let types = (kind(&l), r.as_ref().and_then(kind));
        let (status, templates) = match (l, r) {
            (Err(e), _) => (Status::Unreadable("left", e), None),
            (_, Some(Err(e))) => (Status::Unreadable("right", e), None),
            (Ok(_), None) => (Status::OnlyLeft, None),
            (Ok((_, lt)), Some(Ok((_, rt)))) => {
                let patch = diff::json_patch(&lt, &rt);
                let same = patch.as_array().is_none_or(Vec::is_empty);
                let status = if same {
                    Status::Same
                } else {
                    Status::Differs(patch)
                };
                (status, Some((lt, rt)))
            }
        };
        pairs.push(Pair {
            name,
            types,
            templates,
            status,
        });
    }
    for (name, r) in right {
        let (status, kind) = match r {
            Ok((t, _)) => (Status::OnlyRight, Some(t)),
            Err(e) => (Status::Unreadable("right", e), None),
        };
        pairs.push(Pair {
            name,
            types: (None, kind),
            templates: None,
            status,
        });
    }
    pairs.sort_by(|a, b| a.name.cmp(&b.name));
    pairs
}

/// Lists both sides, pairs them and prints the result.
pub(super) async fn run(plan: &Plan) -> Result<u8> {
    let What::All {
        left,
        right,
        filter,
    } = &plan.what
    else {
        return Err(Error::Usage("--all takes no sides".into()));
    };
    let (l, r) = futures::join!(
        read(left, filter, plan.only),
        read(right, filter, plan.only)
    );
    let pairs = pair(l?, r?);
    let (ln, rn) = (&left.label, &right.label);
    super::super::markdown::print(&render(&pairs, plan, ln, rn))?;
    let trouble = pairs
        .iter()
        .any(|p| matches!(p.status, Status::Unreadable(..)));
    let differ = pairs.iter().any(|p| p.status != Status::Same);
    Ok(if trouble {
        TROUBLE
    } else if differ {
        DIFFERENT
    } else {
        SAME
    })
}

/// One side's pools; an error names the side.
async fn read(
    side: &Listing,
    filter: &NameFilter,
    only: Option<&str>,
) -> Result<BTreeMap<String, Pool>> {
    list(&side.client, filter, only)
        .await
        .map_err(|e| side.error(e))
}

/// Every pool the listing returns whose name passes `filter`, narrowed to `only`.
async fn list(
    client: &Client,
    filter: &NameFilter,
    only: Option<&str>,
) -> Result<BTreeMap<String, Pool>> {
    let mut paging = Paging::default();
    let mut pools = BTreeMap::new();
    while !paging.done {
        let (page, _) = client.filter_pools(&[], paging.offset, PAGE_SIZE).await?;
        paging.advance(page.iter().map(Listed::name), PAGE_SIZE);
        for listed in page.into_iter().filter(|l| filter.matches(l.name())) {
            let (name, pool) = match listed {
                Listed::Pool(p) => (p.name, Ok((p.pool_type, narrow(p.base_job_template, only)))),
                Listed::Unreadable { name, error } => (name, Err(error.to_string())),
            };
            pools.insert(name, pool);
        }
    }
    Ok(pools)
}

fn render(pairs: &[Pair], plan: &Plan, ln: &str, rn: &str) -> String {
    let count = |f: fn(&Status) -> bool| pairs.iter().filter(|p| f(&p.status)).count();
    let summary = format!(
        "{} pool{}: {} same, {} differ, {} only in {ln}, {} only in {rn}{}",
        pairs.len(),
        plural(pairs.len()),
        count(|s| *s == Status::Same),
        count(|s| matches!(s, Status::Differs(_))),
        count(|s| *s == Status::OnlyLeft),
        count(|s| *s == Status::OnlyRight),
        match count(|s| matches!(s, Status::Unreadable(..))) {
            0 => String::new(),
            n => format!(", {n} unreadable"),
        }
    );
    let side_name = |which: &str| if which == "left" { ln } else { rn };
    match plan.format {
        Format::Text | Format::JsonPatch => {
            let mut out = String::new();
            for p in pairs {
                let name = escape(&p.name);
                match &p.status {
                    Status::Same => continue,
                    Status::Differs(patch) => {
                        let n = patch.as_array().map_or(0, Vec::len);
                        out += &format!("differs: {name} ({n} change{}{})\n", plural(n), types(p));
                    }
                    Status::OnlyLeft => out += &format!("only in {ln}: {name}\n"),
                    Status::OnlyRight => out += &format!("only in {rn}: {name}\n"),
                    Status::Unreadable(which, e) => {
                        out += &format!(
                            "unreadable in {}: {name}: {}\n",
                            side_name(which),
                            escape(e)
                        );
                    }
                }
            }
            out + &summary + "\n"
        }
        Format::Json => {
            let mut out = String::new();
            for p in pairs {
                let (status, patch, error) = match &p.status {
                    Status::Same => ("same", json!([]), None),
                    Status::Differs(patch) => ("differs", patch.clone(), None),
                    Status::OnlyLeft => ("only_left", Value::Null, None),
                    Status::OnlyRight => ("only_right", Value::Null, None),
                    Status::Unreadable(which, e) => (
                        "unreadable",
                        Value::Null,
                        Some(format!("{which} side: {e}")),
                    ),
                };
                out += &format!(
                    "{}\n",
                    json!({"pool": p.name, "status": status, "left_type": p.types.0,
                           "right_type": p.types.1, "patch": patch, "error": error})
                );
            }
            out + &format!(
                "{}\n",
                json!({"summary": {"left": ln, "right": rn, "text": summary}})
            )
        }
        Format::Markdown => markdown::render(&Document {
            title: format!("poolsync diff: {ln} vs {rn}"),
            summary,
            entries: pairs.iter().map(|p| entry(p, ln, rn)).collect(),
            whole_report: "rerun with --output json for every pair's patch".into(),
            ..Document::default()
        }),
    }
}

fn entry(p: &Pair, ln: &str, rn: &str) -> Entry {
    let (outcome, attention) = match &p.status {
        Status::Same => ("same".to_string(), false),
        Status::Differs(_) => ("differs".to_string(), false),
        Status::OnlyLeft => (format!("only in {ln}"), true),
        Status::OnlyRight => (format!("only in {rn}"), true),
        Status::Unreadable(which, _) => (format!("unreadable ({which})"), true),
    };
    let diff = match (&p.status, &p.templates) {
        (Status::Differs(_), Some((l, r))) => diff::unified(
            l,
            r,
            &format!("{} ({ln})", p.name),
            &format!("{} ({rn})", p.name),
            false,
        ),
        _ => String::new(),
    };
    Entry {
        pool: p.name.clone(),
        pool_type: types(p).trim_start_matches(", ").to_string(),
        outcome,
        attention,
        changes: match &p.status {
            Status::Differs(patch) => patch.as_array().map(Vec::len),
            Status::Same => Some(0),
            _ => None,
        },
        diff,
        notes: match &p.status {
            Status::Unreadable(_, e) => markdown::Notes::of("Error", vec![e.clone()])
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        ..Entry::default()
    }
}

/// `, kubernetes vs docker` when the types differ; `, kubernetes` when one is known.
fn types(p: &Pair) -> String {
    match &p.types {
        (Some(l), Some(r)) if l != r => format!(", {l} vs {r}"),
        (Some(t), _) | (_, Some(t)) => format!(", {t}"),
        (None, None) => String::new(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn pool(t: &str, v: Value) -> Pool {
        Ok((t.into(), v))
    }

    #[test]
    fn pools_pair_by_name_and_one_sided_ones_are_listed() {
        let left = BTreeMap::from([
            ("a".to_string(), pool("process", json!({"x": 1, "y": 2}))),
            ("b".to_string(), pool("process", json!({"x": 1}))),
            ("only-left".to_string(), pool("process", json!({}))),
            ("bad".to_string(), Err("too deep".to_string())),
        ]);
        let right = BTreeMap::from([
            ("a".to_string(), pool("process", json!({"y": 2, "x": 1}))),
            ("b".to_string(), pool("docker", json!({"x": 2}))),
            ("only-right".to_string(), pool("ecs", json!({}))),
            ("bad".to_string(), pool("process", json!({}))),
        ]);
        let got: Vec<(String, Status)> = pair(left, right)
            .into_iter()
            .map(|p| (p.name, p.status))
            .collect();
        let patch = json!([{"op": "replace", "path": "/x", "value": 2}]);
        assert_eq!(
            got,
            vec![
                ("a".into(), Status::Same),
                ("b".into(), Status::Differs(patch)),
                ("bad".into(), Status::Unreadable("left", "too deep".into())),
                ("only-left".into(), Status::OnlyLeft),
                ("only-right".into(), Status::OnlyRight),
            ]
        );
    }
}
