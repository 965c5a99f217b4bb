//! `poolsync completions SHELL`: the shell completion script, from clap's description.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;
use crate::exit;

/// Prints the completion script for the shell asked for.
pub(super) fn run(args: &CompletionsArgs) -> Result<u8> {
    let mut command = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(args.shell, &mut command, "poolsync", &mut std::io::stdout());
    Ok(exit::SUCCESS)
}
