//! The round trips of the re-reads. The latest ones time the next round's re-read so that
//! it is answered, and parsed, as the round before it ends (unpaced). One read the server
//! held up (a SQLite checkpoint, a pause of its own) must not send the next one far too
//! early: that re-read's window would then open long before its PATCHes can go, and the
//! round would fit fewer of them. The quickest one widens a paced round's booking: a
//! re-read's window starts at its answer, so its PATCHes may be booked that much later than
//! its slot.

use std::time::Duration;

/// How many of the latest trips the lead is taken from.
const KEPT: usize = 3;

/// The re-reads' round trips.
#[derive(Debug, Default)]
pub(crate) struct Trips {
    /// The latest ones, each from the read's send to its answer parsed.
    latest: [Option<Duration>; KEPT],
    /// Where the next trip goes in `latest`.
    next: usize,
    /// The quickest one so far, from the send to the answer (before the parse).
    quickest: Option<Duration>,
    /// The latest listing page's, from its send to its answer parsed.
    listing: Option<Duration>,
}

impl Trips {
    /// Records a re-read answered `answered` after its send and parsed `parsed` after it,
    /// in place of the oldest of those kept.
    pub(crate) fn record(&mut self, answered: Duration, parsed: Duration) {
        self.latest[self.next] = Some(parsed);
        self.next = (self.next + 1) % KEPT;
        self.quickest = Some(self.quickest.map_or(answered, |q| q.min(answered)));
    }

    /// Records a listing page parsed `parsed` after its send: the one read timed before the
    /// first re-read.
    pub(crate) fn record_listing(&mut self, parsed: Duration) {
        self.listing = Some(parsed);
    }

    /// The quickest re-read's round trip, its parse left out; `None` before any.
    pub(crate) fn quickest(&self) -> Option<Duration> {
        self.quickest
    }

    /// The lead of the next read: [`Trips::lead`]; before the first re-read, on a server
    /// that takes one write at a time (`one_writer`), the latest listing page's trip. Such
    /// a server is limited by its lock, not by a request budget that a read ahead of the
    /// listing's round would burst into.
    pub(crate) fn lead_for(&self, one_writer: bool) -> Option<Duration> {
        match self.lead() {
            None if one_writer => self.listing,
            lead => lead,
        }
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
        trips.record(ms(15), ms(20));
        assert_eq!(trips.lead(), Some(ms(20)));
        // A read held up by the server: of two, the shorter leads.
        trips.record(ms(215), ms(220));
        assert_eq!(trips.lead(), Some(ms(20)));
        trips.record(ms(17), ms(22));
        assert_eq!(trips.lead(), Some(ms(22)));
        // Reads that stay slow do move it, once they are most of those kept.
        trips.record(ms(195), ms(200));
        assert_eq!(trips.lead(), Some(ms(200)));
    }

    #[test]
    fn the_quickest_trip_leaves_the_parse_out_and_is_kept() {
        let mut trips = Trips::default();
        assert_eq!(trips.quickest(), None);
        trips.record(ms(30), ms(34));
        trips.record(ms(12), ms(90));
        // Long after it left the latest ones, the quickest stays.
        for _ in 0..KEPT {
            trips.record(ms(40), ms(41));
        }
        assert_eq!(trips.quickest(), Some(ms(12)));
        assert_eq!(trips.lead(), Some(ms(41)));
    }

    #[test]
    fn a_listing_page_is_timed_apart_from_the_re_reads() {
        let mut trips = Trips::default();
        trips.record_listing(ms(46));
        // Neither leads as a re-read would nor widens a booking.
        assert_eq!((trips.lead(), trips.quickest()), (None, None));
        // The latest one counts.
        trips.record_listing(ms(20));
        assert_eq!(trips.lead_for(true), Some(ms(20)));
    }

    #[test]
    fn the_listing_leads_the_first_re_read_only_on_a_server_of_one_writer() {
        let mut trips = Trips::default();
        assert_eq!(trips.lead_for(true), None);
        trips.record_listing(ms(46));
        // A rate-limited link: no read ahead before the first re-read.
        assert_eq!(trips.lead_for(false), None);
        // A server that takes one write at a time: the listing page's trip leads.
        assert_eq!(trips.lead_for(true), Some(ms(46)));
        // Once a re-read was timed, it leads, whatever the server.
        trips.record(ms(18), ms(22));
        assert_eq!(trips.lead_for(true), Some(ms(22)));
        assert_eq!(trips.lead_for(false), Some(ms(22)));
    }
}
