//! Connecting to the server: the connection flags, the environment and the Prefect profile
//! become one [`Client`] (with a warning when TLS checks are off).

use crate::api::Client;
use crate::cli::ConnectionArgs;
use crate::config::Config;
use crate::error::Result;

/// The client for `connection`.
pub(crate) fn client(connection: &ConnectionArgs) -> Result<Client> {
    let config = Config::from_env(&connection.into())?;
    if config.tls_insecure {
        eprintln!(
            "warning: PREFECT_API_TLS_INSECURE_SKIP_VERIFY is on; TLS certificates are not checked"
        );
    }
    Client::new(&config)
}
