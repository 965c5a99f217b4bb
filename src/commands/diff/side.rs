//! One side of `poolsync diff`: what the user wrote, parsed once (pure), and read into a
//! template. The rule: `-` is stdin; `file:PATH`, and anything starting with `./`, `../` or
//! `/` or ending in `.json`, is a file; `PROFILE:POOL` is a pool on that profile's server
//! (`:POOL` on the default connection, for names holding a colon or ending in `.json`);
//! anything else is a pool on the default connection.

use crate::api::Client;
use crate::cli::ConnectionArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::input;
use serde_json::Value;
use std::path::PathBuf;

/// Where one side's template comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A file, or stdin (`-`).
    File(PathBuf),
    /// A pool, on the server of `profile` (the default connection when `None`).
    Pool {
        /// The Prefect profile, from `PROFILE:POOL` or `--left-profile`/`--right-profile`.
        profile: Option<String>,
        /// The pool's name.
        name: String,
    },
}

/// One side: which (`left`, `right`), as the user wrote it, and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Side {
    /// `left` or `right`.
    pub which: &'static str,
    /// As written (for labels and errors).
    pub spec: String,
    /// Where its template comes from.
    pub source: Source,
}

/// A side's template and, for a pool, its type.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    /// The base job template.
    pub template: Value,
    /// The work pool type; `None` for a file.
    pub pool_type: Option<String>,
}

impl Side {
    /// Parses a side; `profile` is `--left-profile` / `--right-profile`.
    pub(crate) fn parse(which: &'static str, spec: &str, profile: Option<&str>) -> Result<Side> {
        let usage = |message: String| Error::Usage(format!("{which} side {spec}: {message}"));
        let file = spec == "-"
            || ["./", "../", "/"].iter().any(|p| spec.starts_with(p))
            || (spec.ends_with(".json") && !spec.starts_with(':'));
        let source = if let Some(path) = spec.strip_prefix("file:") {
            if path.is_empty() {
                return Err(usage("file: names no file; write file:PATH".into()));
            }
            Source::File(PathBuf::from(path))
        } else if file {
            Source::File(PathBuf::from(spec))
        } else {
            let (named, name) = match spec.split_once(':') {
                Some(("", name)) => (None, name),
                Some((profile, name)) => (Some(profile), name),
                None => (None, spec),
            };
            if name.is_empty() {
                return Err(usage("names no pool; write PROFILE:POOL".into()));
            }
            Source::Pool {
                profile: named.map(str::to_string),
                name: name.to_string(),
            }
        };
        let source = match (source, profile) {
            (source, None) => source,
            (
                Source::Pool {
                    profile: None,
                    name,
                },
                Some(profile),
            ) => Source::Pool {
                profile: Some(profile.to_string()),
                name,
            },
            (Source::Pool { .. }, Some(_)) => {
                return Err(usage(format!(
                    "names a profile and --{which}-profile gives another; give one"
                )));
            }
            (Source::File(_), Some(_)) => {
                return Err(usage(format!(
                    "is a file; --{which}-profile applies to pools only"
                )));
            }
        };
        Ok(Side {
            which,
            spec: spec.to_string(),
            source,
        })
    }

    /// The side ready to read: a pool side gets the client of its server (`connection`:
    /// the command's flags, for a side that names no profile); an error names the side.
    pub(crate) fn reader(self, connection: &ConnectionArgs) -> Result<Reader> {
        let client = match &self.source {
            Source::File(_) => None,
            Source::Pool { profile, .. } => {
                Some(client(connection, profile.as_deref()).map_err(|e| self.error(e))?)
            }
        };
        Ok(Reader { side: self, client })
    }

    /// `error`, naming this side.
    pub(crate) fn error(&self, error: Error) -> Error {
        Error::Side {
            side: self.which,
            spec: self.spec.clone(),
            source: Box::new(error),
        }
    }
}

/// A side with what it needs to be read.
#[derive(Debug)]
pub(crate) struct Reader {
    /// The side.
    pub side: Side,
    /// The client of a pool side's server.
    client: Option<Client>,
}

impl Reader {
    /// Reads the side's template (one `GET` for a pool); an error names the side.
    pub(crate) async fn read(&self) -> Result<Read> {
        let read = match (&self.side.source, &self.client) {
            (Source::File(path), _) => input::read_template(path).map(|template| Read {
                template,
                pool_type: None,
            }),
            (Source::Pool { name, .. }, Some(client)) => {
                client.read_pool(name).await.map(|pool| Read {
                    template: pool.base_job_template,
                    pool_type: Some(pool.pool_type),
                })
            }
            (Source::Pool { .. }, None) => Err(Error::Usage("a pool side needs a client".into())),
        };
        read.map_err(|e| self.side.error(e))
    }
}

/// A client for the default connection (`profile` `None`: flags, environment, active
/// profile) or for a named profile. A named profile's url and credentials come from it
/// alone: `PREFECT_API_URL`, `PREFECT_API_KEY` and `PREFECT_API_AUTH_STRING` in the
/// environment (and `--api-url`, `--api-key`) are for the default connection, so a side
/// never sends one server's key to another.
pub(super) fn client(connection: &ConnectionArgs, profile: Option<&str>) -> Result<Client> {
    let config = match profile {
        None => Config::from_env(&connection.into())?,
        Some(profile) => {
            let args = ConnectionArgs {
                api_url: None,
                api_key: None,
                profile: Some(profile.to_string()),
                ..connection.clone()
            };
            let resolved = Config::resolve(&(&args).into(), &|key| {
                let connection_key = matches!(
                    key,
                    "PREFECT_API_URL" | "PREFECT_API_KEY" | "PREFECT_API_AUTH_STRING"
                );
                (!connection_key)
                    .then(|| std::env::var(key).ok().filter(|v| !v.is_empty()))
                    .flatten()
            });
            match resolved {
                Err(Error::NoApiUrl) => {
                    return Err(Error::Setting {
                        name: format!("profile {profile:?}"),
                        message: "it sets no PREFECT_API_URL; run `prefect --profile NAME \
                                  config set PREFECT_API_URL=...`"
                            .replace("NAME", profile),
                    });
                }
                other => other?,
            }
        }
    };
    if config.tls_insecure {
        eprintln!(
            "warning: PREFECT_API_TLS_INSECURE_SKIP_VERIFY is on; TLS certificates are not checked"
        );
    }
    Client::new(&config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn source(spec: &str) -> Source {
        Side::parse("left", spec, None)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .source
    }

    fn pool(profile: Option<&str>, name: &str) -> Source {
        Source::Pool {
            profile: profile.map(str::to_string),
            name: name.into(),
        }
    }

    #[test]
    fn the_rule_tells_files_from_pools() {
        let file = |p: &str| Source::File(PathBuf::from(p));
        let cases = [
            ("-", file("-")),
            ("./x.json", file("./x.json")),
            ("../t/x", file("../t/x")),
            ("/tmp/x", file("/tmp/x")),
            ("x.json", file("x.json")),
            ("file:x", file("x")),
            ("file:prod:x", file("prod:x")),
            ("my-pool", pool(None, "my-pool")),
            ("prod:my-pool", pool(Some("prod"), "my-pool")),
            ("prod:a:b", pool(Some("prod"), "a:b")),
            (":a:b", pool(None, "a:b")),
            (":x.json", pool(None, "x.json")),
        ];
        for (spec, want) in cases {
            assert_eq!(source(spec), want, "{spec}");
        }
    }

    #[test]
    fn a_side_profile_flag_applies_to_a_pool_without_one() {
        let side = Side::parse("right", "my-pool", Some("prod")).expect("a side");
        assert_eq!(side.source, pool(Some("prod"), "my-pool"));
    }

    #[test]
    fn bad_sides_are_usage_errors_naming_the_side() {
        for (spec, profile, want) in [
            ("prod:", None, "right side prod:: names no pool"),
            ("file:", None, "right side file:: file: names no file"),
            (
                "dev:p",
                Some("prod"),
                "right side dev:p: names a profile and --right-profile",
            ),
            ("./x.json", Some("prod"), "right side ./x.json: is a file"),
        ] {
            let err = Side::parse("right", spec, profile).expect_err(spec);
            assert!(matches!(err, Error::Usage(_)), "{err:?}");
            assert!(err.to_string().starts_with(want), "{err}");
        }
    }
}
