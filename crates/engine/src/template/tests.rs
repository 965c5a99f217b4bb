use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

/// The pattern [`names_in`] matches by hand (see there).
static PLACEHOLDER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\{\{ *([A-Za-z0-9_.\[\]$-]+) *\}\}").expect("placeholder pattern is valid")
});

/// The captures of [`PLACEHOLDER`] in `text`, in order.
fn by_regex(text: &str) -> Vec<&str> {
    PLACEHOLDER
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .collect()
}

#[test]
fn names_in_matches_the_regex() {
    for text in [
        "{{ x }}",
        "{{x}}-{{  y.z[0]  }}",
        "{{{ x }}}",
        "{{ x }",
        "{{ x y }}",
        "{{}} {{ }} {{ a-b$ }}{{c}}",
        "{{ é }} {{ a\u{e9} }} {{\tx }}",
        "prefix {{ {{ x }} }} {{",
        "",
    ] {
        assert_eq!(
            names_in(text).collect::<Vec<_>>(),
            by_regex(text),
            "{text:?}"
        );
    }
}

proptest::proptest! {
    #[test]
    fn names_in_matches_the_regex_on_any_text(text in "[{} xa.$\\[\\]é\t-]{0,24}") {
        proptest::prop_assert_eq!(names_in(&text).collect::<Vec<_>>(), by_regex(&text));
    }
}

/// A template with `job_configuration` = `jobs` and `variables.properties` naming `defined`.
fn template(jobs: Value, defined: &[&str]) -> Value {
    let properties: Map<String, Value> =
        defined.iter().map(|n| (n.to_string(), json!({}))).collect();
    json!({"job_configuration": jobs, "variables": {"properties": properties}})
}

/// The (pointer, placeholder name) of each violation.
fn undefined_names(violations: &[Finding]) -> Vec<(String, String)> {
    violations
        .iter()
        .map(|v| {
            let name = v.message.split('"').nth(1).unwrap_or_default();
            (v.pointer.as_str().to_string(), name.to_string())
        })
        .collect()
}

/// Name, `job_configuration`, defined variables, expected (pointer, placeholder) pairs.
type PlaceholderCase = (
    &'static str,
    Value,
    &'static [&'static str],
    Vec<(&'static str, &'static str)>,
);

#[test]
fn placeholder_table() {
    let cases: Vec<PlaceholderCase> = vec![
        (
            "defined",
            json!({"command": "{{ command }}"}),
            &["command"],
            vec![],
        ),
        (
            "undefined",
            json!({"command": "run {{ cmd }}"}),
            &["command"],
            vec![("/job_configuration/command", "{{ cmd }}")],
        ),
        (
            "no spaces",
            json!({"a": "{{x}}"}),
            &[],
            vec![("/job_configuration/a", "{{ x }}")],
        ),
        ("many spaces", json!({"a": "{{   x  }}"}), &["x"], vec![]),
        (
            "tab is escaped by json.dumps: not a placeholder",
            json!({"a": "{{\tx}}"}),
            &[],
            vec![],
        ),
        (
            "newline is escaped by json.dumps: not a placeholder",
            json!({"a": "{{ x\n}}"}),
            &[],
            vec![],
        ),
        (
            "non-ascii is escaped by json.dumps: not a placeholder",
            json!({"a": "{{ café }}"}),
            &[],
            vec![],
        ),
        (
            "quote breaks the name",
            json!({"a": "{{ a\"b }}"}),
            &[],
            vec![],
        ),
        (
            "triple braces",
            json!({"a": "{{{ x }}}"}),
            &[],
            vec![("/job_configuration/a", "{{ x }}")],
        ),
        (
            "nested in arrays and objects, at the exact string",
            json!({"spec": {"containers": [{"image": "{{ image }}", "args": ["{{ a }}", "{{ b }}"]}]}}),
            &["a"],
            vec![
                ("/job_configuration/spec/containers/0/image", "{{ image }}"),
                ("/job_configuration/spec/containers/0/args/1", "{{ b }}"),
            ],
        ),
        (
            "nested key counts",
            json!({"labels": {"{{ k }}": "v"}}),
            &[],
            vec![("/job_configuration/labels/{{ k }}", "{{ k }}")],
        ),
        (
            "top-level key does not count",
            json!({"{{ k }}": "v"}),
            &[],
            vec![],
        ),
        (
            "dots and brackets are one name",
            json!({"a": "{{ a.b[0] }}"}),
            &["a"],
            vec![("/job_configuration/a", "{{ a.b[0] }}")],
        ),
        (
            "dotted name defined",
            json!({"a": "{{ a.b }}"}),
            &["a.b"],
            vec![],
        ),
        (
            "block, variable and env placeholders must be defined too",
            json!({"a": "{{ prefect.blocks.secret.x }} {{ prefect.variables.y }} {{ $HOME }}"}),
            &["prefect.variables.y"],
            vec![
                ("/job_configuration/a", "{{ prefect.blocks.secret.x }}"),
                ("/job_configuration/a", "{{ $HOME }}"),
            ],
        ),
        (
            "repeat in one string reported once",
            json!({"a": "{{ x }}{{ x }}", "b": "{{ x }}"}),
            &[],
            vec![
                ("/job_configuration/a", "{{ x }}"),
                ("/job_configuration/b", "{{ x }}"),
            ],
        ),
        (
            "pointer escapes",
            json!({"a/b": {"c~": "{{ x }}"}}),
            &[],
            vec![("/job_configuration/a~1b/c~0", "{{ x }}")],
        ),
        (
            "numbers and nulls are fine",
            json!({"a": 1, "b": null, "c": [true]}),
            &[],
            vec![],
        ),
    ];
    for (name, jobs, defined, expected) in cases {
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(p, n)| (p.to_string(), n.to_string()))
            .collect();
        assert_eq!(
            undefined_names(&check(&template(jobs, defined))),
            expected,
            "{name}"
        );
    }
}

#[test]
fn undefined_placeholder_violation_in_full() {
    let violations = check(&template(json!({"command": "run {{ cmd }}"}), &["x"]));
    assert_eq!(
        violations,
        vec![Finding::violation(
            "/job_configuration/command",
            Some(json!("run {{ cmd }}")),
            "placeholder \"{{ cmd }}\" is not defined in variables.properties",
            "add \"cmd\" to variables.properties or remove the placeholder"
        )]
    );
}

#[test]
fn section_table() {
    let jobs = json!({"a": 1});
    let vars = json!({"properties": {}});
    let cases = [
        ("empty template is accepted", json!({}), vec![]),
        (
            "both present",
            json!({"job_configuration": jobs, "variables": vars}),
            vec![],
        ),
        (
            "variables without properties",
            json!({"job_configuration": jobs, "variables": {"type": "object"}}),
            vec![],
        ),
        (
            "not an object",
            json!([]),
            vec![("", "the base job template is not a json object")],
        ),
        (
            "only unrelated keys",
            json!({"x": 1}),
            vec![
                ("/job_configuration", "job_configuration is missing"),
                ("/variables", "variables is missing"),
            ],
        ),
        (
            "missing variables",
            json!({"job_configuration": jobs}),
            vec![("/variables", "variables is missing")],
        ),
        (
            "empty job_configuration",
            json!({"job_configuration": {}, "variables": vars}),
            vec![("/job_configuration", "job_configuration is empty")],
        ),
        (
            "variables with empty properties only is truthy",
            json!({"job_configuration": jobs, "variables": {"properties": {}}}),
            vec![],
        ),
        (
            "falsy values",
            json!({"job_configuration": 0, "variables": ""}),
            vec![
                ("/job_configuration", "job_configuration is empty"),
                ("/variables", "variables is empty"),
            ],
        ),
        (
            "null section",
            json!({"job_configuration": null, "variables": vars}),
            vec![("/job_configuration", "job_configuration is empty")],
        ),
        (
            "truthy non-object sections",
            json!({"job_configuration": [1], "variables": "x"}),
            vec![
                (
                    "/job_configuration",
                    "job_configuration is not a json object",
                ),
                ("/variables", "variables is not a json object"),
            ],
        ),
        (
            "properties not an object",
            json!({"job_configuration": jobs, "variables": {"properties": null}}),
            vec![(
                "/variables/properties",
                "variables.properties is not a json object",
            )],
        ),
    ];
    for (name, template, expected) in cases {
        let got: Vec<(String, String)> = check(&template)
            .into_iter()
            .map(|v| (v.pointer.as_str().to_string(), v.message))
            .collect();
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn placeholders_table() {
    let cases = [
        (json!("{{ a }} {{b}} {{ a }}"), vec!["a", "b"]),
        (
            json!({"{{ k }}": ["{{ v }}", 1, {"x": "{{ $E }}"}]}),
            vec!["k", "v", "$E"],
        ),
        (
            json!({"z": "{{ prefect.blocks.t.n }}", "a": "{{ x.y[0] }}"}),
            vec!["prefect.blocks.t.n", "x.y[0]"],
        ),
        (json!(null), vec![]),
        (json!("{{ }} {{ a b }} { { c } }"), vec![]),
    ];
    for (value, expected) in cases {
        assert_eq!(placeholders(&value), expected, "{value}");
        // `uses` finds each of them, and nothing else.
        for name in [
            "a",
            "b",
            "k",
            "v",
            "$E",
            "x.y[0]",
            "prefect.blocks.t.n",
            "c",
            "x",
            "z",
        ] {
            let listed = expected.contains(&name);
            assert_eq!(uses(&value, name), listed, "{name} in {value}");
        }
    }
}

#[test]
fn job_placeholders_skips_top_level_keys() {
    let jobs = json!({"{{ top }}": {"{{ k }}": "{{ v }}"}, "b": "{{ v }} {{ w }}"});
    assert_eq!(job_placeholders(&jobs), vec!["k", "v", "w"]);
    assert_eq!(job_placeholders(&json!(["{{ a }}"])), Vec::<String>::new());
}

#[test]
fn placeholder_kind_table() {
    let cases = [
        ("image", PlaceholderKind::Standard),
        (
            "prefect.blocks.aws-credentials.x",
            PlaceholderKind::BlockDocument,
        ),
        ("prefect.variables.y", PlaceholderKind::Variable),
        ("$HOME", PlaceholderKind::EnvVar),
        ("prefect.other", PlaceholderKind::Standard),
    ];
    for (name, expected) in cases {
        assert_eq!(PlaceholderKind::of(name), expected, "{name}");
    }
}
