//! When and how long to wait before retrying a request: the statuses and failures worth
//! another try, `Retry-After`, and exponential backoff with jitter.

use std::time::Duration;

/// Tries of one request answered `429` before it is given up: a throttle says "wait", not
/// "broken", so it gets many more tries than other failures (each waits its `Retry-After`).
pub(crate) const MAX_THROTTLED_TRIES: u32 = 30;

/// Statuses retried by default, as Prefect's own client does.
pub(crate) const RETRY_STATUSES: [u16; 4] = [408, 429, 502, 503];

/// The first backoff step; each further retry doubles it.
const BASE_DELAY: Duration = Duration::from_secs(1);
/// No single wait is longer than this, whatever the server asks.
const MAX_DELAY: Duration = Duration::from_secs(30);

/// How a client retries.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Statuses retried in addition to [`RETRY_STATUSES`].
    pub extra_codes: Vec<u16>,
}

impl RetryPolicy {
    /// Whether a response with this status is worth another try.
    pub(crate) fn retries_status(&self, status: u16) -> bool {
        RETRY_STATUSES.contains(&status) || self.extra_codes.contains(&status)
    }

    /// How long to wait before retry number `attempt` (1-based): the server's `Retry-After`
    /// in seconds when it sent one, else `1 s * 2^(attempt-1)` with +-20% jitter (Prefect's
    /// own client starts at 2 s). From 250 ms the default 5 retries would be spent in under
    /// 8 s; from 1 s they ride out about 31 s of a busy SQLite server's 503s.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        if let Some(seconds) = retry_after.and_then(parse_retry_after) {
            return seconds.min(MAX_DELAY);
        }
        let exp = BASE_DELAY.saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let jitter = 0.8 + 0.4 * rand::random::<f64>();
        exp.mul_f64(jitter).min(MAX_DELAY)
    }
}

/// Parses a `Retry-After` value given in seconds (the HTTP-date form is not used by
/// Prefect and falls back to backoff). A value past [`MAX_DELAY`] (`1e300`, `2^64`) is
/// clamped to it, never converted as it stands.
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    let clamped = seconds.min(MAX_DELAY.as_secs_f64());
    (seconds >= 0.0)
        .then(|| Duration::try_from_secs_f64(clamped).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            extra_codes: vec![500],
        }
    }

    #[test]
    fn retries_only_transient_statuses() {
        let table = [
            (408, true),
            (429, true),
            (502, true),
            (503, true),
            (500, true),
        ];
        let never = [400, 401, 403, 404, 409, 422, 504];
        for (status, want) in table {
            assert_eq!(policy().retries_status(status), want, "{status}");
        }
        for status in never {
            assert!(!policy().retries_status(status), "{status}");
        }
    }

    #[test]
    fn honours_retry_after_seconds() {
        assert_eq!(policy().delay(1, Some("2")), Duration::from_secs(2));
        assert_eq!(policy().delay(3, Some("0.5")), Duration::from_millis(500));
        assert_eq!(policy().delay(1, Some("3600")), MAX_DELAY);
    }

    #[test]
    fn backs_off_exponentially_with_bounded_jitter() {
        for attempt in 1..=4u32 {
            let nominal = 1000.0 * f64::from(1u32 << (attempt - 1));
            for _ in 0..50 {
                let ms = policy().delay(attempt, Some("soon")).as_secs_f64() * 1000.0;
                assert!(
                    ms >= nominal * 0.8 - 1.0 && ms <= nominal * 1.2 + 1.0,
                    "{attempt}: {ms}"
                );
            }
        }
        assert_eq!(policy().delay(40, None), MAX_DELAY);
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }

    /// Issue 17: huge values were converted as they stood and panicked.
    #[test]
    fn huge_retry_after_values_are_clamped_not_a_panic() {
        for value in ["1e20", "1e300", "18446744073709551616", "inf", "1e400"] {
            assert_eq!(parse_retry_after(value), Some(MAX_DELAY), "{value}");
            assert_eq!(policy().delay(1, Some(value)), MAX_DELAY, "{value}");
        }
    }
}
