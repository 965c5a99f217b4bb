//! Connection settings: flags, then environment, then the active Prefect profile, folded
//! into one [`Config`]. Secrets are wrapped in [`Secret`] so no `Debug` output shows them.

mod api_url;
mod limits;

pub(crate) use limits::MIN_MAX_RPS;

use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where Prefect Cloud's API lives unless `PREFECT_CLOUD_API_URL` says otherwise.
pub(crate) const DEFAULT_CLOUD_API_URL: &str = "https://api.prefect.cloud/api";

/// A value that must never be printed. `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for building a request header and nothing else.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Bearer <key>` (Prefect Cloud API key).
    Bearer(Secret),
    /// `Authorization: Basic base64(<user:pass>)` (self-hosted `PREFECT_API_AUTH_STRING`).
    Basic(Secret),
}

/// Everything needed to talk to one Prefect API.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// API base URL without a trailing slash, e.g. `http://127.0.0.1:4200/api`.
    pub api_url: String,
    /// Credentials.
    pub auth: Auth,
    /// True when the URL is under Prefect Cloud's API URL.
    pub cloud: bool,
    /// Skip TLS certificate verification (`PREFECT_API_TLS_INSECURE_SKIP_VERIFY`).
    pub tls_insecure: bool,
    /// Extra CA certificate bundle (`PREFECT_API_SSL_CERT_FILE`).
    pub ssl_cert_file: Option<PathBuf>,
    /// Extra headers on every request (`PREFECT_CLIENT_CUSTOM_HEADERS`).
    pub custom_headers: Vec<(String, String)>,
    /// Retries after a retryable failure (`PREFECT_CLIENT_MAX_RETRIES`, default 5).
    pub max_retries: u32,
    /// Extra status codes to retry (`PREFECT_CLIENT_RETRY_EXTRA_CODES`).
    pub retry_extra_codes: Vec<u16>,
    /// Per-response timeout.
    pub timeout: Duration,
    /// Log requests to stderr.
    pub verbose: bool,
}

/// A Prefect profile's settings: `[profiles.NAME]` in profiles.toml.
#[derive(Debug, Default)]
struct Profile(toml::Table);

impl Profile {
    fn get(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            toml::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// What the command line says about the connection (`--api-url`, `--api-key`, `--profile`,
/// `--timeout`, `--verbose`); each setting it leaves out comes from the environment, then
/// from the active Prefect profile.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    /// The API URL.
    pub api_url: Option<String>,
    /// A Prefect Cloud API key.
    pub api_key: Option<String>,
    /// The Prefect profile to read settings from.
    pub profile: Option<String>,
    /// Seconds to wait for each HTTP response.
    pub timeout: Option<f64>,
    /// Log every request and its answer.
    pub verbose: bool,
}

impl Config {
    /// Resolves settings from flags, the process environment and the active profile.
    pub(crate) fn from_env(args: &Overrides) -> Result<Config> {
        Config::resolve(args, &|key| {
            std::env::var(key).ok().filter(|v| !v.is_empty())
        })
    }

    /// Resolves settings with `env` standing in for the environment (for tests).
    pub(crate) fn resolve(
        args: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let profile = load_profile(args.profile.as_deref(), env)?;
        let setting = |key: &str| env(key).or_else(|| profile.get(key));

        let api_url = args
            .api_url
            .clone()
            .or_else(|| setting("PREFECT_API_URL"))
            .ok_or(Error::NoApiUrl)?;
        let (api_url, url_auth) = split_credentials(api_url.trim_end_matches('/'));
        api_url::check_shape("api url (--api-url, PREFECT_API_URL)", &api_url)?;
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            return Err(Error::Setting {
                name: "PREFECT_API_URL".into(),
                message: format!(
                    "{api_url:?} is not an http(s) url; use e.g. http://127.0.0.1:4200/api"
                ),
            });
        }
        let cloud_url =
            setting("PREFECT_CLOUD_API_URL").unwrap_or_else(|| DEFAULT_CLOUD_API_URL.to_string());
        let cloud = api_url.starts_with(cloud_url.trim_end_matches('/'));

        let auth = match (args.api_key.clone(), setting("PREFECT_API_AUTH_STRING")) {
            (Some(key), _) => Auth::Bearer(Secret::new(key)),
            (None, Some(auth)) => Auth::Basic(Secret::new(auth)),
            (None, None) => match (setting("PREFECT_API_KEY"), url_auth) {
                (Some(key), _) => Auth::Bearer(Secret::new(key)),
                (None, Some(pair)) => Auth::Basic(pair),
                (None, None) => Auth::None,
            },
        };

        let timeout = match args.timeout {
            Some(secs) => limits::timeout("--timeout", secs)?,
            None => limits::timeout(
                "POOLSYNC_TIMEOUT",
                parse_number("POOLSYNC_TIMEOUT", setting("POOLSYNC_TIMEOUT"), 30.0)?,
            )?,
        };

        Ok(Config {
            api_url,
            auth,
            cloud,
            tls_insecure: parse_bool(
                "PREFECT_API_TLS_INSECURE_SKIP_VERIFY",
                setting("PREFECT_API_TLS_INSECURE_SKIP_VERIFY"),
            )?,
            ssl_cert_file: setting("PREFECT_API_SSL_CERT_FILE").map(PathBuf::from),
            custom_headers: parse_headers(setting("PREFECT_CLIENT_CUSTOM_HEADERS"))?,
            max_retries: limits::max_retries(parse_number(
                "PREFECT_CLIENT_MAX_RETRIES",
                setting("PREFECT_CLIENT_MAX_RETRIES"),
                5,
            )?)?,
            retry_extra_codes: limits::status_codes(parse_codes(setting(
                "PREFECT_CLIENT_RETRY_EXTRA_CODES",
            ))?)?,
            timeout: Duration::from_secs_f64(timeout),
            verbose: args.verbose,
        })
    }
}

impl Config {
    /// The warning due when credentials go over plain http to a host that is not loopback.
    pub(crate) fn plain_http_warning(&self) -> Option<String> {
        api_url::plain_http_warning(&self.api_url, &self.auth)
    }
}

/// Takes `user:password@` out of a URL, so it is never printed or stored with the URL;
/// returns the URL without it and the (percent-decoded) `user:password` for Basic auth.
fn split_credentials(url: &str) -> (String, Option<Secret>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = percent_decode(&rest[..at]);
    let pair = if userinfo.contains(':') {
        userinfo
    } else {
        format!("{userinfo}:")
    };
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some(Secret::new(pair)),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Finds profiles.toml: `PREFECT_PROFILES_PATH`, else `$PREFECT_HOME/profiles.toml`,
/// else `~/.prefect/profiles.toml`.
fn profiles_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = env("PREFECT_PROFILES_PATH") {
        return Some(PathBuf::from(path));
    }
    if let Some(home) = env("PREFECT_HOME") {
        return Some(Path::new(&home).join("profiles.toml"));
    }
    env("HOME").map(|home| Path::new(&home).join(".prefect").join("profiles.toml"))
}

fn load_profile(wanted: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Result<Profile> {
    let wanted = wanted
        .map(str::to_string)
        .or_else(|| env("PREFECT_PROFILE"));
    let Some(path) = profiles_path(env) else {
        return Ok(Profile::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && wanted.is_none() => {
            return Ok(Profile::default());
        }
        Err(source) => {
            return Err(Error::Io {
                action: "read Prefect profiles at",
                path,
                source,
            });
        }
    };
    let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Setting {
        name: format!("profiles file {}", path.display()),
        message: format!("{}; fix the TOML syntax", e.message()),
    })?;
    let explicit = wanted.is_some();
    let name = match wanted {
        Some(name) => name,
        None => match doc.get("active") {
            Some(toml::Value::String(name)) => name.clone(),
            _ => return Ok(Profile::default()),
        },
    };
    let profile = doc
        .remove("profiles")
        .and_then(|p| match p {
            toml::Value::Table(mut t) => t.remove(&name),
            _ => None,
        })
        .and_then(|p| match p {
            toml::Value::Table(t) => Some(t),
            _ => None,
        });
    match profile {
        Some(table) => Ok(Profile(table)),
        None if explicit => Err(Error::Setting {
            name: "profile".into(),
            message: format!(
                "{name:?} is not in {}; list profiles with `prefect profile ls`",
                path.display()
            ),
        }),
        None => Ok(Profile::default()),
    }
}

fn parse_bool(name: &str, value: Option<String>) -> Result<bool> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no" | "off" | "") => Ok(false),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some(other) => Err(Error::Setting {
            name: name.into(),
            message: format!("{other:?} is not a boolean; use true or false"),
        }),
    }
}

fn parse_number<T: std::str::FromStr>(name: &str, value: Option<String>, default: T) -> Result<T> {
    match value {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| Error::Setting {
            name: name.into(),
            message: format!("{v:?} is not a valid number"),
        }),
    }
}

fn parse_codes(value: Option<String>) -> Result<Vec<u16>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|code| {
            code.parse::<u16>().map_err(|_| Error::Setting {
                name: "PREFECT_CLIENT_RETRY_EXTRA_CODES".into(),
                message: format!("{code:?} is not an http status code; use e.g. \"500,504\""),
            })
        })
        .collect()
}

fn parse_headers(value: Option<String>) -> Result<Vec<(String, String)>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let invalid = |message: &str| Error::Setting {
        name: "PREFECT_CLIENT_CUSTOM_HEADERS".into(),
        message: format!("{message}; use a JSON object of strings, e.g. {{\"X-Team\": \"data\"}}"),
    };
    let parsed: serde_json::Value =
        serde_json::from_str(&value).map_err(|_| invalid("not valid json"))?;
    let object = parsed
        .as_object()
        .ok_or_else(|| invalid("not a json object"))?;
    object
        .iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(invalid(&format!("the value of {k:?} is not a string"))),
        })
        .collect()
}

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;
