//! The `Range` header (RFC 9110 §14), reduced to the one byte range we answer with.

use std::ops::Range;

#[derive(Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// No usable range: send the whole file (also for syntax we do not understand, as RFC 9110 asks).
    Full,
    /// Send these bytes with 206.
    Partial(Range<u64>),
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Resolves a `Range` header against a file of `len` bytes. An end past the file is trimmed to it;
/// several ranges are answered with the one range covering them all (a server may coalesce).
pub fn resolve(header: &str, len: u64) -> RangeOutcome {
    let Some(specs) = header.trim().strip_prefix("bytes=") else {
        return RangeOutcome::Full;
    };
    let mut covering: Option<Range<u64>> = None;
    let mut any_valid_syntax = false;
    for spec in specs.split(',') {
        let Some(parsed) = parse_spec(spec.trim()) else {
            return RangeOutcome::Full;
        };
        any_valid_syntax = true;
        let Some(range) = satisfiable(parsed, len) else {
            continue;
        };
        covering = Some(match covering {
            Some(c) => c.start.min(range.start)..c.end.max(range.end),
            None => range,
        });
    }
    match covering {
        Some(range) => RangeOutcome::Partial(range),
        None if any_valid_syntax => RangeOutcome::Unsatisfiable,
        None => RangeOutcome::Full,
    }
}

#[derive(Debug, Clone, Copy)]
enum Spec {
    /// `first-` or `first-last`
    From { first: u64, last: Option<u64> },
    /// `-n`: the last n bytes
    Suffix(u64),
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let (first, last) = spec.split_once('-')?;
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if first.is_empty() {
        return number(last).map(Spec::Suffix);
    }
    let first = number(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(number(last)?)
    };
    if last.is_some_and(|last| last < first) {
        return None;
    }
    Some(Spec::From { first, last })
}

fn satisfiable(spec: Spec, len: u64) -> Option<Range<u64>> {
    match spec {
        Spec::From { first, .. } if first >= len => None,
        Spec::From { first, last } => {
            let end = last.map_or(len, |last| last.saturating_add(1).min(len));
            Some(first..end)
        }
        Spec::Suffix(0) => None,
        Spec::Suffix(n) => Some(len.saturating_sub(n)..len),
    }
}

#[cfg(test)]
mod tests {
    use super::RangeOutcome::*;
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(resolve("bytes=0-99", 1000), Partial(0..100));
        assert_eq!(resolve("bytes=900-", 1000), Partial(900..1000));
        assert_eq!(resolve("bytes=-100", 1000), Partial(900..1000));
        assert_eq!(resolve("bytes=999-999", 1000), Partial(999..1000));
    }

    #[test]
    fn ends_past_the_file_are_trimmed() {
        assert_eq!(resolve("bytes=500-5000", 1000), Partial(500..1000));
        assert_eq!(resolve("bytes=-5000", 1000), Partial(0..1000));
    }

    #[test]
    fn unsatisfiable_and_ignored_ranges() {
        assert_eq!(resolve("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(resolve("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(resolve("bytes=0-", 0), Unsatisfiable);
        assert_eq!(
            resolve("bytes=5-2", 1000),
            Full,
            "invalid syntax is ignored"
        );
        assert_eq!(resolve("items=0-5", 1000), Full);
        assert_eq!(resolve("bytes=abc", 1000), Full);
        assert_eq!(resolve("bytes=1-2-3", 1000), Full);
    }

    #[test]
    fn several_ranges_coalesce() {
        assert_eq!(resolve("bytes=0-9, 100-199", 1000), Partial(0..200));
        assert_eq!(resolve("bytes=5000-6000, 10-19", 1000), Partial(10..20));
    }
}
