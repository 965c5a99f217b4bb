//! `--output markdown` on the real server: the report of a dry run over three pools (one
//! that would change, one up to date, one invalid) is golden-checked against
//! tests/fixtures/markdown/update-dry-run.md (pool names normalised; `POOLSYNC_BLESS=1`
//! rewrites it) and rendered with a CommonMark + GFM renderer to check what GitHub shows.

use crate::harness::Run;
use crate::harness::live::{create_pool, repo_root, send, unique};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/markdown").join(name)
}

fn template(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture json")
}

/// The HTML GitHub-flavoured Markdown renders to (tables on).
pub(crate) fn to_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    out
}

/// `text` against the golden file `name` (rewritten instead with `POOLSYNC_BLESS=1`).
#[track_caller]
fn golden(name: &str, text: &str) {
    let path = fixture(name);
    if std::env::var_os("POOLSYNC_BLESS").is_some() {
        std::fs::write(&path, text).expect("write the golden file");
    }
    let want = std::fs::read_to_string(&path).expect("the golden file");
    assert_eq!(text, want, "differs from {}", path.display());
}

/// One table, a row per pool (the invalid one first), a details section with a diff block
/// for the pool that would change and for the invalid one; names with `|` and backticks
/// stay in their cell.
#[test]
fn a_dry_run_report_is_golden_and_renders_as_a_table_with_sections() {
    let tag = unique("md");
    let (stale, fresh, broken) = (
        format!("{tag}-stale"),
        format!("{tag}-fresh"),
        format!("{tag}-broken|`x`"),
    );
    create_pool(&stale, "process", &template("stale.json"));
    create_pool(&fresh, "process", &template("default.json"));
    create_pool(&broken, "process", &template("stale.json"));
    // The server checks defaults against their schema on create only: a bad one on update.
    let url = format!("{}/work_pools/{broken}", crate::harness::live::api_url());
    let body = json!({"base_job_template": template("broken.json")});
    let (resp, _) = send("break a pool", |c| c.patch(&url).json(&body));
    assert!(resp.status().is_success(), "{}", resp.status());

    let default = fixture("default.json");
    let default = default.to_str().expect("utf-8 path");
    let out = Run::new([
        "update",
        &stale,
        &fresh,
        &broken,
        "--dry-run",
        "--output",
        "markdown",
        "--template",
        default,
        "--no-base",
    ])
    .live()
    .run()
    .exit(1);
    let requests = regex::Regex::new(r"; \d+ requests?").expect("regex");
    let normalised = requests
        .replace(&out.stdout.replace(&tag, "TAG"), "; N requests")
        .into_owned();
    golden("update-dry-run.md", &normalised);

    let html = to_html(&out.stdout);
    assert_eq!(html.matches("<table>").count(), 1, "{html}");
    assert_eq!(
        html.matches("<tr>").count(),
        4,
        "a header and 3 rows: {html}"
    );
    assert_eq!(html.matches("<td").count(), 18, "6 cells a row: {html}");
    assert!(
        html.contains(&format!("<td>{tag}-broken|`x`</td>")),
        "{html}"
    );
    assert_eq!(html.matches("<details>").count(), 2, "{html}");
    assert_eq!(
        html.matches("<pre><code class=\"language-diff\">").count(),
        2,
        "{html}"
    );
    assert!(
        html.contains("+        \"title\": \"Stream Output (`stdout` | log)\""),
        "{html}"
    );
}

/// One pool: the same report, with its one row and section; the exit code of text output.
#[test]
fn one_pool_gets_a_one_row_report() {
    let name = unique("md-one");
    create_pool(&name, "process", &template("stale.json"));
    let default = fixture("default.json");
    let default = default.to_str().expect("utf-8 path");
    let args = [
        "update",
        &name,
        "--dry-run",
        "--output",
        "markdown",
        "--template",
        default,
    ];
    let out = Run::new(args).live().run().exit(0);
    let html = to_html(&out.stdout);
    assert_eq!(html.matches("<tr>").count(), 2, "{html}");
    assert!(html.contains("<td>would change</td>"), "{html}");
    assert_eq!(html.matches("<details>").count(), 1, "{html}");
}

/// `validate --output markdown` over files: a row per file, the invalid one's problems in
/// its section, exit 1 after the whole report.
#[test]
fn validate_reports_every_file_in_markdown() {
    let good = fixture("default.json");
    let bad = fixture("broken.json");
    let out = Run::new(["validate", "--output", "markdown", "--file"])
        .arg(&good)
        .arg(&bad)
        .server_home()
        .run();
    out.code(1);
    let stdout = out.stdout.clone();
    let html = to_html(&stdout);
    assert_eq!(html.matches("<tr>").count(), 3, "{html}");
    assert_eq!(html.matches("<details>").count(), 1, "{html}");
    assert!(
        html.contains("<td>invalid</td>") && html.contains("<td>valid</td>"),
        "{html}"
    );
    assert!(
        html.contains("/variables/properties/command/default"),
        "{html}"
    );
}

/// `explain --output markdown` offline: one row with the base, the diff from it.
#[test]
fn explain_shows_the_customisations_in_markdown() {
    let out = Run::new([
        "explain", "--type", "process", "--output", "markdown", "--file",
    ])
    .arg(fixture("stale.json"))
    .arg("--base")
    .arg(fixture("default.json"))
    .server_home()
    .run();
    out.code(0);
    let stdout = out.stdout.clone();
    let html = to_html(&stdout);
    assert_eq!(html.matches("<tr>").count(), 2, "{html}");
    assert!(html.contains("<td>customised</td>"), "{html}");
    assert!(
        html.contains("+        &quot;default&quot;: &quot;python -m flows.main&quot;")
            || html.contains("+        \"default\": \"python -m flows.main\""),
        "{html}"
    );
}
