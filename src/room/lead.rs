//! How far ahead a scheduled start is set: far enough that the slowest viewer's page hears the
//! `play` before the moment it names, so everyone starts together instead of the slow ones
//! jumping to catch up. Pure: callers pass the time.

use std::collections::VecDeque;

/// The shortest lead (ms): even on a quiet LAN a page needs a moment to hear and start.
pub const MIN_LEAD_MS: u64 = 250;
/// The longest lead (ms): a press of play should not feel ignored.
pub const MAX_LEAD_MS: u64 = 1000;
/// A round trip counts this long after it was reported (ms).
pub const RTT_MEMORY_MS: u64 = 30_000;

/// The lead for a room whose slowest present viewer reported `highest_rtt_ms` lately (None when
/// nobody did): twice that round trip, from [`MIN_LEAD_MS`] to [`MAX_LEAD_MS`].
pub fn lead_ms(highest_rtt_ms: Option<f64>) -> u64 {
    let doubled = highest_rtt_ms.map_or(0.0, |rtt| (rtt * 2.0).ceil());
    (doubled as u64).clamp(MIN_LEAD_MS, MAX_LEAD_MS)
}

/// One viewer's round trips of the last [`RTT_MEMORY_MS`], kept as a queue whose round trips
/// decrease from front to back: a report is dropped as soon as a later one is at least as large,
/// since it can never be the highest again. So the highest is at the front, and the queue stays
/// short (usually one or two entries) however often a page reports.
#[derive(Clone, Debug, Default)]
pub struct RecentRtt {
    /// (reported at, round trip in ms)
    samples: VecDeque<(u64, f64)>,
}

impl RecentRtt {
    pub fn record(&mut self, now: u64, rtt_ms: f64) {
        self.forget_old(now);
        while self.samples.back().is_some_and(|&(_, rtt)| rtt <= rtt_ms) {
            self.samples.pop_back();
        }
        self.samples.push_back((now, rtt_ms));
    }

    /// The highest round trip reported within the memory, if any.
    pub fn highest(&self, now: u64) -> Option<f64> {
        self.samples
            .iter()
            .find(|&&(at, _)| fresh(at, now))
            .map(|&(_, rtt)| rtt)
    }

    fn forget_old(&mut self, now: u64) {
        while self.samples.front().is_some_and(|&(at, _)| !fresh(at, now)) {
            self.samples.pop_front();
        }
    }
}

fn fresh(reported_at: u64, now: u64) -> bool {
    now < reported_at.saturating_add(RTT_MEMORY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_is_twice_the_round_trip_within_its_bounds() {
        assert_eq!(lead_ms(None), 250);
        assert_eq!(lead_ms(Some(20.0)), 250);
        assert_eq!(lead_ms(Some(125.0)), 250);
        assert_eq!(lead_ms(Some(180.0)), 360);
        assert_eq!(lead_ms(Some(250.4)), 501);
        assert_eq!(lead_ms(Some(500.0)), 1000);
        assert_eq!(lead_ms(Some(60_000.0)), 1000);
    }

    #[test]
    fn the_highest_round_trip_counts_for_thirty_seconds() {
        let mut rtt = RecentRtt::default();
        assert_eq!(rtt.highest(0), None);
        rtt.record(1_000, 200.0);
        rtt.record(2_000, 50.0);
        rtt.record(3_000, 80.0);
        assert_eq!(rtt.highest(3_000), Some(200.0));
        assert_eq!(rtt.highest(30_999), Some(200.0));
        // The 200 ms report expires; the 80 ms one, later, outlived the 50 ms one.
        assert_eq!(rtt.highest(31_000), Some(80.0));
        assert_eq!(rtt.highest(32_999), Some(80.0));
        assert_eq!(rtt.highest(33_000), None);
    }

    #[test]
    fn frequent_reports_keep_the_queue_short() {
        let mut rtt = RecentRtt::default();
        for n in 0..10_000u64 {
            rtt.record(n * 500, 100.0 + (n % 7) as f64);
        }
        assert!(rtt.samples.len() <= 7, "{}", rtt.samples.len());
        assert_eq!(rtt.highest(10_000 * 500), Some(106.0));
    }
}
