//! Per-control tallies of a scan, their merging across files and threads, and the alarm
//! evaluation over the per-period counts.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use crate::preset::Alarm;

/// A fast seeded hasher for the tallies (short byte keys and period numbers).
#[derive(Clone, Copy)]
pub struct SeededState(u64);

impl Default for SeededState {
    fn default() -> SeededState {
        use std::sync::OnceLock;
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(0x7472_6169_6c77_6172u64)
        });
        SeededState(seed | 1)
    }
}

pub struct SeededHasher(u64);

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for SeededHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h ^ w).wrapping_mul(MUL).rotate_left(29);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(w))
                .wrapping_mul(MUL)
                .rotate_left(29);
        }
        self.0 = h;
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(MUL).rotate_left(29);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        let h = self.0;
        (h ^ (h >> 31)).wrapping_mul(MUL) ^ (h >> 27)
    }
}

impl BuildHasher for SeededState {
    type Hasher = SeededHasher;
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher(self.0)
    }
}

pub type FastMap<K, V> = HashMap<K, V, SeededState>;

/// At most this many distinct values are tallied per top list.
pub const TOP_CAPACITY: usize = 10_000;

/// Counts of distinct values in bounded memory: exact while there are at most `cap` distinct
/// values; beyond, all counts are lowered together (as in the Misra–Gries summary) so that a
/// value more frequent than `2 * total / cap` is always kept, its count low by at most that
/// much, and [`TopK::approximate`] is set.
#[derive(Debug, Clone)]
pub struct TopK {
    map: FastMap<Box<[u8]>, u64>,
    cap: usize,
    pub approximate: bool,
}

impl Default for TopK {
    fn default() -> TopK {
        TopK::new(TOP_CAPACITY)
    }
}

impl TopK {
    pub fn new(cap: usize) -> TopK {
        TopK {
            map: FastMap::default(),
            cap: cap.max(1),
            approximate: false,
        }
    }

    pub fn add(&mut self, key: &[u8], n: u64) {
        if let Some(c) = self.map.get_mut(key) {
            *c += n;
            return;
        }
        if self.map.len() >= self.cap {
            self.shrink();
        }
        self.map.insert(key.into(), n);
    }

    /// Adds `other`'s counts (and empties it).
    pub fn merge(&mut self, other: &mut TopK) {
        self.approximate |= other.approximate;
        for (k, n) in other.map.drain() {
            *self.map.entry(k).or_insert(0) += n;
        }
        if self.map.len() > self.cap {
            self.shrink();
        }
    }

    /// Lowers every count by the same amount so that at most half the capacity stays in use
    /// (each value's count is then low by at most `total / (cap / 2)`).
    fn shrink(&mut self) {
        self.approximate = true;
        let mut counts: Vec<u64> = self.map.values().copied().collect();
        let keep = (self.cap / 2).min(counts.len() - 1);
        let (_, cut, _) = counts.select_nth_unstable_by(keep, |a, b| b.cmp(a));
        let cut = *cut;
        self.map.retain(|_, c| {
            *c = c.saturating_sub(cut);
            *c > 0
        });
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.approximate = false;
    }

    /// The `n` most frequent values, most frequent first (ties by value).
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(&[u8], u64)> = self.map.iter().map(|(k, v)| (&k[..], *v)).collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.into_iter()
            .take(n)
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v))
            .collect()
    }

    pub fn distinct(&self) -> usize {
        self.map.len()
    }
}

/// What a control matched.
#[derive(Debug, Clone, Default)]
pub struct ControlStats {
    pub matches: u64,
    /// Matches without a usable `eventTime` (counted, but in no period).
    pub untimed: u64,
    /// Matches per period number (`eventTime / period`, rounded down).
    pub periods: FastMap<i64, u64>,
    pub principals: TopK,
    pub source_ips: TopK,
    pub event_names: TopK,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl ControlStats {
    pub fn record(&mut self, time: Option<i64>, period: i64, fields: &[&[u8]; 3]) {
        self.matches += 1;
        match time {
            Some(t) => {
                *self.periods.entry(t.div_euclid(period)).or_insert(0) += 1;
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
            }
            None => self.untimed += 1,
        }
        self.principals.add(fields[0], 1);
        self.source_ips.add(fields[1], 1);
        self.event_names.add(fields[2], 1);
    }

    /// Adds `other` (and empties it).
    pub fn merge(&mut self, other: &mut ControlStats) {
        self.matches += other.matches;
        self.untimed += other.untimed;
        for (p, n) in other.periods.drain() {
            *self.periods.entry(p).or_insert(0) += n;
        }
        self.principals.merge(&mut other.principals);
        self.source_ips.merge(&mut other.source_ips);
        self.event_names.merge(&mut other.event_names);
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        other.clear();
    }

    pub fn clear(&mut self) {
        self.matches = 0;
        self.untimed = 0;
        self.periods.clear();
        self.principals.clear();
        self.source_ips.clear();
        self.event_names.clear();
        self.first = None;
        self.last = None;
    }
}

/// A run of consecutive periods in which the alarm is in ALARM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmInterval {
    /// Start of the first period and end of the last, in seconds since the epoch.
    pub start: i64,
    pub end: i64,
    pub periods: u64,
    /// Matches within the interval.
    pub matches: u64,
}

/// How the alarm would have behaved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlarmOutcome {
    /// Periods whose datapoint breaches the threshold.
    pub breaching_datapoints: u64,
    /// Periods at the end of which the alarm is in ALARM (`datapoints_to_alarm` of the last
    /// `evaluation_periods` datapoints breach); equals `breaching_datapoints` for 1 out of 1.
    pub breaching_periods: u64,
    /// Transitions into ALARM: the notifications that would have been sent.
    pub alarms: u64,
    pub intervals: Vec<AlarmInterval>,
    /// The busiest period: its start and its match count.
    pub peak: Option<(i64, u64)>,
}

/// Whether one period's datapoint breaches. A metric filter publishes 1 per matching event,
/// so Sum and SampleCount are the match count, and Average, Minimum and Maximum are 1.
pub fn datapoint_breaches(count: u64, alarm: &Alarm) -> bool {
    let value = match alarm.statistic.as_str() {
        "Sum" | "SampleCount" => count as f64,
        _ => 1.0,
    };
    let t = alarm.threshold;
    match alarm.comparison.as_str() {
        "GreaterThanThreshold" => value > t,
        "LessThanThreshold" => value < t,
        "LessThanOrEqualToThreshold" => value <= t,
        _ => value >= t,
    }
}

/// Evaluates the alarm over per-period counts. Periods without matches have no datapoint and
/// never breach.
pub fn evaluate(periods: &FastMap<i64, u64>, alarm: &Alarm, max_intervals: usize) -> AlarmOutcome {
    let period = i64::from(alarm.period.max(1));
    let mut sorted: Vec<(i64, u64)> = periods.iter().map(|(k, v)| (*k, *v)).collect();
    sorted.sort_unstable();
    let mut out = AlarmOutcome {
        peak: sorted
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(p, n)| (p * period, *n)),
        ..AlarmOutcome::default()
    };
    let breaching: Vec<i64> = sorted
        .iter()
        .filter(|(_, n)| datapoint_breaches(*n, alarm))
        .map(|(p, _)| *p)
        .collect();
    out.breaching_datapoints = breaching.len() as u64;
    let n = i64::from(alarm.evaluation_periods.max(1));
    let m = i64::from(
        alarm
            .datapoints_to_alarm
            .clamp(1, alarm.evaluation_periods.max(1)),
    );
    // A breaching datapoint at p counts in the windows ending at p ..= p + n - 1: sweep the
    // +1 / -1 changes in order.
    let mut changes: Vec<(i64, i64)> = Vec::with_capacity(breaching.len() * 2);
    for &p in &breaching {
        changes.push((p, 1));
        changes.push((p + n, -1));
    }
    changes.sort_unstable();
    let mut count = 0i64;
    let mut i = 0;
    let mut open: Option<i64> = None;
    let matches_in = |from: i64, to: i64| -> u64 {
        let a = sorted.partition_point(|(p, _)| *p < from);
        let b = sorted.partition_point(|(p, _)| *p < to);
        sorted[a..b].iter().map(|(_, c)| c).sum()
    };
    while i < changes.len() {
        let at = changes[i].0;
        while i < changes.len() && changes[i].0 == at {
            count += changes[i].1;
            i += 1;
        }
        let alarming = count >= m;
        match (open, alarming) {
            (None, true) => open = Some(at),
            (Some(start), false) => {
                out.breaching_periods += (at - start) as u64;
                out.alarms += 1;
                if out.intervals.len() < max_intervals {
                    out.intervals.push(AlarmInterval {
                        start: start * period,
                        end: at * period,
                        periods: (at - start) as u64,
                        matches: matches_in(start, at),
                    });
                }
                open = None;
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset::AlarmSettings;

    fn alarm(threshold: f64, n: i32, m: i32) -> Alarm {
        AlarmSettings {
            threshold: Some(threshold),
            evaluation_periods: Some(n),
            datapoints_to_alarm: Some(m),
            ..AlarmSettings::default()
        }
        .resolve()
    }

    fn periods(list: &[(i64, u64)]) -> FastMap<i64, u64> {
        list.iter().copied().collect()
    }

    #[test]
    fn one_out_of_one() {
        let p = periods(&[(10, 1), (11, 3), (13, 1), (20, 2)]);
        let o = evaluate(&p, &alarm(1.0, 1, 1), 100);
        assert_eq!(o.breaching_datapoints, 4);
        assert_eq!(o.breaching_periods, 4);
        assert_eq!(o.alarms, 3);
        assert_eq!(
            o.intervals[0],
            AlarmInterval {
                start: 3000,
                end: 3600,
                periods: 2,
                matches: 4
            }
        );
        assert_eq!(o.peak, Some((3300, 3)));
        let o = evaluate(&p, &alarm(2.0, 1, 1), 1);
        assert_eq!((o.breaching_periods, o.alarms), (2, 2));
        assert_eq!(o.intervals.len(), 1);
        assert_eq!(
            evaluate(&periods(&[]), &alarm(1.0, 1, 1), 10),
            AlarmOutcome::default()
        );
    }

    #[test]
    fn m_out_of_n() {
        // 2 of 3: breaching at 10 and 12 -> windows ending at 12 (10,11,12) hold two.
        let p = periods(&[(10, 1), (12, 1), (20, 1)]);
        let o = evaluate(&p, &alarm(1.0, 3, 2), 100);
        assert_eq!(o.breaching_datapoints, 3);
        assert_eq!(o.breaching_periods, 1);
        assert_eq!(o.alarms, 1);
        assert_eq!(o.intervals[0].start, 3600);
        // 1 of 3: each breach keeps the alarm on for three evaluations.
        let o = evaluate(&p, &alarm(1.0, 3, 1), 100);
        assert_eq!((o.breaching_periods, o.alarms), (8, 2));
        // 3 of 3 never happens here.
        let o = evaluate(&p, &alarm(1.0, 3, 3), 100);
        assert_eq!((o.breaching_periods, o.alarms), (0, 0));
    }

    #[test]
    fn comparisons_and_statistics() {
        let mut a = alarm(2.0, 1, 1);
        assert!(datapoint_breaches(2, &a));
        a.comparison = "GreaterThanThreshold".into();
        assert!(!datapoint_breaches(2, &a));
        a.comparison = "LessThanThreshold".into();
        assert!(datapoint_breaches(1, &a));
        a.statistic = "Maximum".into();
        a.comparison = "GreaterThanOrEqualToThreshold".into();
        assert!(!datapoint_breaches(5, &a));
    }

    #[test]
    fn top_k_is_exact_within_capacity_and_bounded_beyond() {
        let mut t = TopK::new(3);
        for k in ["a", "b", "a", "c", "a", "b"] {
            t.add(k.as_bytes(), 1);
        }
        assert_eq!(
            t.top(5),
            vec![("a".into(), 3), ("b".into(), 2), ("c".into(), 1)]
        );
        assert!(!t.approximate);
        for i in 0..100 {
            t.add(format!("x{i}").as_bytes(), 1);
            t.add(b"a", 1);
        }
        assert!(t.approximate);
        assert!(t.distinct() <= 3);
        assert_eq!(t.top(1)[0].0, "a");
        let mut u = TopK::new(3);
        u.add(b"z", 500);
        u.add(b"y", 1);
        t.merge(&mut u);
        assert!(t.distinct() <= 3);
        assert_eq!(t.top(1)[0].0, "z");
    }

    #[test]
    fn merge_stats() {
        let mut a = ControlStats::default();
        let mut b = ControlStats::default();
        a.record(Some(600), 300, &[b"p", b"ip", b"n"]);
        b.record(Some(650), 300, &[b"p", b"ip2", b"n"]);
        b.record(None, 300, &[b"q", b"ip2", b"n"]);
        a.merge(&mut b);
        assert_eq!(a.matches, 3);
        assert_eq!(a.untimed, 1);
        assert_eq!(a.periods.get(&2), Some(&2));
        assert_eq!(a.first, Some(600));
        assert_eq!(a.last, Some(650));
        assert_eq!(a.principals.top(1), vec![("p".into(), 2)]);
        assert_eq!(b.matches, 0);
    }
}
