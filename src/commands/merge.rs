//! `poolsync merge`: the offline merge of two template files (and a base: a file, or one
//! inferred from the released history), printed as JSON; warnings and keys kept out go to
//! stderr.

use super::output::print_json;
use crate::cli::{BaseArg, MergeArgs};
use crate::error::{Error, Result};
use crate::input;
use poolsync_engine::merge;

/// Merges the files and prints the merged template.
pub(super) fn run(args: &MergeArgs) -> Result<u8> {
    if args.default.as_os_str() == "-" && args.current.as_os_str() == "-" {
        return Err(Error::Usage(
            "only one of --default and --current can read stdin (-)".into(),
        ));
    }
    let default = input::read_template(&args.default)?;
    let current = input::read_template(&args.current)?;
    let base = match (&args.base, &args.pool_type) {
        (None, _) => None,
        (Some(BaseArg::Auto), Some(pool_type)) => Some(poolsync_engine::history::infer(
            input::history(args.history.history_file.as_deref())?,
            pool_type,
            &current,
            &default,
        )),
        (Some(BaseArg::Auto), None) => {
            return Err(Error::Usage(
                "--base auto needs --type TYPE, the pool type whose released defaults to search"
                    .into(),
            ));
        }
        (Some(BaseArg::File(path)), _) => Some(poolsync_engine::history::Base {
            template: Some(input::read_template(path)?),
            origin: poolsync_engine::history::Origin::File(path.clone()),
        }),
        (Some(_), _) => {
            return Err(Error::Usage(
                "merge takes --base FILE or --base auto (backup and none need a pool); \
                 drop --base for a two-way merge"
                    .into(),
            ));
        }
    };
    if let Some(base) = &base {
        eprintln!("base: {}", base.origin);
    }
    let base = base.and_then(|b| b.template);
    let merged = merge::merge3(base.as_ref(), &default, &current, args.strategy.into());
    for warning in &merged.warnings {
        eprintln!("warning: {}: {}", warning.pointer, warning.message);
    }
    for kept in &merged.kept_out {
        eprintln!("kept out: {kept}");
    }
    if !merged.kept_out.is_empty() {
        eprintln!("kept out: {}", merge::HOW_TO_TAKE);
    }
    print_json(&merged.template)
}
