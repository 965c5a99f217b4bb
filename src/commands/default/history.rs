//! `poolsync default --type T --history` and `--release VERSION`: the released defaults
//! poolsync knows, offline.

use crate::cli::{DefaultArgs, OutputFormat};
use crate::error::{Error, Result};
use poolsync_engine::history::{self, History};
use serde_json::json;

/// Lists the known defaults of a type, or prints the one a release shipped.
pub(super) fn run(args: &DefaultArgs) -> Result<u8> {
    let history = history::embedded()?;
    let defaults = history.defaults(&args.pool_type);
    if defaults.is_empty() {
        return Err(Error::NoHistory {
            pool_type: args.pool_type.clone(),
            release: args.release.clone(),
            known: format!(
                "the types {}",
                history.types().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if let Some(release) = &args.release {
        let Some(found) = history.at(&args.pool_type, release) else {
            return Err(Error::NoHistory {
                pool_type: args.pool_type.clone(),
                release: Some(release.clone()),
                known: format!(
                    "its defaults of {}, and PACKAGE==VERSION for a worker package's",
                    ranges(history, &args.pool_type)
                ),
            });
        };
        return super::super::output::print_json(&found.template);
    }
    match args.output {
        OutputFormat::Text => {
            let releases = history.releases(&args.pool_type);
            println!(
                "{}: {} distinct released defaults, {} prefect releases ({})",
                args.pool_type,
                defaults.len(),
                releases.len(),
                history.source
            );
            let width = defaults.iter().map(|d| d.label().len()).max().unwrap_or(0);
            for d in defaults {
                let count = d.releases.len();
                println!(
                    "{:width$}  {count:>3} release{}  {:>2} variables",
                    d.label(),
                    if count == 1 { " " } else { "s" },
                    d.variables(),
                );
            }
            Ok(crate::exit::SUCCESS)
        }
        OutputFormat::Json => super::super::output::print_json(&json!({
            "type": args.pool_type,
            "source": history.source,
            "defaults": defaults.iter().map(|d| json!({
                "package": d.package,
                "releases": d.range(),
                "first": d.first(),
                "last": d.last(),
                "release_count": d.releases.len(),
                "release_list": d.releases,
                "variables": d.variables(),
                "template": d.template,
            })).collect::<Vec<_>>(),
        })),
        OutputFormat::JsonPatch | OutputFormat::Markdown => Err(Error::Usage(
            "--history prints text or json; use --output json".into(),
        )),
    }
}

fn ranges(history: &History, pool_type: &str) -> String {
    history
        .defaults(pool_type)
        .iter()
        .map(|d| d.label())
        .collect::<Vec<_>>()
        .join(", ")
}
