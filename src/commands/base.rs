//! A pool's merge base as `update` and `explain` ask for it: the [`BaseArg`] of `--base`
//! with its FILE read once, and the base the newest backup of this very pool records. The
//! engine turns these into the pool's [`Base`](poolsync_engine::history::Base).

use crate::api::WorkPool;
use crate::backup;
use crate::error::Result;
use crate::input;
use poolsync_engine::history::{BaseArg, BaseFile};
use serde_json::Value;
use std::path::PathBuf;

/// `--base` (`auto` when not given; `none` with `--no-base`), its FILE read.
pub(super) fn read_base_arg(arg: Option<&BaseArg>, no_base: bool) -> Result<BaseArg<BaseFile>> {
    match (arg, no_base) {
        (_, true) => Ok(BaseArg::None),
        (None, false) => Ok(BaseArg::Auto),
        (Some(arg), false) => arg.read(|path| {
            Ok(BaseFile {
                path: path.clone(),
                template: input::read_template(path)?,
            })
        }),
    }
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
