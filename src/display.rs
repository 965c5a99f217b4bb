//! Showing untrusted text (pool names from the server) on a terminal: control characters
//! are escaped, so a name cannot clear the screen, move the cursor or forge a table row.

use std::borrow::Cow;

/// `name` with every control character (C0, DEL, C1) written as its Rust escape
/// (`\n`, `\u{1b}`, ...); unchanged, and not copied, when it has none.
pub fn escape(name: &str) -> Cow<'_, str> {
    if !name.chars().any(char::is_control) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if c.is_control() {
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
}
