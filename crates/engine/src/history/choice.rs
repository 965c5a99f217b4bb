//! Pure: which base a merge uses, from `--base` and what was found.

use super::{BaseChoice, History, Origin, infer};
use serde_json::Value;
use std::path::PathBuf;

/// `--base`: where the base of a three-way merge comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The newest backup of the same pool, else the released default inferred from history.
    Auto,
    /// Only the newest backup of the same pool.
    Backup,
    /// No base: a two-way merge (`--base none`, `--no-base`).
    Off,
    /// This file.
    File {
        /// Where it was read.
        path: PathBuf,
        /// Its template.
        template: Value,
    },
}

impl Source {
    /// Whether a backup must be looked up for this source.
    pub fn wants_backup(&self) -> bool {
        matches!(self, Source::Auto | Source::Backup)
    }
}

/// The base for a pool of `pool_type` holding `current`, to be merged with `default`, given
/// `backup` (the path and the default recorded in the newest backup of this same pool, if any).
pub fn choose(
    source: &Source,
    backup: Option<(PathBuf, Value)>,
    history: &History,
    pool_type: &str,
    current: &Value,
    default: &Value,
) -> BaseChoice {
    let from_backup = |(path, template)| BaseChoice {
        template: Some(template),
        origin: Origin::Backup(path),
    };
    match source {
        Source::Off => BaseChoice::none("--base none"),
        Source::File { path, template } => BaseChoice {
            template: Some(template.clone()),
            origin: Origin::File(path.clone()),
        },
        Source::Backup => backup.map(from_backup).unwrap_or_else(|| {
            BaseChoice::none("--base backup and no backup of this pool records a default")
        }),
        Source::Auto => backup
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
        let released = Released {
            package: "prefect".into(),
            releases: vec!["1.0.0".into()],
            template: json!({"variables": {"a": 1, "b": 2}}),
        };
        History::new("test", BTreeMap::from([("t".to_string(), vec![released])]))
    }

    #[test]
    fn auto_prefers_the_backup_then_infers() {
        let current = json!({"variables": {"a": 1, "b": 2}});
        let backup = Some(("/b.json".into(), json!({"x": 1})));
        let with = choose(&Source::Auto, backup, &history(), "t", &current, &current);
        assert_eq!(with.origin, Origin::Backup("/b.json".into()));
        assert_eq!(with.template, Some(json!({"x": 1})));
        let without = choose(&Source::Auto, None, &history(), "t", &current, &current);
        assert!(matches!(without.origin, Origin::History { .. }));
        assert_eq!(without.template, Some(current));
    }

    #[test]
    fn backup_without_one_and_off_merge_two_way() {
        let current = json!({"variables": {"a": 1, "b": 2}});
        for source in [Source::Backup, Source::Off] {
            let choice = choose(&source, None, &history(), "t", &current, &current);
            assert_eq!(choice.template, None, "{source:?}");
            assert!(matches!(choice.origin, Origin::None(_)));
        }
    }

    #[test]
    fn a_file_wins_over_a_backup() {
        let source = Source::File {
            path: "/f.json".into(),
            template: json!({"f": 1}),
        };
        let backup = Some(("/b.json".into(), json!({"x": 1})));
        let choice = choose(&source, backup, &history(), "t", &json!({}), &json!({}));
        assert_eq!(choice.origin, Origin::File("/f.json".into()));
        assert_eq!(choice.template, Some(json!({"f": 1})));
    }
}
