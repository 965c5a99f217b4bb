use super::*;
use pretty_assertions::assert_eq;
use std::collections::HashMap;

fn resolve(args: Overrides, vars: &[(&str, &str)]) -> Result<Config> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::resolve(&args, &|key| vars.get(key).cloned())
}

fn profiles(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("profiles.toml"), text).unwrap();
    dir
}

const PROFILES: &str = r#"
active = "local"

[profiles.local]
PREFECT_API_URL = "http://profile-local/api"

[profiles.cloud]
PREFECT_API_URL = "https://api.prefect.cloud/api/accounts/a/workspaces/w"
PREFECT_API_KEY = "pnu_profilekey"
PREFECT_CLIENT_MAX_RETRIES = 2
"#;

#[test]
fn no_api_url_anywhere_is_a_clear_error() {
    let err = resolve(Overrides::default(), &[]).unwrap_err();
    assert!(matches!(err, Error::NoApiUrl));
    assert!(err.to_string().contains("PREFECT_API_URL"));
}

#[test]
fn flag_beats_env_beats_profile() {
    let dir = profiles(PROFILES);
    let home = dir.path().to_str().unwrap();
    let flag = Overrides {
        api_url: Some("http://flag/api/".into()),
        ..Default::default()
    };
    let cases = [
        (
            flag.clone(),
            vec![
                ("PREFECT_HOME", home),
                ("PREFECT_API_URL", "http://env/api"),
            ],
            "http://flag/api",
        ),
        (
            Overrides::default(),
            vec![
                ("PREFECT_HOME", home),
                ("PREFECT_API_URL", "http://env/api"),
            ],
            "http://env/api",
        ),
        (
            Overrides::default(),
            vec![("PREFECT_HOME", home)],
            "http://profile-local/api",
        ),
    ];
    for (args, vars, want) in cases {
        assert_eq!(resolve(args, &vars).unwrap().api_url, want);
    }
}

#[test]
fn profile_is_chosen_by_flag_then_env_then_active() {
    let dir = profiles(PROFILES);
    let path = dir.path().join("profiles.toml");
    let path = path.to_str().unwrap();
    let by_flag = Overrides {
        profile: Some("cloud".into()),
        ..Default::default()
    };
    let config = resolve(by_flag, &[("PREFECT_PROFILES_PATH", path)]).unwrap();
    assert!(config.cloud);
    assert_eq!(config.auth, Auth::Bearer(Secret::new("pnu_profilekey")));
    assert_eq!(config.max_retries, 2);

    let by_env = resolve(
        Overrides::default(),
        &[
            ("PREFECT_PROFILES_PATH", path),
            ("PREFECT_PROFILE", "cloud"),
        ],
    )
    .unwrap();
    assert!(by_env.cloud);

    let unknown = Overrides {
        profile: Some("nope".into()),
        ..Default::default()
    };
    let err = resolve(unknown, &[("PREFECT_PROFILES_PATH", path)]).unwrap_err();
    assert!(err.to_string().contains("\"nope\" is not in"), "{err}");
}

#[test]
fn profiles_default_to_home_dot_prefect() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".prefect")).unwrap();
    std::fs::write(home.path().join(".prefect/profiles.toml"), PROFILES).unwrap();
    let config = resolve(
        Overrides::default(),
        &[("HOME", home.path().to_str().unwrap())],
    )
    .unwrap();
    assert_eq!(config.api_url, "http://profile-local/api");
}

#[test]
fn auth_string_means_basic_and_api_key_flag_wins() {
    let url = ("PREFECT_API_URL", "http://h/api");
    let basic = resolve(
        Overrides::default(),
        &[url, ("PREFECT_API_AUTH_STRING", "u:p")],
    );
    assert_eq!(basic.unwrap().auth, Auth::Basic(Secret::new("u:p")));
    let flag = Overrides {
        api_key: Some("k".into()),
        ..Default::default()
    };
    let bearer = resolve(flag, &[url, ("PREFECT_API_AUTH_STRING", "u:p")]).unwrap();
    assert_eq!(bearer.auth, Auth::Bearer(Secret::new("k")));
}

#[test]
fn debug_output_never_shows_secrets() {
    let config = resolve(
        Overrides::default(),
        &[
            ("PREFECT_API_URL", "http://h/api"),
            ("PREFECT_API_KEY", "pnu_sentinel"),
        ],
    )
    .unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("pnu_sentinel"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn parses_client_settings() {
    let config = resolve(
        Overrides::default(),
        &[
            ("PREFECT_API_URL", "https://h/api"),
            ("PREFECT_CLIENT_CUSTOM_HEADERS", r#"{"X-Team": "data"}"#),
            ("PREFECT_CLIENT_RETRY_EXTRA_CODES", "500, 504"),
            ("PREFECT_API_TLS_INSECURE_SKIP_VERIFY", "True"),
        ],
    )
    .unwrap();
    assert_eq!(
        config.custom_headers,
        vec![("X-Team".to_string(), "data".to_string())]
    );
    assert_eq!(config.retry_extra_codes, vec![500, 504]);
    assert!(config.tls_insecure);
    assert!(!config.cloud);
}

#[test]
fn rejects_bad_settings_naming_them() {
    let url = ("PREFECT_API_URL", "http://h/api");
    let cases = [
        (
            "PREFECT_CLIENT_CUSTOM_HEADERS",
            "[1]",
            "PREFECT_CLIENT_CUSTOM_HEADERS",
        ),
        (
            "PREFECT_CLIENT_MAX_RETRIES",
            "many",
            "PREFECT_CLIENT_MAX_RETRIES",
        ),
        (
            "PREFECT_API_TLS_INSECURE_SKIP_VERIFY",
            "maybe",
            "PREFECT_API_TLS_INSECURE_SKIP_VERIFY",
        ),
        ("PREFECT_API_URL", "localhost:4200", "PREFECT_API_URL"),
    ];
    for (key, value, named) in cases {
        let err = resolve(Overrides::default(), &[url, (key, value)]).unwrap_err();
        assert!(err.to_string().contains(named), "{key}: {err}");
    }
}

#[test]
fn credentials_in_the_url_become_basic_auth_and_leave_the_url() {
    let cases = [
        (
            "http://u:p%40ss@h:4200/api",
            "http://h:4200/api",
            Auth::Basic(Secret::new("u:p@ss")),
        ),
        (
            "https://token@h/api",
            "https://h/api",
            Auth::Basic(Secret::new("token:")),
        ),
        ("http://h/api/a@b", "http://h/api/a@b", Auth::None),
    ];
    for (url, want_url, want_auth) in cases {
        let config = resolve(Overrides::default(), &[("PREFECT_API_URL", url)]).unwrap();
        assert_eq!(
            (config.api_url.as_str(), config.auth),
            (want_url, want_auth),
            "{url}"
        );
    }
}

#[test]
fn numeric_settings_out_of_range_are_usage_errors() {
    let url = ("PREFECT_API_URL", "http://h/api");
    for secs in [1e20, 0.0, -1.0, f64::NAN, f64::INFINITY, 86_400.5] {
        let args = Overrides {
            timeout: Some(secs),
            ..Default::default()
        };
        let err = resolve(args, &[url]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{secs}: {err:?}");
        assert!(err.to_string().contains("--timeout"), "{err}");
        assert_eq!(err.exit_code(), crate::exit::USAGE);
    }
    let env_cases = [
        ("POOLSYNC_TIMEOUT", "1e20"),
        ("POOLSYNC_TIMEOUT", "0"),
        ("PREFECT_CLIENT_MAX_RETRIES", "4000000000"),
        ("PREFECT_CLIENT_RETRY_EXTRA_CODES", "500,99"),
        ("PREFECT_CLIENT_RETRY_EXTRA_CODES", "600"),
    ];
    for (key, value) in env_cases {
        let err = resolve(Overrides::default(), &[url, (key, value)]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{key}={value}: {err:?}");
        assert!(err.to_string().contains(key), "{err}");
    }
    let ok = resolve(
        Overrides {
            timeout: Some(86_400.0),
            ..Default::default()
        },
        &[url, ("PREFECT_CLIENT_MAX_RETRIES", "50")],
    )
    .unwrap();
    assert_eq!(ok.timeout, Duration::from_secs(86_400));
    assert_eq!(ok.max_retries, 50);
}

#[test]
fn api_url_with_query_or_fragment_is_a_usage_error_not_echoing_it() {
    for url in [
        "http://h/api?api_key=pnu_SECRET",
        "http://h/api#pnu_SECRET",
        "http://u:pw@h/api?x=pnu_SECRET",
    ] {
        let err = resolve(Overrides::default(), &[("PREFECT_API_URL", url)]).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{url}: {err:?}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(err.to_string().contains("query"), "{err}");
    }
}

#[test]
fn warns_of_credentials_over_plain_http_to_other_hosts() {
    let key = ("PREFECT_API_KEY", "pnu_k");
    let auth = ("PREFECT_API_AUTH_STRING", "u:p");
    let cases = [
        ("http://prefect.internal:4200/api", Some(key), true),
        ("http://10.0.0.5/api", Some(auth), true),
        ("http://[2001:db8::1]/api", Some(key), true),
        ("http://localhost.evil.example/api", Some(key), true),
        ("https://prefect.internal/api", Some(key), false),
        ("http://127.0.0.1:4200/api", Some(key), false),
        ("http://127.8.9.1/api", Some(auth), false),
        ("http://LOCALHOST:4200/api", Some(key), false),
        ("http://[::1]:4200/api", Some(key), false),
        ("http://prefect.internal/api", None, false),
    ];
    for (url, cred, want) in cases {
        let mut vars = vec![("PREFECT_API_URL", url)];
        vars.extend(cred);
        let config = resolve(Overrides::default(), &vars).unwrap();
        let warning = config.plain_http_warning();
        assert_eq!(warning.is_some(), want, "{url}: {warning:?}");
        if let Some(text) = warning {
            assert!(!text.contains("pnu_k") && !text.contains("u:p"), "{text}");
        }
    }
}
