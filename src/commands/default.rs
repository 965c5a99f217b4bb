//! `poolsync default --type T`: the server's default base job template for a pool type; with
//! `--history` or `--release VERSION`, the released defaults poolsync knows (offline).

mod history;

use super::connect::client;
use super::output::print_json;
use crate::cli::{ConnectionArgs, DefaultArgs};
use crate::error::{Error, Result};

/// Prints the default of `--type`, from the server or from the released history.
pub(super) async fn run(connection: &ConnectionArgs, args: &DefaultArgs) -> Result<u8> {
    if args.history || args.release.is_some() {
        return history::run(args);
    }
    let client = client(connection)?;
    let defaults = client.defaults().await?;
    match defaults.find(&args.pool_type) {
        Some(template) => print_json(template),
        None => Err(Error::NoDefault {
            pool_type: args.pool_type.clone(),
            url: client.defaults_url(),
        }),
    }
}
