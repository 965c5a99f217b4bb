//! A `404` that means the api url is wrong, not that the pool is missing: Prefect serves its
//! API under `/api`, and an api url without it reaches the UI's routes, which answer `404`
//! to every API path. When such a `404` comes and `{url}/api/health` answers, the error
//! points at the url instead of saying "work pool not found".

use super::Transport;
use crate::error::Error;

impl Transport {
    /// The error for a `404` to a request of the API: [`Error::ApiUrlWithoutApi`] when the
    /// server answers `/api/health` below the api url, else `otherwise`.
    pub(crate) async fn not_found(&self, otherwise: Error) -> Error {
        let base = self.base.trim_end_matches('/');
        if base.ends_with("/api") || base.contains("/api/") {
            return otherwise;
        }
        let health = format!("{base}/api/health");
        match self.http.get(&health).send().await {
            Ok(answer) if answer.status().is_success() => Error::ApiUrlWithoutApi {
                url: base.to_string(),
            },
            _ => otherwise,
        }
    }
}
