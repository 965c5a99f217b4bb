//! Pure: the released default templates of every work-pool type, embedded in the binary.
//!
//! `data/default-history.json.gz` is built by `scripts/build-default-history` from the
//! `aggregate-worker-metadata.json` of every `prefect` wheel: each distinct default per type,
//! with the releases it shipped in. It is decoded once, on first use. [`infer`] picks the
//! released default that best explains a pool's template (the base of a first three-way run).

pub mod choice;
mod cohort;
mod evidence;
mod features;
pub mod file;
mod index;
mod infer;
mod origin;

use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;

pub use choice::{BaseArg, BaseFile, choose};
pub use infer::infer;
pub use origin::{Base, Origin};

/// The committed data file, gzip-compressed JSON.
const DATA: &[u8] = include_bytes!("../data/default-history.json.gz");

/// The only data format this build reads.
const FORMAT: u32 = 1;

/// The package whose releases' aggregate worker metadata is the main source.
const PREFECT: &str = "prefect";

fn prefect() -> String {
    PREFECT.to_string()
}

/// Every released default template poolsync knows, per work-pool type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct History {
    /// Data format version.
    format: u32,
    /// Where the data came from, e.g. `prefect wheels 2.14.13..3.9.1: ...`.
    pub source: String,
    /// Per pool type, its distinct defaults ordered by first release.
    types: BTreeMap<String, Defaults>,
}

/// One type's distinct defaults, and their [`index::Index`], worked out on first use (one
/// inference numbers them for every other pool of the type).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
struct Defaults {
    released: Vec<Released>,
    #[serde(skip)]
    index: Cached,
}

/// A type's [`index::Index`], worked out on first use; equal whatever it holds (it follows
/// from the defaults).
#[derive(Debug, Clone, Default)]
struct Cached(OnceLock<index::Index>);

impl PartialEq for Cached {
    fn eq(&self, _: &Cached) -> bool {
        true
    }
}

/// One distinct default template and the releases that shipped it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Released {
    /// The package that shipped it: `prefect` (its aggregate worker metadata), or a worker
    /// package (e.g. `prefect-kubernetes`) that builds a template of its own in code.
    #[serde(default = "prefect")]
    pub package: String,
    /// The releases of the package that shipped it, oldest first.
    pub releases: Vec<String>,
    /// The default base job template.
    pub template: Value,
}

impl Released {
    /// The default `template` that `releases` of `package` shipped.
    pub fn new(package: &str, releases: Vec<String>, template: Value) -> Released {
        Released {
            package: package.to_string(),
            releases,
            template,
        }
    }

    /// The oldest release that shipped it.
    pub fn first(&self) -> &str {
        self.releases.first().map_or("", String::as_str)
    }

    /// The newest release that shipped it.
    pub fn last(&self) -> &str {
        self.releases.last().map_or("", String::as_str)
    }

    /// `first-last`, or the one release, e.g. `2.19.0-2.20.27`.
    pub fn range(&self) -> String {
        if self.releases.len() > 1 {
            format!("{}-{}", self.first(), self.last())
        } else {
            self.first().to_string()
        }
    }

    /// The package and its releases, e.g. `prefect 2.19.0-2.20.27`, `prefect-aws 0.7.12`.
    pub fn label(&self) -> String {
        format!("{} {}", self.package, self.range())
    }

    /// Whether a `prefect` release shipped it (not a worker package).
    pub fn is_prefect(&self) -> bool {
        self.package == PREFECT
    }

    /// How many variables (`variables.properties`) it defines.
    pub fn variables(&self) -> usize {
        self.template
            .pointer("/variables/properties")
            .and_then(Value::as_object)
            .map_or(0, |p| p.len())
    }
}

impl History {
    /// A history from its parts (tests build small ones).
    pub fn new(source: &str, types: BTreeMap<String, Vec<Released>>) -> History {
        History {
            format: FORMAT,
            source: source.to_string(),
            types: types
                .into_iter()
                .map(|(name, released)| {
                    let index = Cached::default();
                    (name, Defaults { released, index })
                })
                .collect(),
        }
    }

    /// Decodes a gzip-compressed history file.
    pub(crate) fn decode(gz: &[u8]) -> Result<History> {
        let input = "poolsync's embedded default history";
        let fix = "rebuild it with scripts/build-default-history";
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut text)
            .map_err(|e| Error::Shape {
                input: input.into(),
                message: format!("is not gzip ({e}); {fix}"),
            })?;
        let history: History = serde_json::from_slice(&text).map_err(|source| Error::Json {
            input: input.into(),
            source,
        })?;
        if history.format != FORMAT {
            return Err(Error::Shape {
                input: input.into(),
                message: format!(
                    "has format {}, this build reads {FORMAT}; {fix}",
                    history.format
                ),
            });
        }
        Ok(history)
    }

    /// The pool types it knows, sorted.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// The distinct defaults of `pool_type`, ordered by first release; empty if unknown.
    pub fn defaults(&self, pool_type: &str) -> &[Released] {
        self.types
            .get(pool_type)
            .map_or(&[], |d| d.released.as_slice())
    }

    /// The [`index::Index`] of the defaults of `pool_type`, worked out on first use.
    fn index(&self, pool_type: &str) -> Option<&index::Index> {
        let defaults = self.types.get(pool_type)?;
        let released = || index::Index::new(defaults.released.iter().map(|d| &d.template));
        Some(defaults.index.0.get_or_init(released))
    }

    /// Every prefect release known to ship a default for `pool_type`, oldest first.
    pub fn releases(&self, pool_type: &str) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .defaults(pool_type)
            .iter()
            .filter(|d| d.is_prefect())
            .flat_map(|d| d.releases.iter().map(String::as_str))
            .collect();
        all.sort_by_key(|r| release_key(r));
        all
    }

    /// The default of `pool_type` that prefect `release` shipped, or that a worker package
    /// release shipped (`prefect-kubernetes==0.8.0`).
    pub fn at(&self, pool_type: &str, release: &str) -> Option<&Released> {
        let (package, release) = release.split_once("==").unwrap_or((PREFECT, release));
        self.defaults(pool_type)
            .iter()
            .filter(|d| d.package == package)
            .find(|d| d.releases.iter().any(|r| r == release))
    }
}

/// The embedded history, decoded on first use.
pub fn embedded() -> Result<&'static History> {
    static DECODED: OnceLock<std::result::Result<History, String>> = OnceLock::new();
    DECODED
        .get_or_init(|| History::decode(DATA).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| Error::Shape {
            input: "poolsync's embedded default history".into(),
            message: message.clone(),
        })
}

/// A release's numeric parts, for ordering (`2.20.27` after `2.9.0`).
pub(crate) fn release_key(release: &str) -> Vec<u64> {
    release
        .split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_history_decodes_with_the_main_types() {
        let history = embedded().expect("embedded history decodes");
        for pool_type in ["kubernetes", "docker", "ecs", "cloud-run-v2", "process"] {
            assert!(
                !history.defaults(pool_type).is_empty(),
                "no defaults for {pool_type}"
            );
        }
        assert!(history.source.contains("aggregate-worker-metadata.json"));
    }

    #[test]
    fn each_release_ships_one_default_per_type_and_defaults_are_distinct() {
        let history = embedded().expect("embedded history decodes");
        for pool_type in history.types() {
            let releases = history.releases(pool_type);
            let mut unique = releases.clone();
            unique.dedup();
            assert_eq!(releases, unique, "{pool_type}: a release listed twice");
            let defaults = history.defaults(pool_type);
            for (i, a) in defaults.iter().enumerate() {
                for b in &defaults[i + 1..] {
                    assert_ne!(a.template, b.template, "{pool_type}: duplicate template");
                }
            }
        }
    }

    #[test]
    fn range_names_first_and_last_release() {
        let one = Released::new(PREFECT, vec!["2.19.0".into()], Value::Null);
        let releases = vec!["2.19.0".into(), "2.19.1".into(), "2.20.27".into()];
        let many = Released::new(PREFECT, releases, Value::Null);
        assert_eq!(one.range(), "2.19.0");
        assert_eq!(many.range(), "2.19.0-2.20.27");
        assert_eq!(many.label(), "prefect 2.19.0-2.20.27");
    }

    #[test]
    fn releases_sort_numerically_and_at_finds_the_shipped_default() {
        let history = embedded().expect("embedded history decodes");
        let releases = history.releases("kubernetes");
        let at = |r: &str| releases.iter().position(|x| *x == r);
        assert!(at("2.20.27") > at("2.9.0").or(Some(0)));
        assert!(at("3.0.0") > at("2.20.27"));
        let shipped = history
            .at("kubernetes", "3.0.0")
            .expect("3.0.0 shipped one");
        assert!(shipped.releases.iter().any(|r| r == "3.0.0"));
        assert!(history.at("kubernetes", "0.0.1").is_none());
        let worker = history
            .defaults("kubernetes")
            .iter()
            .find(|d| !d.is_prefect())
            .expect("a prefect-kubernetes default");
        let asked = format!("{}=={}", worker.package, worker.first());
        assert_eq!(history.at("kubernetes", &asked), Some(worker));
        assert!(
            !releases.contains(&worker.first()),
            "worker versions are not prefect's"
        );
    }

    #[test]
    fn decode_rejects_what_is_not_gzip() {
        let err = History::decode(b"{}").expect_err("plain json is not gzip");
        assert!(err.to_string().contains("scripts/build-default-history"));
    }
}
