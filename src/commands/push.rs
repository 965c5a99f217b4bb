//! The one way poolsync writes a template: re-read the pool and stop on a concurrent
//! change, back it up, PATCH, read it back and confirm the server holds what was sent.
//!
//! The API has no ETag or conditional update, so a window remains between the re-read and
//! the PATCH (one round trip, milliseconds) in which another writer's change would be
//! overwritten; the backup written just before the PATCH holds the state that was replaced.

use super::update::Context;
use crate::api::WorkPool;
use crate::backup::{self, Backup};
use crate::error::{Error, Result};
use serde_json::Value;

/// Writes `template` to `read` (the pool as poolsync read it earlier).
pub async fn push(
    ctx: &Context,
    read: &WorkPool,
    template: &Value,
    default: Option<&Value>,
) -> Result<()> {
    let name = &read.name;
    let fresh = ctx.client.read_pool(name).await?;
    if fresh.updated != read.updated || fresh.base_job_template != read.base_job_template {
        let what = match (&read.updated, &fresh.updated) {
            (Some(before), Some(after)) if before != after => {
                format!("updated {before} -> {after}")
            }
            _ => "its base job template changed".to_string(),
        };
        return Err(Error::Conflict {
            pool: name.clone(),
            what,
        });
    }

    let dir = ctx.backup_dir.as_deref().ok_or(Error::NoBackupDir)?;
    let record = Backup {
        poolsync_backup: 1,
        created: chrono::Utc::now().to_rfc3339(),
        api_url: ctx.client.base_url().to_string(),
        pool: serde_json::to_value(&fresh).unwrap_or(Value::Null),
        default: default.cloned(),
        merged: Some(template.clone()),
        kind: backup::Kind::Update,
        base: None,
        base_source: None,
        confirmed: false,
    };
    let saved = backup::write(dir, &record)?;

    ctx.client.update_template(name, template).await?;

    let stored = ctx.client.read_pool(name).await?.base_job_template;
    if &stored != template {
        let difference = crate::diff::json_patch(template, &stored).to_string();
        return Err(Error::Verify {
            pool: name.clone(),
            difference,
            backup: saved,
        });
    }
    backup::confirm(&saved).map(drop)
}
