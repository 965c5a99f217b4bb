//! Where a three-way merge's base came from, as reported in text, JSON and explain.

use serde_json::{Value, json};
use std::fmt;
use std::path::PathBuf;

/// Where a [`Base`] came from, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `--base FILE`.
    File(PathBuf),
    /// The default recorded in this backup of the same pool.
    Backup(PathBuf),
    /// A released default inferred from the pool's template.
    History {
        /// The pool type.
        pool_type: String,
        /// The package that shipped it, `prefect` or a worker package.
        package: String,
        /// The releases that shipped it, e.g. `2.19.0-2.20.27`.
        releases: String,
        /// How many releases shipped it.
        count: usize,
        /// The candidate's leaves the pool's template agrees with.
        matched: usize,
        /// The candidate's leaves.
        leaves: usize,
        /// The other plausible origins (nearly as good), whose evidence decided each value
        /// too, best first.
        plausible: Vec<String>,
    },
    /// No base: the merge is two-way, for this reason.
    None(String),
}

impl Origin {
    /// The share of the candidate's leaves the template agrees with (1.0 for a file or
    /// backup, 0.0 for none).
    pub(crate) fn score(&self) -> f64 {
        match self {
            Origin::History {
                matched, leaves, ..
            } => ratio(*matched, *leaves),
            Origin::File(_) | Origin::Backup(_) => 1.0,
            Origin::None(_) => 0.0,
        }
    }

    /// The JSON form: `source`, its details, and `description` (the text form).
    pub fn to_json(&self) -> Value {
        let mut out = match self {
            Origin::File(path) => json!({"source": "file", "path": path}),
            Origin::Backup(path) => json!({"source": "backup", "path": path}),
            Origin::History {
                pool_type,
                package,
                releases,
                count,
                matched,
                leaves,
                plausible,
            } => json!({
                "source": "history",
                "pool_type": pool_type,
                "package": package,
                "releases": releases,
                "release_count": count,
                "matched": matched,
                "leaves": leaves,
                "score": self.score(),
                "plausible": plausible,
            }),
            Origin::None(reason) => json!({"source": "none", "reason": reason}),
        };
        out["description"] = json!(self.to_string());
        out
    }
}

/// `matched / leaves`, 0 for no leaves.
pub(crate) fn ratio(matched: usize, leaves: usize) -> f64 {
    if leaves == 0 {
        0.0
    } else {
        matched as f64 / leaves as f64
    }
}

/// A percentage rounded down, so only a full match shows 100%.
pub(crate) fn percent(score: f64) -> u32 {
    (score * 100.0).floor() as u32
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "the file {} (--base)", path.display()),
            Origin::Backup(path) => {
                write!(f, "the default recorded in the backup {}", path.display())
            }
            Origin::History {
                pool_type,
                package,
                releases,
                plausible,
                ..
            } => {
                write!(
                    f,
                    "{pool_type} default of {package} {releases}, inferred, {}% of its values match",
                    percent(self.score())
                )?;
                match plausible.as_slice() {
                    [] => Ok(()),
                    [one] => write!(
                        f,
                        "; also plausible: {one}, values equal to either count as untouched"
                    ),
                    more => write!(
                        f,
                        "; also plausible: {}, values equal to any count as untouched",
                        more.join(", ")
                    ),
                }
            }
            Origin::None(reason) => write!(f, "none, merging two-way: {reason}"),
        }
    }
}

/// The base chosen for one pool: the template (none for a two-way merge) and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Base {
    /// The base template, if any.
    pub template: Option<Value>,
    /// Where it came from, or why there is none.
    pub origin: Origin,
}

impl Base {
    /// No base, for `reason`.
    pub fn none(reason: impl Into<String>) -> Base {
        Base {
            template: None,
            origin: Origin::None(reason.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_origin_reads_like_the_issue_example() {
        let origin = Origin::History {
            pool_type: "kubernetes".into(),
            package: "prefect".into(),
            releases: "2.19.0-2.20.27".into(),
            count: 40,
            matched: 94,
            leaves: 100,
            plausible: Vec::new(),
        };
        assert_eq!(
            origin.to_string(),
            "kubernetes default of prefect 2.19.0-2.20.27, inferred, 94% of its values match"
        );
        let json = origin.to_json();
        assert_eq!(json["source"], "history");
        assert_eq!(json["score"], 0.94);
        assert_eq!(json["description"], origin.to_string());
    }

    #[test]
    fn percent_rounds_down_so_only_a_full_match_is_100() {
        assert_eq!(percent(ratio(999, 1000)), 99);
        assert_eq!(percent(ratio(5, 5)), 100);
        assert_eq!(percent(ratio(0, 0)), 0);
    }

    #[test]
    fn none_and_backup_say_what_they_are() {
        assert_eq!(
            Origin::None("no backup".into()).to_string(),
            "none, merging two-way: no backup"
        );
        let backup = Origin::Backup("/b/x.json".into());
        assert_eq!(backup.to_json()["path"], "/b/x.json");
        assert!(backup.to_string().contains("/b/x.json"));
    }
}
