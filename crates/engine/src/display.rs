//! Showing untrusted text (pool names, template values from the server) on a terminal:
//! control characters (C0, DEL, C1) and bidi overrides are escaped, so a name cannot clear
//! the screen, move the cursor, forge a table row or reorder what is shown.

use std::borrow::Cow;

/// `name` with every control character (C0, DEL, C1) and bidi override written as its Rust
/// escape (`\n`, `\u{1b}`, `\u{202e}`, ...); unchanged, and not copied, when it has none.
pub fn escape(name: &str) -> Cow<'_, str> {
    escape_where(name, |c| c.is_control() || is_bidi(c))
}

/// Like [`escape`], but keeps line breaks and tabs: for multi-line text (a diff, an error
/// listing several problems) whose layout is poolsync's own.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| {
        (c.is_control() && c != '\n' && c != '\t') || is_bidi(c)
    })
}

/// The bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which
/// make a terminal show text in another order than it is stored.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_where(text: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn escapes_controls_only() {
        let cases = [
            ("k8s-pool", "k8s-pool"),
            ("ünïcode pool \\ \"q\"", "ünïcode pool \\ \"q\""),
            ("a\nb", "a\\nb"),
            ("\u{1b}[2Jclear", "\\u{1b}[2Jclear"),
            ("tab\there\r", "tab\\there\\r"),
            ("del\u{7f} c1\u{9b}", "del\\u{7f} c1\\u{9b}"),
        ];
        for (name, want) in cases {
            assert_eq!(escape(name), want, "{name:?}");
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_bidi_overrides_and_isolates() {
        let cases = [
            ("a\u{202e}b", "a\\u{202e}b"),
            ("\u{202a}\u{2066}x\u{2069}", "\\u{202a}\\u{2066}x\\u{2069}"),
            ("zero\u{200b}width", "zero\u{200b}width"),
        ];
        for (name, want) in cases {
            assert_eq!(escape(name), want, "{name:?}");
        }
    }

    #[test]
    fn text_keeps_its_lines() {
        assert_eq!(
            escape_text("a\n\tb\u{9b}2J\u{202e}\u{1b}"),
            "a\n\tb\\u{9b}2J\\u{202e}\\u{1b}"
        );
    }
}
