//! The ranges numeric settings must fall in: a value outside is a usage error naming the
//! setting, never a panic or a run that cannot end.

use crate::error::{Error, Result};

/// The longest `--timeout` / `POOLSYNC_TIMEOUT`: one day.
pub(crate) const MAX_TIMEOUT_SECS: f64 = 86_400.0;
/// The lowest `--max-rps` taken (one request every 100 s): a lower one is refused by the
/// flag's parser, and the pacer never spaces requests further apart than this.
pub(crate) const MIN_MAX_RPS: f64 = 0.01;
/// The most retries `PREFECT_CLIENT_MAX_RETRIES` may ask for.
pub(crate) const MAX_RETRIES: u32 = 50;

/// Checks a response timeout in seconds: finite, above 0 and at most a day.
pub(super) fn timeout(name: &str, secs: f64) -> Result<f64> {
    if secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS {
        return Ok(secs);
    }
    Err(Error::Usage(format!(
        "invalid {name}: {secs} is not a number of seconds above 0 and at most \
         {MAX_TIMEOUT_SECS} (one day); give e.g. 30"
    )))
}

/// Checks `PREFECT_CLIENT_MAX_RETRIES`: at most [`MAX_RETRIES`].
pub(super) fn max_retries(retries: u32) -> Result<u32> {
    if retries <= MAX_RETRIES {
        return Ok(retries);
    }
    Err(Error::Usage(format!(
        "invalid PREFECT_CLIENT_MAX_RETRIES: {retries} is more than {MAX_RETRIES}; give e.g. 5"
    )))
}

/// Checks `PREFECT_CLIENT_RETRY_EXTRA_CODES`: each an http status (100 to 599).
pub(super) fn status_codes(codes: Vec<u16>) -> Result<Vec<u16>> {
    match codes.iter().find(|c| !(100..=599).contains(*c)) {
        None => Ok(codes),
        Some(code) => Err(Error::Usage(format!(
            "invalid PREFECT_CLIENT_RETRY_EXTRA_CODES: {code} is not an http status \
             (100 to 599); use e.g. \"500,504\""
        ))),
    }
}
