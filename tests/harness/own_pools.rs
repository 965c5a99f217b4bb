//! Pools of a type of the test's own on the real server: `--all --type` lists none of any
//! other test's pools. The type has no default on the server, so the process default is
//! merged in from a `--template` file.

use super::live::{create_pool, default_template, delete_pool, unique};
use super::{Output, Run};
use serde_json::{Value, json};

/// `count` pools named `{kind}-000` on, each with an empty template, and what an update
/// should leave in each.
pub(crate) struct OwnPools {
    /// The pool type, unique to this run.
    pub kind: String,
    pub names: Vec<String>,
    /// The template an update writes (the process default).
    pub want: Value,
    /// Holds the `--template` file and the backups.
    pub dir: tempfile::TempDir,
}

impl OwnPools {
    /// Creates the pools, of a type named after `prefix`.
    pub(crate) fn create(prefix: &str, count: usize) -> OwnPools {
        let kind = unique(prefix);
        let names: Vec<String> = (0..count).map(|i| format!("{kind}-{i:03}")).collect();
        for name in &names {
            create_pool(name, &kind, &json!({}));
        }
        let want = default_template("process");
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("default.json"), want.to_string()).expect("template");
        OwnPools {
            kind,
            names,
            want,
            dir,
        }
    }

    /// `update --all --type KIND --output json` through `url` (a proxy in front of the real
    /// server), with the default from the template file and the backups in `dir`.
    pub(crate) fn update_all(&self, url: &str) -> Output {
        let path = |name: &str| self.dir.path().join(name).to_string_lossy().into_owned();
        Run::new(["update", "--all", "--type", &self.kind, "--output", "json"])
            .args(["--template", &path("default.json")])
            .args(["--backup-dir", &path("backups")])
            .args(["--api-url", url])
            .server_home()
            .run()
    }

    /// Deletes the pools, and `more` the test made of this type.
    pub(crate) fn delete(&self, more: &[String]) {
        self.names
            .iter()
            .chain(more)
            .for_each(|name| delete_pool(name));
    }
}
