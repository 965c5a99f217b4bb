//! Checking the `job_variables.federated_identity` overrides of the deployments that run on
//! a pool, against the same schema as the pool's template.

use crate::api::Client;
use crate::error::Result;
use crate::identity;
use crate::violation::Violation;

/// Every federated identity violation in the overrides of `pool`'s deployments; each
/// message names the deployment.
pub async fn check(client: &Client, pool: &str) -> Result<Vec<Violation>> {
    let mut found = Vec::new();
    for deployment in client.deployments_of(pool).await? {
        let Some(value) = deployment.job_variables.get("federated_identity") else {
            continue;
        };
        for mut violation in identity::check_value(value, "/job_variables/federated_identity") {
            violation.message = format!(
                "in deployment {:?} ({}): {}",
                deployment.name, deployment.id, violation.message
            );
            found.push(violation);
        }
    }
    Ok(found)
}
