//! The connection flags of every command that talks to a server.

use clap::Args;

/// Connection flags; each falls back to the environment, then to the active Prefect profile.
/// Flattened into the args of every command that talks to a server, under their own heading;
/// offline commands do not show them.
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
