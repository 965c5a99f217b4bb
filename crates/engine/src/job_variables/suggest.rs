//! The variable names closest to a key the schema does not define: names that contain it or
//! that it contains (`memory` -> `memory_limit`, `memory_request`), then near spellings
//! (`imgae` -> `image`), by Jaro-Winkler similarity. A name that differs only in case or `-`
//! for `_` is the one suggestion.

/// At most this many suggestions.
const MAX: usize = 3;
/// How similar (Jaro-Winkler, 0 to 1) a name must be to be suggested for a misspelling.
const SIMILAR: f64 = 0.84;

/// The names closest to `key`, best first, at most [`MAX`].
pub(super) fn closest<'a>(key: &str, names: &[&'a str]) -> Vec<&'a str> {
    let key = normal(key);
    if let Some(same) = names.iter().find(|name| normal(name) == key) {
        return vec![same];
    }
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .filter_map(|name| {
            let candidate = normal(name);
            let similarity = strsim::jaro_winkler(&key, &candidate);
            let contains = key.len() >= 3 && (candidate.contains(&key) || key.contains(&candidate));
            let score = if contains {
                1.0 + similarity
            } else {
                similarity
            };
            (score >= SIMILAR).then_some((score, *name))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(MAX).map(|(_, name)| name).collect()
}

/// Lowercase, with `-` read as `_`.
fn normal(name: &str) -> String {
    name.to_lowercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const KUBERNETES: &[&str] = &[
        "env",
        "name",
        "image",
        "labels",
        "command",
        "namespace",
        "stream_output",
        "cluster_config",
        "finished_job_ttl",
        "image_pull_policy",
        "service_account_name",
        "job_watch_timeout_seconds",
        "pod_watch_timeout_seconds",
        "memory_limit",
        "memory_request",
    ];

    #[test]
    fn a_prefix_suggests_every_variable_it_starts() {
        assert_eq!(
            closest("memory", KUBERNETES),
            vec!["memory_limit", "memory_request"]
        );
    }

    #[test]
    fn a_misspelling_suggests_the_variable() {
        assert_eq!(closest("imgae", KUBERNETES)[0], "image");
        assert_eq!(closest("Namespace", KUBERNETES), vec!["namespace"]);
        assert_eq!(
            closest("service-account-name", KUBERNETES)[0],
            "service_account_name"
        );
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        assert!(closest("gpu", KUBERNETES).is_empty());
        assert!(closest("x", KUBERNETES).is_empty());
    }
}
