//! The Markdown checked by rendering it with a real CommonMark + GFM renderer
//! (pulldown-cmark, tables on) and reading the HTML: independent of the code that wrote it.

use super::*;
use pretty_assertions::assert_eq;

/// The HTML GitHub-flavoured Markdown renders to (tables and strikethrough on).
fn to_html(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, options));
    out
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn entry(pool: &str, diff: &str) -> Entry {
    Entry {
        pool: pool.into(),
        pool_type: "kubernetes".into(),
        outcome: "would change".into(),
        attention: false,
        base: "kubernetes default of prefect 3.1.0-3.4.2, inferred, 90% of its values match".into(),
        changes: Some(2),
        warnings: 1,
        deployments_broken: None,
        diff: diff.into(),
        notes: vec![Notes {
            heading: "Upstream".into(),
            lines: vec!["/variables/properties/image/default: upstream update".into()],
        }],
    }
}

const DIFF: &str =
    "--- a (current)\n+++ a (merged)\n@@ -1,3 +1,3 @@\n {\n-  \"a\": 1\n+  \"a\": 2\n }\n";

fn doc(entries: Vec<Entry>) -> Document {
    Document {
        title: "poolsync update (dry run)".into(),
        summary: "3 pools: 2 would change, 1 up to date".into(),
        deployments_checked: false,
        entries,
        whole_report: "rerun with --output json for the whole report".into(),
    }
}

#[test]
fn a_table_row_per_pool_and_a_details_section_with_a_diff_block_per_change() {
    let up_to_date = Entry {
        outcome: "up to date".into(),
        changes: Some(0),
        diff: String::new(),
        notes: vec![],
        ..entry("c", "")
    };
    let markdown = render(&doc(vec![
        entry("a", DIFF),
        entry("b|`x`", DIFF),
        up_to_date,
    ]));
    let html = to_html(&markdown);
    assert_eq!(count(&html, "<table>"), 1, "{html}");
    assert_eq!(count(&html, "<tr>"), 4, "a header and 3 rows: {html}");
    // The pipe and backticks of the name stay in their cell: 6 cells in every row.
    assert_eq!(count(&html, "<td"), 18, "{html}");
    assert!(html.contains("<td>b|`x`</td>"), "{html}");
    assert_eq!(count(&html, "<details>"), 2, "{html}");
    assert_eq!(count(&html, "</details>"), 2, "{html}");
    assert_eq!(
        count(&html, "<pre><code class=\"language-diff\">"),
        2,
        "{html}"
    );
    assert!(
        html.contains("<summary><code>b&#124;&#96;x&#96;</code>"),
        "{html}"
    );
    assert!(html.contains("+  \"a\": 2"), "{html}");
    assert!(
        html.contains("<li>/variables/properties/image/default: upstream update</li>"),
        "{html}"
    );
}

#[test]
fn the_deployments_column_shows_only_when_checked() {
    let mut checked = doc(vec![Entry {
        deployments_broken: Some(2),
        ..entry("a", DIFF)
    }]);
    assert!(!render(&checked).contains("deployments broken"));
    checked.deployments_checked = true;
    let html = to_html(&render(&checked));
    assert!(
        html.contains("<th style=\"text-align: right\">deployments broken</th>"),
        "{html}"
    );
    assert!(
        html.contains("<td style=\"text-align: right\">2</td>"),
        "{html}"
    );
}

#[test]
fn backticks_in_the_diff_get_a_longer_fence() {
    let diff = "--- a\n+++ b\n@@ -1 +1 @@\n-  \"cmd\": \"```\"\n+  \"cmd\": \"````\"\n";
    let markdown = render(&doc(vec![entry("a", diff)]));
    assert!(markdown.contains("`````diff\n"), "{markdown}");
    let html = to_html(&markdown);
    assert!(
        html.contains("+  \"cmd\": \"````\"\n</code></pre>"),
        "{html}"
    );
}

#[test]
fn a_long_report_is_capped_and_says_what_was_cut() {
    let big: String = (0..400)
        .map(|i| format!("+  \"line{i}\": {i},\n"))
        .collect();
    let diff = format!("--- a\n+++ b\n@@ -1,400 +1,400 @@\n{big}");
    let entries = (0..40)
        .map(|i| entry(&format!("pool-{i:02}"), &diff))
        .collect();
    let markdown = render_within(&doc(entries), 20_000);
    assert!(markdown.len() <= 20_000, "{} bytes", markdown.len());
    assert!(
        markdown.contains("the diff of pool-01 is cut after"),
        "the first section that does not fit is cut: {markdown}"
    );
    assert!(markdown.contains("(20000 characters)"), "{markdown}");
    assert!(markdown.contains("pool sections not shown"), "{markdown}");
    assert!(markdown.contains("rerun with --output json"), "{markdown}");
    let html = to_html(&markdown);
    assert_eq!(count(&html, "<tr>"), 41, "every row fits");
    assert_eq!(count(&html, "<details>"), count(&html, "</details>"));
    assert!(html.contains("<em>The diff is cut after"), "{html}");
}

#[test]
fn table_rows_are_cut_last_to_first_when_even_they_do_not_fit() {
    let entries = (0..500)
        .map(|i| entry(&format!("pool-{i:03}"), ""))
        .collect();
    let markdown = render_within(&doc(entries), 10_000);
    assert!(markdown.len() <= 10_000, "{} bytes", markdown.len());
    assert!(markdown.contains("table rows not shown"), "{markdown}");
    assert!(markdown.contains("| pool-000 |"), "{markdown}");
    assert!(!markdown.contains("| pool-499 |"), "{markdown}");
}

#[test]
fn pools_needing_attention_come_first() {
    let failed = Entry {
        outcome: "failed".into(),
        attention: true,
        ..entry("z", "")
    };
    let markdown = render(&doc(vec![entry("a", DIFF), failed]));
    let (z, a) = (markdown.find("| z |"), markdown.find("| a |"));
    assert!(z < a, "{markdown}");
}
