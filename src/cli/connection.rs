//! The connection flags of every command that talks to a server.

use crate::config::Overrides;
use clap::Args;

/// Connection flags; each falls back to the environment, then to the active Prefect profile.
/// Flattened into the args of every command that talks to a server, under their own heading;
/// offline commands do not show them. They are also accepted before the command
/// (`poolsync --profile prod update ...`, as `prefect --profile prod ...`): there they apply
/// to whichever command talks to a server, and a flag after the command wins.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Prefect API URL [env: PREFECT_API_URL, or the active profile]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// Prefect Cloud API key, sent as a Bearer token [env: PREFECT_API_KEY]
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Prefect profile to read settings from [env: PREFECT_PROFILE; default: the active one]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Seconds to wait for each HTTP response [env: POOLSYNC_TIMEOUT; default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,

    /// Log every HTTP request and its answer to stderr (credentials are never shown).
    #[arg(short, long)]
    pub verbose: bool,
}

impl ConnectionArgs {
    /// These flags (given after the command) over `outer` (given before it).
    pub fn under(&self, outer: &ConnectionArgs) -> ConnectionArgs {
        ConnectionArgs {
            api_url: self.api_url.clone().or_else(|| outer.api_url.clone()),
            api_key: self.api_key.clone().or_else(|| outer.api_key.clone()),
            profile: self.profile.clone().or_else(|| outer.profile.clone()),
            timeout: self.timeout.or(outer.timeout),
            verbose: self.verbose || outer.verbose,
        }
    }
}

impl From<&ConnectionArgs> for Overrides {
    fn from(args: &ConnectionArgs) -> Overrides {
        Overrides {
            api_url: args.api_url.clone(),
            api_key: args.api_key.clone(),
            profile: args.profile.clone(),
            timeout: args.timeout,
            verbose: args.verbose,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_after_the_command_win_over_flags_before_it() {
        let outer = ConnectionArgs {
            api_url: Some("http://outer/api".into()),
            profile: Some("prod".into()),
            timeout: Some(5.0),
            verbose: true,
            ..ConnectionArgs::default()
        };
        let inner = ConnectionArgs {
            api_url: Some("http://inner/api".into()),
            ..ConnectionArgs::default()
        };
        let both = inner.under(&outer);
        assert_eq!(both.api_url.as_deref(), Some("http://inner/api"));
        assert_eq!(both.profile.as_deref(), Some("prod"));
        assert_eq!(
            (both.timeout, both.verbose, both.api_key),
            (Some(5.0), true, None)
        );
    }
}
