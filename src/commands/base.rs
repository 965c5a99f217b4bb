//! A pool's merge base as `update` and `explain` ask for it: `--base` compiled (a FILE read
//! once), and the base the newest backup of this very pool records.

use crate::api::WorkPool;
use crate::backup;
use crate::cli::BaseArg;
use crate::error::Result;
use crate::input;
use serde_json::Value;
use std::path::PathBuf;

/// The base of a three-way merge (the default the pool was last synced from): `--base`.
pub(super) use poolsync_engine::history::Source as Base;

/// `--base` (and `--no-base`) as a [`Base`], reading a FILE.
pub(super) fn base_source(base: Option<&BaseArg>, no_base: bool) -> Result<Base> {
    Ok(match (base, no_base) {
        (_, true) | (Some(BaseArg::None), _) => Base::Off,
        (None | Some(BaseArg::Auto), false) => Base::Auto,
        (Some(BaseArg::Backup), false) => Base::Backup,
        (Some(BaseArg::File(path)), false) => Base::File {
            path: path.clone(),
            template: input::read_template(path)?,
        },
    })
}

/// The base recorded for `pool` in `dir` (see [`backup::recorded_base`]: the newest write of
/// this very pool id that landed), with the backup it came from.
/// A backup only counts if it is of this very pool: a pool deleted and created again under
/// the same name has a new id, and its old backups say nothing about it.
pub(super) fn backup_base(
    dir: &std::path::Path,
    api_url: &str,
    pool: &WorkPool,
) -> Result<Option<(PathBuf, Value)>> {
    let id = pool.rest.get("id").and_then(Value::as_str);
    backup::recorded_base(dir, api_url, &pool.name, id, &pool.base_job_template)
}
