//! Pure: which base a merge uses, from `--base` ([`BaseArg`]) and what was found; the
//! answer is a [`Base`] (the template and its [`Origin`]).
//!
//! The vocabulary of the merge base is these three names and no other: the flag value
//! [`BaseArg`] (with its FILE as a path, or read: [`BaseFile`]), the [`Base`] decided for a
//! pool, and that base's [`Origin`].

use super::{Base, History, Origin, infer};
use serde_json::Value;
use std::path::PathBuf;

/// `--base`: where the base of a three-way merge comes from. `F` is its FILE: the path as
/// typed (the flag value), or a [`BaseFile`] once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseArg<F = PathBuf> {
    /// The newest backup of the same pool, else the released default inferred from history.
    Auto,
    /// Only the newest backup of the same pool.
    Backup,
    /// No base: a two-way merge (`--base none`, `--no-base`).
    None,
    /// A template file (`./auto` for a file named `auto`).
    File(F),
}

/// A `--base FILE` read: where it was read and its template.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseFile {
    /// Where it was read.
    pub path: PathBuf,
    /// Its template.
    pub template: Value,
}

impl<F> BaseArg<F> {
    /// Whether a backup must be looked up for this flag.
    pub fn wants_backup(&self) -> bool {
        matches!(self, BaseArg::Auto | BaseArg::Backup)
    }

    /// The same flag with its FILE turned into `G` by `read` (the others are kept).
    pub fn read<G, E>(&self, read: impl FnOnce(&F) -> Result<G, E>) -> Result<BaseArg<G>, E> {
        Ok(match self {
            BaseArg::Auto => BaseArg::Auto,
            BaseArg::Backup => BaseArg::Backup,
            BaseArg::None => BaseArg::None,
            BaseArg::File(file) => BaseArg::File(read(file)?),
        })
    }
}

impl std::str::FromStr for BaseArg {
    type Err = std::convert::Infallible;

    /// `auto`, `backup`, `none`, or any other text as a file path.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => BaseArg::Auto,
            "backup" => BaseArg::Backup,
            "none" => BaseArg::None,
            path => BaseArg::File(PathBuf::from(path)),
        })
    }
}

/// The base for a pool of `pool_type` holding `current`, to be merged with `default`, given
/// `backup` (the path and the default recorded in the newest backup of this same pool, if any).
pub fn choose(
    arg: &BaseArg<BaseFile>,
    backup: Option<(PathBuf, Value)>,
    history: &History,
    pool_type: &str,
    current: &Value,
    default: &Value,
) -> Base {
    let from_backup = |(path, template)| Base {
        template: Some(template),
        origin: Origin::Backup(path),
    };
    match arg {
        BaseArg::None => Base::none("--base none"),
        BaseArg::File(BaseFile { path, template }) => Base {
            template: Some(template.clone()),
            origin: Origin::File(path.clone()),
        },
        BaseArg::Backup => backup.map(from_backup).unwrap_or_else(|| {
            Base::none("--base backup and no backup of this pool records a default")
        }),
        BaseArg::Auto => backup
            .map(from_backup)
            .unwrap_or_else(|| infer(history, pool_type, current, default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Released;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn history() -> History {
        let template = json!({"variables": {"a": 1, "b": 2}});
        let released = Released::new("prefect", vec!["1.0.0".into()], template);
        History::new("test", BTreeMap::from([("t".to_string(), vec![released])]))
    }

    #[test]
    fn auto_prefers_the_backup_then_infers() {
        let current = json!({"variables": {"a": 1, "b": 2}});
        let backup = Some(("/b.json".into(), json!({"x": 1})));
        let with = choose(&BaseArg::Auto, backup, &history(), "t", &current, &current);
        assert_eq!(with.origin, Origin::Backup("/b.json".into()));
        assert_eq!(with.template, Some(json!({"x": 1})));
        let without = choose(&BaseArg::Auto, None, &history(), "t", &current, &current);
        assert!(matches!(without.origin, Origin::History { .. }));
        assert_eq!(without.template, Some(current));
    }

    #[test]
    fn backup_without_one_and_off_merge_two_way() {
        let current = json!({"variables": {"a": 1, "b": 2}});
        for arg in [BaseArg::Backup, BaseArg::None] {
            let choice = choose(&arg, None, &history(), "t", &current, &current);
            assert_eq!(choice.template, None, "{arg:?}");
            assert!(matches!(choice.origin, Origin::None(_)));
        }
    }

    #[test]
    fn the_flag_parses_its_words_and_reads_any_other_text_as_a_file() {
        let parsed: Vec<BaseArg> = ["auto", "backup", "none", "auto.json"]
            .iter()
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|e: std::convert::Infallible| match e {})
            })
            .collect();
        let file = BaseArg::File(PathBuf::from("auto.json"));
        let want = [BaseArg::Auto, BaseArg::Backup, BaseArg::None, file.clone()];
        assert_eq!(parsed, want);
        assert!(BaseArg::<PathBuf>::Auto.wants_backup());
        assert!(!file.wants_backup());
        let read = file.read(|path| Ok::<_, ()>(path.display().to_string()));
        assert_eq!(read, Ok(BaseArg::File("auto.json".to_string())));
    }

    #[test]
    fn a_file_wins_over_a_backup() {
        let arg = BaseArg::File(BaseFile {
            path: "/f.json".into(),
            template: json!({"f": 1}),
        });
        let backup = Some(("/b.json".into(), json!({"x": 1})));
        let choice = choose(&arg, backup, &history(), "t", &json!({}), &json!({}));
        assert_eq!(choice.origin, Origin::File("/f.json".into()));
        assert_eq!(choice.template, Some(json!({"f": 1})));
    }
}
