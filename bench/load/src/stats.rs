//! Percentiles by nearest rank, and number formatting for the figure blocks.

use std::time::Duration;

pub struct Summary {
    pub median: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// None for no samples.
    pub fn of(mut samples: Vec<Duration>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let rank = |q: f64| {
            samples[((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Some(Self {
            median: rank(0.50),
            p95: rank(0.95),
            p99: rank(0.99),
            max: *samples.last().unwrap(),
        })
    }

    pub fn line(&self) -> String {
        format!(
            "median {}  p95 {}  p99 {}  max {}",
            ms(self.median),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Seconds as microseconds, for CPU time per message.
pub fn micros(seconds: f64) -> String {
    format!("{:.1} µs", seconds * 1e6)
}

/// 12345 -> "12,345": the table is read by people.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(samples).unwrap();
        assert_eq!(s.median, Duration::from_millis(50));
        assert_eq!(s.p95, Duration::from_millis(95));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        let one = Summary::of(vec![Duration::from_millis(7)]).unwrap();
        assert_eq!(one.p99, Duration::from_millis(7));
        assert!(Summary::of(vec![]).is_none());
    }

    #[test]
    fn microseconds() {
        assert_eq!(micros(0.0000115), "11.5 µs");
        assert_eq!(micros(0.0), "0.0 µs");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10000), "10,000");
        assert_eq!(thousands(123456789), "123,456,789");
    }
}
