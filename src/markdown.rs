//! Pure: reports as GitHub-flavoured Markdown, for a pull-request comment or a CI summary.
//! A [`Document`] is a summary table (one row per pool) and, for each pool with something
//! to show, a collapsible `<details>` section with its diff in a `diff` code block and its
//! report lines. Untrusted text is escaped where it lands: Markdown punctuation in table
//! cells and list items (a `|` cannot split a cell, a backtick cannot open a code span),
//! HTML entities in the `<summary>` line, and code fences longer than any backtick run in
//! the diff. [`render`] caps the text at [`LIMIT`] bytes (GitHub comments take 65,536
//! characters, and a character is at least a byte), saying what was cut.

mod escape;

pub(crate) use escape::{html, inline};

/// The most bytes [`render`] returns: GitHub's limit on a comment body.
pub(crate) const LIMIT: usize = 65_536;

/// Bytes kept free for the note that says what was cut.
const NOTE_ROOM: usize = 600;

/// A diff cut to fit keeps at least this many bytes of it, else its section is left out.
const MIN_CUT_SECTION: usize = 1_000;

/// One report: a title, a counts line, one entry per pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Document {
    /// The heading, e.g. `poolsync update (dry run)`.
    pub title: String,
    /// One line under the heading, e.g. `3 pools: 1 would change, 2 up to date`.
    pub summary: String,
    /// Whether deployments were checked: adds the "deployments broken" column.
    pub deployments_checked: bool,
    /// One per pool (or file, or pair of pools).
    pub entries: Vec<Entry>,
    /// Where the whole report is when this one is cut, e.g. `rerun with --output json`.
    pub whole_report: String,
}

/// One pool's row and section.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Entry {
    /// The pool (or file) name.
    pub pool: String,
    /// Its work pool type; empty when unknown.
    pub pool_type: String,
    /// How it ended, as users read it (`would change`, `invalid`, ...).
    pub outcome: String,
    /// Whether it needs a reader's attention (failed, invalid, ...): listed first.
    pub attention: bool,
    /// Where the merge base came from; empty when there is none to show.
    pub base: String,
    /// How many changes (JSON Patch operations); `None` when not known.
    pub changes: Option<usize>,
    /// How many warnings.
    pub warnings: usize,
    /// Deployments whose overrides fail the checks; `None` when not checked.
    pub deployments_broken: Option<usize>,
    /// The unified diff, without colour; empty when there is none.
    pub diff: String,
    /// Report lines under headings (upstream, warnings, violations, error).
    pub notes: Vec<Notes>,
}

/// Report lines under one heading.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Notes {
    /// The heading, e.g. `Upstream`.
    pub heading: String,
    /// One list item each.
    pub lines: Vec<String>,
}

impl Notes {
    /// Lines under `heading`; `None` when there are none (nothing to show).
    pub(crate) fn of(heading: &str, lines: Vec<String>) -> Option<Notes> {
        (!lines.is_empty()).then(|| Notes {
            heading: heading.to_string(),
            lines,
        })
    }
}

impl Entry {
    /// Whether the entry gets a section: it has a diff or report lines.
    fn has_section(&self) -> bool {
        !self.diff.is_empty() || !self.notes.is_empty()
    }
}

/// The document as Markdown, at most [`LIMIT`] bytes.
pub(crate) fn render(doc: &Document) -> String {
    render_within(doc, LIMIT)
}

/// The document as Markdown, at most `limit` bytes (at least the heading and a note).
pub(crate) fn render_within(doc: &Document, limit: usize) -> String {
    let budget = limit.saturating_sub(NOTE_ROOM);
    let mut entries: Vec<&Entry> = doc.entries.iter().collect();
    entries.sort_by(|a, b| b.attention.cmp(&a.attention).then(a.pool.cmp(&b.pool)));

    let mut out = format!("## {}\n\n", inline(&doc.title));
    if !doc.summary.is_empty() {
        out += &format!("{}\n\n", inline(&doc.summary));
    }
    out += &header(doc.deployments_checked);
    let mut rows_cut = 0;
    for entry in &entries {
        let row = row(entry, doc.deployments_checked);
        if rows_cut > 0 || out.len() + row.len() > budget {
            rows_cut += 1;
        } else {
            out += &row;
        }
    }
    out.push('\n');

    let (mut sections_cut, mut diff_cut) = (0, None);
    for entry in entries.iter().filter(|e| e.has_section()) {
        let room = budget.saturating_sub(out.len());
        let whole = section(entry, None);
        if sections_cut == 0 && whole.len() <= room {
            out += &whole;
        } else if sections_cut == 0 && diff_cut.is_none() && room >= MIN_CUT_SECTION {
            let (cut, note) = section_within(entry, room);
            out += &cut;
            diff_cut = note;
            if diff_cut.is_none() {
                sections_cut += 1;
            }
        } else {
            sections_cut += 1;
        }
    }
    if rows_cut + sections_cut > 0 || diff_cut.is_some() {
        out += &cut_note(doc, limit, rows_cut, sections_cut, diff_cut.as_deref());
    }
    out
}

fn header(deployments: bool) -> String {
    let mut titles = vec!["pool", "type", "outcome", "base", "changes", "warnings"];
    let mut align = vec!["---", "---", "---", "---", "---:", "---:"];
    if deployments {
        titles.push("deployments broken");
        align.push("---:");
    }
    format!("| {} |\n| {} |\n", titles.join(" | "), align.join(" | "))
}

fn row(entry: &Entry, deployments: bool) -> String {
    let or_dash = |text: &str| match text {
        "" => "-".to_string(),
        text => inline(text),
    };
    let mut cells = vec![
        or_dash(&entry.pool),
        or_dash(&entry.pool_type),
        or_dash(&entry.outcome),
        or_dash(&entry.base),
        entry.changes.map_or("-".into(), |n| n.to_string()),
        entry.warnings.to_string(),
    ];
    if deployments {
        cells.push(
            entry
                .deployments_broken
                .map_or("-".into(), |n| n.to_string()),
        );
    }
    format!("| {} |\n", cells.join(" | "))
}

/// The summary line of a section: `<code>pool</code>: outcome, N changes`.
fn summary(entry: &Entry) -> String {
    let mut text = format!(
        "<code>{}</code>: {}",
        html(&entry.pool),
        html(&entry.outcome)
    );
    if let Some(n) = entry.changes {
        text += &format!(", {n} change{}", if n == 1 { "" } else { "s" });
    }
    text
}

/// One pool's `<details>` section; with `lines`, its diff holds only that many lines.
fn section(entry: &Entry, lines: Option<usize>) -> String {
    let mut out = format!("<details><summary>{}</summary>\n\n", summary(entry));
    if !entry.diff.is_empty() {
        let fence = "`".repeat(longest_backtick_run(&entry.diff).max(2) + 1);
        let kept: String = match lines {
            Some(n) => entry.diff.split_inclusive('\n').take(n).collect(),
            None => entry.diff.clone(),
        };
        out += &format!("{fence}diff\n{kept}");
        if !kept.ends_with('\n') {
            out.push('\n');
        }
        out += &format!("{fence}\n\n");
        if let Some(n) = lines {
            let total = entry.diff.lines().count();
            out += &format!("_The diff is cut after {n} of its {total} lines._\n\n");
        }
    }
    for notes in &entry.notes {
        out += &format!("**{}**\n\n", inline(&notes.heading));
        for line in &notes.lines {
            out += &format!("- {}\n", inline(line));
        }
        out.push('\n');
    }
    out + "</details>\n\n"
}

/// The section with as many diff lines as fit in `room`, and a note naming the cut diff;
/// no text and no note when not even its report lines fit.
fn section_within(entry: &Entry, room: usize) -> (String, Option<String>) {
    let total = entry.diff.lines().count();
    let (mut low, mut high) = (0, total);
    // The longest prefix that fits: section length grows with the lines kept.
    while low < high {
        let mid = (low + high).div_ceil(2);
        if section(entry, Some(mid)).len() <= room {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let text = section(entry, Some(low));
    if text.len() > room {
        return (String::new(), None);
    }
    let note = format!(
        "the diff of {} is cut after {low} of {total} lines",
        entry.pool
    );
    (text, Some(note))
}

fn cut_note(
    doc: &Document,
    limit: usize,
    rows: usize,
    sections: usize,
    diff: Option<&str>,
) -> String {
    let mut parts = Vec::new();
    if rows > 0 {
        parts.push(format!("{rows} table row{} not shown", plural(rows)));
    }
    if let Some(diff) = diff {
        parts.push(diff.to_string());
    }
    if sections > 0 {
        parts.push(format!(
            "{sections} pool section{} not shown",
            plural(sections)
        ));
    }
    let mut note = format!(
        "> **Cut to fit a GitHub comment ({limit} characters):** {}.",
        inline(&parts.join("; "))
    );
    if !doc.whole_report.is_empty() {
        note += &format!(" {}.", inline(&doc.whole_report));
    }
    note + "\n"
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests;
