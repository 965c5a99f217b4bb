//! How many writes one client keeps in flight: [`WriteLimit`], additive increase and
//! multiplicative decrease over the server's `503`s, that learns a server's write
//! concurrency and keeps it.
//!
//! - It starts at one write in flight and, until the first `503` (slow start), grows by
//!   half of each flight that used the limit (as many writes in flight as allowed): 1, 2,
//!   3, 4; past four by about one per such flight (each success adds `1/limit`): 5, 6, 6,
//!   7, 8. Lone writes while more were allowed show nothing. Not doubling: a SQLite server
//!   sometimes lets a flight of two through (the second write waits out the first), and a
//!   flight of four then costs three collisions at once, a flight of three at most two.
//!   About one at a time past four: a rate-limited server (Prefect Cloud) throttles every
//!   write in flight when its burst runs out, before its first `429` can slow the next. A
//!   `503` (a SQLite server's lock contention) halves it and remembers where it happened;
//!   each success then adds `1/limit` up to just below that point, and probes past it
//!   [`CAUTION`] times slower.
//! - A `503` to a write that overlapped another write of ours is a collision with our own
//!   write: the server took the other one. The second such collision at or below the level
//!   of an earlier one settles the server's concurrency: the limit never again goes past one
//!   below it, and the probing stops (not one collision every ~16 writes).
//! - A flight of writes of which the server refused all but some (a collision each) shows
//!   what it takes at once: when the last write of the flight the first collision came in
//!   ends, two or more collisions, and not all refused, settle the concurrency at the most
//!   of its writes in flight at once less those refused: a flight of three on a SQLite
//!   server, two refused, settles at one. So does a flight of two, one refused and one
//!   taken: a SQLite server costs one collision per run (its slow start's first flight of
//!   two), not two. A write that ended before another of the flight started was never in
//!   flight with it, so the two do not count as taken at once. A flight refused whole (a
//!   server restarting) settles nothing.
//! - [`Ticket::collided`] tells the caller when a `503` was such a collision: its retry may go
//!   as soon as the write it collided with ends, not after a backoff.
//!
//! Plain arithmetic, unit-tested in `write_limit/tests.rs`; the gate wraps it for async use.

/// In slow start, what each success of a full flight adds, once more than one write is
/// allowed: a flight grows by half (a flight of one grows to two).
const SLOW_START_STEP: f64 = 0.5;
/// Past this many writes in flight, slow start grows by about one per full flight (`1/limit`
/// per success, as after a `503`): the writes in flight when a rate limit's burst runs out
/// are all throttled (the Cloud-like bench: 3 or 4 of them, against 3 to 7 growing by half).
const SLOW_START_UNTIL: f64 = 4.0;
/// Past the limit where the last 503 came, the limit grows this many times slower.
pub(super) const CAUTION: f64 = 16.0;
/// Collisions with our own writes, at or below one level, that settle the concurrency.
pub(super) const SETTLE_AFTER: u32 = 2;

/// Writes allowed in flight, additive increase and multiplicative decrease.
#[derive(Debug, Clone)]
pub(super) struct WriteLimit {
    limit: f64,
    max: usize,
    /// The limit at which the last 503 came.
    contended_at: Option<f64>,
    /// Collisions with our own writes so far, and the lowest level one came at.
    collisions: u32,
    collided_at: Option<usize>,
    /// The concurrency the server showed it takes, once settled.
    settled: Option<usize>,
    /// The flight the last first collision came in, until its last write ends.
    flight: Option<Flight>,
    in_flight: usize,
    /// Whether the writes in flight since the last start from idle reached the limit.
    full: bool,
    /// Writes ended so far: a write that sees this move during its flight overlapped one.
    ended: u64,
    /// How often the limit was lowered; a write remembers the count it started under, and
    /// only a 503 to a write started since the last decrease lowers it again.
    pub decreases: u64,
}

/// One write's place in the limit, taken when it starts and handed back when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ticket {
    /// The count of decreases it started under.
    epoch: u64,
    /// Other writes in flight when it started.
    others: usize,
    /// Writes ended before it started.
    ended: u64,
}

/// The writes in flight together when one of them collided, counted until the last ends.
#[derive(Debug, Clone, Copy)]
struct Flight {
    /// The decreases its writes started under.
    epoch: u64,
    /// The most of its writes in flight at once: of the one that collided and those in
    /// flight with it, the most that any of them started with (itself included). Not every
    /// write that overlapped it: in a stream of writes, one that ended before another
    /// started was never in flight with it, and counting both as taken at once would settle
    /// a SQLite server at two.
    size: usize,
    /// Its writes still in flight.
    pending: usize,
    /// Its writes answered with a collision.
    collisions: usize,
}

/// How a write's end was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ended {
    /// A `503` to a write that overlapped another write of this client: the server was busy
    /// with ours, so a retry may go as soon as ours are done.
    pub collided: bool,
}

impl WriteLimit {
    /// Starts at one write in flight and grows by half per full flight (slow start), past
    /// [`SLOW_START_UNTIL`] by about one, until the first 503 or `max`.
    pub(super) fn new(max: usize) -> WriteLimit {
        WriteLimit {
            limit: 1.0,
            max: max.max(1),
            contended_at: None,
            collisions: 0,
            collided_at: None,
            settled: None,
            flight: None,
            in_flight: 0,
            full: false,
            ended: 0,
            decreases: 0,
        }
    }

    /// Writes allowed in flight now.
    pub(super) fn allowed(&self) -> usize {
        (self.limit.floor() as usize).clamp(1, self.ceiling())
    }

    /// The concurrency the server showed it takes, once collisions settled it.
    pub(super) fn settled(&self) -> Option<usize> {
        self.settled
    }

    /// Takes a slot if one is free; the ticket goes back to [`WriteLimit::end`].
    pub(super) fn try_start(&mut self) -> Option<Ticket> {
        if self.in_flight >= self.allowed() {
            return None;
        }
        let ticket = Ticket {
            epoch: self.decreases,
            others: self.in_flight,
            ended: self.ended,
        };
        if self.in_flight == 0 {
            self.full = false;
        }
        self.in_flight += 1;
        self.full |= self.in_flight >= self.allowed();
        Some(ticket)
    }

    /// A write ended; `contended` when the server answered 503. Answers to writes sent
    /// before the last decrease lower the limit once: they were sent under the old limit.
    pub(super) fn end(&mut self, ticket: Ticket, contended: bool) -> Ended {
        // Another write overlapped this one: it was in flight at the start, is still in
        // flight, or ended meanwhile.
        let overlapped = ticket.others > 0 || self.in_flight > 1 || self.ended > ticket.ended;
        self.in_flight = self.in_flight.saturating_sub(1);
        self.ended += 1;
        let collided = contended && overlapped;
        self.count_flight(ticket, collided);
        if !contended {
            // Only writes of a flight that used the limit (as many in flight as allowed)
            // show the server takes that many: lone writes while more were allowed show
            // nothing.
            if self.full {
                self.grow();
            }
            return Ended { collided };
        }
        if ticket.epoch != self.decreases {
            return Ended { collided };
        }
        let level = self.allowed();
        if collided {
            self.collide(level);
            // Its flight: itself and the writes still in flight.
            let flight = Flight {
                epoch: ticket.epoch,
                size: (self.in_flight + 1).max(ticket.others + 1),
                pending: self.in_flight,
                collisions: 1,
            };
            match flight.pending {
                // The others of its flight ended before it: the flight is done.
                0 => self.flight_done(flight),
                _ => self.flight = Some(flight),
            }
        }
        self.contended_at = Some(self.limit);
        self.limit = (self.limit / 2.0).max(1.0);
        self.decreases += 1;
        Ended { collided }
    }

    /// A slot was taken but nothing was sent (the request failed before it left).
    pub(super) fn cancel(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn grow(&mut self) {
        let ceiling = self.ceiling() as f64;
        let step = match self.contended_at {
            None if self.limit < 2.0 => 1.0,
            None if self.limit < SLOW_START_UNTIL => SLOW_START_STEP,
            Some(at) if self.limit.floor() + 1.0 >= at.floor() => 1.0 / (self.limit * CAUTION),
            // Past slow start's threshold, or below where the last 503 came: additive.
            _ => 1.0 / self.limit,
        };
        self.limit = (self.limit + step).min(ceiling);
    }

    /// A collision with our own write at `level` writes in flight: the second at or below
    /// the level of an earlier one settles the concurrency one below it.
    fn collide(&mut self, level: usize) {
        let again = self.collided_at.is_some_and(|at| level <= at);
        self.collisions = if again { self.collisions + 1 } else { 1 };
        self.collided_at = Some(self.collided_at.map_or(level, |at| at.min(level)));
        if self.collisions >= SETTLE_AFTER {
            self.settle(level.saturating_sub(1).max(1));
        }
    }

    /// One more write of the flight being counted ended; at its last, a flight refused all
    /// but some settles the concurrency at the most of its writes in flight at once, less
    /// those refused.
    fn count_flight(&mut self, ticket: Ticket, collided: bool) {
        let Some(flight) = self.flight.as_mut().filter(|f| f.epoch == ticket.epoch) else {
            return;
        };
        flight.pending = flight.pending.saturating_sub(1);
        flight.collisions += usize::from(collided);
        flight.size = flight.size.max(ticket.others + 1);
        if flight.pending > 0 {
            return;
        }
        let done = *flight;
        self.flight = None;
        self.flight_done(done);
    }

    /// The last write of a flight with a collision ended: a flight refused all but some
    /// settles the concurrency at the most of its writes in flight at once, less those
    /// refused.
    fn flight_done(&mut self, done: Flight) {
        // One of two refused, the other taken: the server takes one writer at a time. That
        // settles at once: a second collision to confirm it would cost as much as the first,
        // and a server that takes more writers does not refuse the second of two for
        // contention (a restart refuses both, which settles nothing).
        let one_of_two = done.size == 2 && done.collisions == 1;
        if (done.collisions >= SETTLE_AFTER as usize || one_of_two) && done.collisions < done.size {
            self.settle(done.size - done.collisions);
        }
    }

    /// The server showed it takes `keep` writes at once: the limit never again goes past it
    /// (nor past a lower level settled before).
    fn settle(&mut self, keep: usize) {
        self.settled = Some(self.settled.map_or(keep, |s| s.min(keep)));
    }

    /// The most writes ever allowed: `max`, or what the server showed it takes.
    fn ceiling(&self) -> usize {
        self.settled.map_or(self.max, |s| s.min(self.max))
    }
}

#[cfg(test)]
mod tests;
