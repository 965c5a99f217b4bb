//! IAM's `*` and `?` wildcards, as it evaluates them in actions and `StringLike`: whether a
//! pattern matches a text, and whether one pattern is within another.

/// Whether IAM pattern `pattern` matches `text`.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Whether every string IAM pattern `inner` matches is also matched by `outer` (sound: a
/// `true` is always right; patterns of the usual shapes are judged exactly).
pub(crate) fn pattern_within(inner: &str, outer: &str) -> bool {
    fn go(i: &[u8], o: &[u8]) -> bool {
        match (o.first(), i.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(i, &o[1..]) || (!i.is_empty() && go(&i[1..], o)),
            (Some(b'?'), Some(c)) if *c != b'*' => go(&i[1..], &o[1..]),
            (Some(a), Some(b)) if a == b && *a != b'?' => go(&i[1..], &o[1..]),
            _ => false,
        }
    }
    go(inner.as_bytes(), outer.as_bytes())
}
