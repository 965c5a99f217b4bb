//! Pure: untrusted text made safe where it lands in Markdown: inline text (table cells,
//! list items) and raw HTML (the `<summary>` line).

use poolsync_engine::display;

/// `text` as one line of literal Markdown inline text: control characters written as
/// escapes (a newline cannot end a table row or a list item), and every character that
/// Markdown or a GFM table reads as syntax behind a backslash: `|` cannot split a cell, a
/// backtick cannot open a code span, `<` cannot open HTML, `[` cannot open a link.
pub(crate) fn inline(text: &str) -> String {
    let text = display::escape(text);
    let mut out = String::with_capacity(text.len() + 8);
    // A list marker or heading at the start of a list item would nest a block in it.
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    for (i, c) in text.chars().enumerate() {
        let syntax = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$'
        );
        let opens_block = (i == 0 && matches!(c, '-' | '+' | '#' | '='))
            || (i == digits && digits > 0 && matches!(c, '.' | ')'));
        if syntax || opens_block {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as literal HTML text (control characters written as escapes).
pub(crate) fn html(text: &str) -> String {
    let text = display::escape(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // GitHub reads a backtick and a pipe as nothing special in HTML; kept literal
            // as entities so no Markdown pass can either.
            '`' => out.push_str("&#96;"),
            '|' => out.push_str("&#124;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn inline_escapes_table_and_code_syntax() {
        assert_eq!(inline("a|b`c"), "a\\|b\\`c");
        assert_eq!(inline("plain name 1"), "plain name 1");
        assert_eq!(inline("<b>x</b>"), "\\<b\\>x\\</b\\>");
        assert_eq!(inline("line\nbreak"), "line\\\\nbreak");
    }

    #[test]
    fn inline_escapes_block_openers_only_at_the_start() {
        assert_eq!(inline("- a-b"), "\\- a-b");
        assert_eq!(inline("12. x 3."), "12\\. x 3.");
        assert_eq!(inline("# h #"), "\\# h #");
    }

    #[test]
    fn html_escapes_entities() {
        assert_eq!(
            html("<a href=\"x\">&'`|"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#96;&#124;"
        );
    }
}
