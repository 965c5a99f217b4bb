//! The pools' update, the client's side of a safe write: a timed re-read whose answer starts
//! the window its PATCHes must leave in, and one try of `PATCH /work_pools/{name}` that
//! hands a retry back instead of making it (the caller re-reads the pool first).

use super::{Trips, WorkPool};
use crate::api::endpoints::Client;
use crate::api::endpoints::PAGE_SIZE;
use crate::api::endpoints::path::pool_path;
use crate::api::transport::{Attempt, Retry, Tries};
use crate::error::{Error, Result};
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The shortest time a PATCH may leave after the re-read it follows was answered: a round
/// trip to a local server is far shorter than the scheduling of a batch's writes.
pub(crate) const WINDOW_FLOOR: Duration = Duration::from_millis(500);

/// The end of the window of a read answered just now that took `took`: the latest moment a
/// PATCH based on it may leave (one round trip, the read's own, at least [`WINDOW_FLOOR`];
/// a paced PATCH may take one pacing interval more).
pub(crate) fn window_end(took: Duration) -> Instant {
    Instant::now() + took.max(WINDOW_FLOOR)
}

/// The slowest answer from a server on this host or network: a request to it costs nothing
/// against a budget, and far less than a window.
const LOCAL_TRIP: Duration = Duration::from_millis(20);

/// How long after its send a re-read's window ends, for a re-read answered in `trip` (at
/// most [`WINDOW_FLOOR`] counted; none known, none): its answer plus [`WINDOW_FLOOR`].
fn window_after(trip: Option<Duration>) -> Duration {
    WINDOW_FLOOR + trip.unwrap_or_default().min(WINDOW_FLOOR)
}

/// Pools as the server held them at one moment, and when a PATCH based on them is due.
#[derive(Debug)]
pub(crate) struct Fresh {
    /// The pools found, by name; a name the server does not know is absent.
    pub pools: HashMap<String, WorkPool>,
    /// The latest moment a PATCH may leave on the strength of this read: its answer plus
    /// one round trip (the read's own, at least [`WINDOW_FLOOR`]), plus one pacing interval
    /// when the client paces.
    pub by: Instant,
}

/// Send slots booked back to back for one round of a safe write when the client paces:
/// its re-read's, then one per PATCH, so no other request takes a slot between them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Booking(Vec<Instant>);

impl Booking {
    /// The re-read's slot.
    pub(crate) fn read(&self) -> Option<Instant> {
        self.0.first().copied()
    }

    /// The slot of the round's PATCH number `i` (0-based).
    pub(crate) fn patch(&self, i: usize) -> Option<Instant> {
        self.0.get(i + 1).copied()
    }
}

/// How one try of a PATCH went, as the safe write acts on it.
#[derive(Debug)]
pub(crate) enum WriteAttempt {
    /// The server answered: the write was taken, or refused for good (or the retries ran
    /// out); the error of a lost connection or a 5xx may hide a write that landed.
    Answered(Result<()>),
    /// Not sent: a write slot, pacing or a pause held it past its deadline.
    Late,
    /// Sent and answered with a transient failure: re-read the pool, then try again after
    /// `wait`; `throttled` for a `429` (whose pause the client already holds everyone to).
    Retry {
        /// How long to wait before the re-read.
        wait: Duration,
        /// What the server or the network said.
        error: Error,
        /// Whether it was a `429`.
        throttled: bool,
    },
}

impl Client {
    /// The pools named, in one request (`GET` for one name, a filter by names for more),
    /// with the deadline of the PATCHes that follow it.
    pub(crate) async fn read_fresh(
        &self,
        names: &[String],
        booked: Option<Instant>,
    ) -> Result<Fresh> {
        let sent = Instant::now();
        // Each window starts at the answer, before the parse.
        let (pools, took, by) = match names {
            [name] => {
                let path = pool_path(name);
                let reply = self.send_booked(Method::GET, &path, None, booked).await?;
                let (took, by) = (reply.took, window_end(reply.took));
                match reply.status {
                    StatusCode::NOT_FOUND => (Vec::new(), took, by),
                    _ => (vec![self.parse(Method::GET, &path, reply)?], took, by),
                }
            }
            _ => {
                let path = "/work_pools/filter";
                let body = json!({
                    "work_pools": {"name": {"any_": names}},
                    "limit": names.len().clamp(1, PAGE_SIZE),
                });
                let reply = self.send_booked(Method::POST, path, Some(&body), booked);
                let reply = reply.await?;
                let (took, by) = (reply.took, window_end(reply.took));
                let pools: Vec<WorkPool> = self.parse(Method::POST, path, reply)?;
                (pools, took, by)
            }
        };
        // The lead counts the parse too: the next round's PATCHes wait for it.
        self.trips().record(took, sent.elapsed());
        Ok(Fresh {
            pools: pools.into_iter().map(|p| (p.name.clone(), p)).collect(),
            by,
        })
    }

    /// The window a round's PATCHes are booked in, from its re-read's slot: the re-read's
    /// round trip (the quickest one seen: its window starts at its answer; before the first,
    /// the quickest answer to any request, since none comes back quicker than the link
    /// allows) plus [`WINDOW_FLOOR`].
    fn booking_window(&self) -> Duration {
        window_after(self.trips().quickest().or(self.transport.quickest()))
    }

    /// How long before a round's PATCHes end the next round's re-read may go: a recent
    /// re-read's round trip, its parse included (see [`Trips::lead`]; rounds are alike,
    /// and one answered a little early costs nothing but a PATCH or two left for a later
    /// round), so its answer is ready as they end. At most a quarter of [`WINDOW_FLOOR`]:
    /// a read sent that early would leave its round too little of its window. `None` when
    /// the client paces (a round's slots are booked after the round before) or before the
    /// first re-read, unless the server showed it takes one write at a time: until then
    /// neither the lead nor the server's budget is known (on a rate-limited link, a read
    /// ahead of the listing's round joins its first burst, and a `429` with it). A server
    /// that refused a write of ours for another of ours is limited by its lock (a SQLite
    /// server), not a budget: the listing page's trip leads its first re-read, which then
    /// no longer waits for the listing's round to end (~30 ms idle a run).
    pub(crate) fn read_lead(&self) -> Option<Duration> {
        if self.transport.interval().is_some() {
            return None;
        }
        let one_writer = self.transport.one_writer();
        let lead = self.trips().lead_for(one_writer)?;
        Some(lead.min(WINDOW_FLOOR / 4))
    }

    /// Whether `update --all` sizes its listing pages to the write's window (see
    /// [`crate::commands::write::Backlog`]), decided before its first page: on a link where
    /// a request costs little, not Prefect Cloud, not paced, its first answer (the
    /// defaults', read alongside) within [`LOCAL_TRIP`], or none sent to learn from (the
    /// defaults came from a file). Elsewhere requests count against a budget, and full
    /// pages spend fewer. A remote link's first page leaves up to [`LOCAL_TRIP`] later.
    pub(crate) async fn pages_by_window(&self) -> bool {
        if self.cloud {
            return false;
        }
        let until = Instant::now() + LOCAL_TRIP;
        // The defaults' request starts alongside: give it a moment to leave.
        tokio::time::sleep(Duration::from_millis(1)).await;
        while self.transport.quickest().is_none()
            && self.transport.sent_any()
            && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let quick = match self.transport.quickest() {
            Some(trip) => trip <= LOCAL_TRIP,
            None => !self.transport.sent_any(),
        };
        quick && self.unpaced()
    }

    /// Whether the client does not pace (yet): a `429` may teach it a rate mid-run.
    pub(crate) fn unpaced(&self) -> bool {
        self.transport.interval().is_none()
    }

    /// The latest reads' trips (a panic elsewhere leaves them as they were).
    pub(super) fn trips(&self) -> std::sync::MutexGuard<'_, Trips> {
        self.trips
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many PATCHes may follow one re-read and still leave in its window: all of them
    /// unpaced; paced, as many as have a slot within [`Client::booking_window`] plus one
    /// interval of the re-read's when the round starts on a full bucket.
    pub(crate) fn writes_per_read(&self) -> usize {
        self.transport
            .fits(self.booking_window())
            .unwrap_or(usize::MAX)
    }

    /// Books the slots of a re-read and `patches` PATCHes when the client paces, the last
    /// within [`Client::slots_window`] plus one interval of the first: the round waits for
    /// the bucket to refill that far before its re-read, so every PATCH fits in the re-read's
    /// window (which starts at its answer).
    pub(crate) fn book(&self, patches: usize) -> Booking {
        match self.transport.interval() {
            None => Booking::default(),
            Some(_) => Booking(self.transport.book(patches + 1, self.slots_window())),
        }
    }

    /// The window a round's slots are booked in: [`Client::booking_window`], but with the
    /// quickest answer to any request (re-reads included, so never slower) in place of the
    /// quickest re-read's. A re-read of fewer pools, or one the server is less busy for,
    /// comes back quicker than the quickest so far, and its window ends that much sooner; no
    /// answer comes quicker than the link's. A round of fewer PATCHes than fit then waits a
    /// little longer for the bucket, and its last PATCH still leaves in time (it went late,
    /// and a round of its own cost a re-read and a read-back more).
    fn slots_window(&self) -> Duration {
        window_after(self.transport.quickest())
    }

    /// One try of `PATCH /work_pools/{name}` with only the new base job template, to leave
    /// by `.0` (see [`Fresh::by`]), at the slot `.1` booked for it if any; `spent` counts
    /// the tries before it.
    pub(crate) async fn try_patch(
        &self,
        name: &str,
        template: &Value,
        spent: Tries,
        when: (Instant, Option<Instant>),
    ) -> WriteAttempt {
        let path = pool_path(name);
        // The body written straight from the template, not from a copy of it in a new value
        // (a JSON value's text cannot fail to print).
        let body = Bytes::from(format!("{{\"base_job_template\":{template}}}"));
        let transport = &self.transport;
        let attempt = transport.send_write(&self.csrf, &path, body, spent, when);
        let reply = match attempt.await {
            Attempt::Answered(reply) => reply,
            Attempt::Fatal(error) => return WriteAttempt::Answered(Err(error)),
            Attempt::Retry(Retry::Late | Retry::Token) => return WriteAttempt::Late,
            Attempt::Retry(Retry::Throttled(error)) => {
                let (wait, throttled) = (Duration::ZERO, true);
                return WriteAttempt::Retry {
                    wait,
                    error,
                    throttled,
                };
            }
            Attempt::Retry(Retry::Transient { wait, error }) => {
                let throttled = false;
                return WriteAttempt::Retry {
                    wait,
                    error,
                    throttled,
                };
            }
        };
        WriteAttempt::Answered(match reply.status {
            StatusCode::OK | StatusCode::NO_CONTENT => Ok(()),
            StatusCode::NOT_FOUND => Err(Error::PoolNotFound {
                pool: name.into(),
                url: transport.base().to_string(),
            }),
            StatusCode::FORBIDDEN if WorkPool::is_reserved(name) => {
                Err(Error::ReservedPool { pool: name.into() })
            }
            _ => Err(transport.status_error(Method::PATCH, &path, &reply)),
        })
    }

    /// Waits `wait` (a retry's backoff, counted as pushback) unless a signal comes first.
    pub(crate) async fn wait(&self, wait: Duration) -> Result<()> {
        self.transport.pause(wait).await
    }
}
