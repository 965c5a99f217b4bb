//! `poolsync explain`: what was customised in a pool's template, as a diff from its base
//! (the default recorded in its newest backup, else the released default it was inferred to
//! come from). Writes nothing; with `--file FILE --type T` it works offline.

use super::base::{backup_base, read_base_arg};
use super::connect;
use crate::api::WorkPool;
use crate::cli::{BaseArg, ConnectionArgs, ExplainArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::input;
use poolsync_engine::diff;
use poolsync_engine::history::{self, Base};
use serde_json::Value;

/// Prints the base line and the diff from the base to the template.
pub(super) async fn run(
    connection: &ConnectionArgs,
    args: &ExplainArgs,
    color: bool,
) -> Result<u8> {
    if args.base == Some(BaseArg::None) {
        return Err(Error::Usage(
            "explain needs a base; pass --base auto, backup or FILE".into(),
        ));
    }
    let arg = read_base_arg(args.base.as_ref(), false)?;
    let (subject, pool_type, current, backup) = match (&args.file, &args.target.pool) {
        (Some(file), _) => {
            let pool_type = args.pool_type.clone().unwrap_or_default();
            (
                file.display().to_string(),
                pool_type,
                input::read_template(file)?,
                None,
            )
        }
        (None, Some(name)) => {
            let client = connect::client(connection)?;
            let pool: WorkPool = client.read_pool(name).await?;
            let dir = args
                .backups
                .backup_dir
                .clone()
                .or_else(crate::backup::default_dir);
            let backup = match dir {
                Some(dir) if arg.wants_backup() => backup_base(&dir, client.base_url(), &pool)?,
                _ => None,
            };
            let label = format!("work pool {:?}", pool.name);
            (label, pool.pool_type, pool.base_job_template, backup)
        }
        (None, None) => return Err(Error::Usage("give a POOL or --file FILE --type T".into())),
    };
    let history = crate::input::history(args.history.history_file.as_deref())?;
    // What was customised: values equal to any plausible origin's count as untouched.
    let base = history::choose(&arg, backup, history, &pool_type, &current, &current);
    match args.output {
        ReportFormat::Text => print!("{}", explain(&subject, &base, &current, color)?),
        ReportFormat::Markdown => {
            let name = args.target.pool.as_deref().unwrap_or(&subject);
            super::markdown::print(&super::markdown::explained(
                name, &pool_type, &base, &current,
            )?)?;
        }
    }
    Ok(crate::exit::SUCCESS)
}

/// The text `explain` prints: the base line, then the unified diff from it to `current`.
pub(super) fn explain(subject: &str, base: &Base, current: &Value, color: bool) -> Result<String> {
    let Some(template) = &base.template else {
        return Err(Error::NoBase {
            subject: subject.to_string(),
            reason: base.origin.to_string(),
        });
    };
    let mut out = format!("base: {}\n", base.origin);
    let text = diff::unified(
        template,
        current,
        "base",
        &format!("{subject} (current)"),
        color,
    );
    if text.is_empty() {
        out += &format!("{subject}: no changes against the base\n");
    } else {
        out += &text;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use poolsync_engine::history::Origin;
    use serde_json::json;

    #[test]
    fn the_diff_shows_only_what_changed_against_the_base() {
        let base = Base {
            template: Some(json!({"variables": {"image": "a", "cpu": 1}})),
            origin: Origin::File("b.json".into()),
        };
        let current = json!({"variables": {"image": "mine", "cpu": 1}});
        let text = explain("pool", &base, &current, false).expect("a base");
        assert!(
            text.starts_with("base: the file b.json (--base)\n"),
            "{text}"
        );
        assert!(text.contains("-    \"image\": \"a\""), "{text}");
        assert!(text.contains("+    \"image\": \"mine\""), "{text}");
        assert!(!text.contains("-    \"cpu\""), "{text}");
    }

    #[test]
    fn no_base_is_an_error_that_says_why() {
        let err = explain("pool", &Base::none("too far"), &json!({}), false).expect_err("no base");
        assert!(err.to_string().contains("too far"), "{err}");
    }

    #[test]
    fn an_unchanged_template_says_so() {
        let base = Base {
            template: Some(json!({"a": 1})),
            origin: Origin::File("b.json".into()),
        };
        let text = explain("pool", &base, &json!({"a": 1}), false).expect("a base");
        assert!(
            text.ends_with("pool: no changes against the base\n"),
            "{text}"
        );
    }
}
