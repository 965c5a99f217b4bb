//! The round trips of the latest reads, which time the next round's re-read so that it is
//! answered, and parsed, as the round before it ends (unpaced). One read the server held up
//! (a SQLite checkpoint, a pause of its own) must not send the next one far too early: that
//! re-read's window would then open long before its PATCHes can go, and the round would fit
//! fewer of them.

use std::time::Duration;

/// How many of the latest trips the lead is taken from.
const KEPT: usize = 3;

/// The latest reads' round trips, each from the read's send to its answer parsed.
#[derive(Debug, Default)]
pub(crate) struct Trips {
    latest: [Option<Duration>; KEPT],
    /// Where the next trip goes in `latest`.
    next: usize,
}

impl Trips {
    /// Records a re-read's trip, in place of the oldest of those kept.
    pub(crate) fn record(&mut self, trip: Duration) {
        self.latest[self.next] = Some(trip);
        self.next = (self.next + 1) % KEPT;
    }

    /// The lead of the next read: the median of the trips kept (of two, the shorter), so
    /// that one slow read moves nothing; `None` before any.
    pub(crate) fn lead(&self) -> Option<Duration> {
        let mut kept: Vec<Duration> = self.latest.iter().flatten().copied().collect();
        kept.sort_unstable();
        let middle = kept.len().checked_sub(1)? / 2;
        kept.get(middle).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn one_slow_read_does_not_move_the_lead() {
        let mut trips = Trips::default();
        assert_eq!(trips.lead(), None);
        trips.record(ms(20));
        assert_eq!(trips.lead(), Some(ms(20)));
        // A read held up by the server: of two, the shorter leads.
        trips.record(ms(220));
        assert_eq!(trips.lead(), Some(ms(20)));
        trips.record(ms(22));
        assert_eq!(trips.lead(), Some(ms(22)));
        // Reads that stay slow do move it, once they are most of those kept.
        trips.record(ms(200));
        assert_eq!(trips.lead(), Some(ms(200)));
    }
}
