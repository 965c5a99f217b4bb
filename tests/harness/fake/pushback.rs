//! What the fake records of every request (when it arrived, how long its answer was held,
//! whether pushback answered it) and the pushback it can script: a `429` storm, a token
//! bucket, `503`s to PATCHes that arrive while another PATCH is in flight.

use serde_json::Value;
use std::time::{Duration, Instant};
use wiremock::{Request, ResponseTemplate};

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its route (see [`super::route`]).
    pub route: String,
    /// For `POST /work_pools/filter`: the names it filters by (`None`: a listing page).
    pub names: Option<Vec<String>>,
    /// For `POST /work_pools/filter`: the `offset` asked for.
    pub offset: Option<u64>,
    /// `429` or `503` when scripted pushback answered; `None` when the API itself did.
    pub pushback: Option<u16>,
    /// When its answer was sent (`at` plus the delay the fake held it for).
    pub done: Instant,
}

impl Seen {
    /// A `PATCH` the API answered (not refused by pushback).
    pub(crate) fn accepted_patch(&self) -> bool {
        self.route.starts_with("PATCH ") && self.pushback.is_none()
    }
}

/// Every request (of any route) answers `429` with `Retry-After` for `window`, starting
/// with PATCH number `after` (0-based).
#[derive(Clone, Debug)]
pub(crate) struct Storm {
    pub after: usize,
    pub window: Duration,
    pub retry_after: &'static str,
    pub started: Option<Instant>,
}

/// A token bucket: `rate` requests per second, `burst` at once; above it `429` with
/// `Retry-After: 1`.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    pub rate: f64,
    pub burst: f64,
    pub tokens: f64,
    pub last: Option<Instant>,
}

/// Pushback state of the fake.
#[derive(Default)]
pub(crate) struct Pushback {
    pub log: Vec<Seen>,
    pub storm: Option<Storm>,
    pub bucket: Option<Bucket>,
    /// Of the first this-many PATCHes, each that arrives while another is in flight gets 503.
    pub contention: Option<usize>,
    /// The first PATCH that arrives while this many PATCHes (itself included) are in
    /// flight gets 503; `None` once it has.
    pub refuse_at_level: Option<usize>,
    /// Every PATCH the API answers is held this long (so PATCHes overlap in time).
    pub patch_hold: Option<Duration>,
    /// Every read by names (`POST /work_pools/filter` with a name filter) is held this long.
    pub read_hold: Option<Duration>,
    patches: usize,
}

fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("Retry-After", retry_after)
        .set_body_json(serde_json::json!({"detail": "Too many requests."}))
}

impl Pushback {
    /// The pushback answer to a request arriving `now`, if any; `None` lets the API answer.
    pub(crate) fn refuse(&mut self, now: Instant, route: &str) -> Option<(u16, ResponseTemplate)> {
        let patch = route.starts_with("PATCH ");
        if patch {
            self.patches += 1;
        }
        if let Some(storm) = &mut self.storm {
            if patch && storm.started.is_none() && self.patches > storm.after {
                storm.started = Some(now);
            }
            if storm
                .started
                .is_some_and(|start| now < start + storm.window)
            {
                return Some((429, throttled(storm.retry_after)));
            }
        }
        if let Some(bucket) = &mut self.bucket {
            let last = bucket.last.replace(now).unwrap_or(now);
            bucket.tokens =
                (bucket.tokens + (now - last).as_secs_f64() * bucket.rate).min(bucket.burst);
            if bucket.tokens < 1.0 {
                return Some((429, throttled("1")));
            }
            bucket.tokens -= 1.0;
        }
        if patch {
            let others = self
                .log
                .iter()
                .filter(|s| s.accepted_patch() && s.done > now)
                .count();
            let contended = self.contention.is_some_and(|n| self.patches <= n) && others > 0;
            let level = self.refuse_at_level.filter(|level| others + 1 >= *level);
            if level.is_some() {
                self.refuse_at_level = None;
            }
            if contended || level.is_some() {
                return Some((
                    503,
                    ResponseTemplate::new(503).set_body_json(
                        serde_json::json!({"exception_message": "Service Unavailable"}),
                    ),
                ));
            }
        }
        None
    }

    /// Records a request and holds an accepted PATCH's answer for `patch_hold`, a read by
    /// names for `read_hold`.
    pub(crate) fn record(
        &mut self,
        request: &Request,
        now: Instant,
        route: String,
        pushback: Option<u16>,
        reply: ResponseTemplate,
    ) -> ResponseTemplate {
        let (names, offset) = match route.as_str() {
            "POST /work_pools/filter" => {
                let body: Value = request.body_json().unwrap_or_default();
                let names = body["work_pools"]["name"]["any_"].as_array().map(|names| {
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect()
                });
                (names, body["offset"].as_u64())
            }
            _ => (None, None),
        };
        let hold = match (&pushback, route.starts_with("PATCH "), &names) {
            (None, true, _) => self.patch_hold.unwrap_or_default(),
            (None, false, Some(_)) => self.read_hold.unwrap_or_default(),
            _ => Duration::ZERO,
        };
        self.log.push(Seen {
            at: now,
            route,
            names,
            offset,
            pushback,
            done: now + hold,
        });
        match hold.is_zero() {
            true => reply,
            false => reply.set_delay(hold),
        }
    }
}
