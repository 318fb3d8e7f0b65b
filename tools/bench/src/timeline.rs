//! A run second by second (or at any step): answers, failures and latency
//! per interval, so that a soak run shows when an outage began and ended as
//! clients saw it, and how latency moved before, during and after.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::stats::{millis, round3};

/// Latencies above a minute are recorded as a minute (the request timeout is lower).
const HIGHEST_MICROS: u64 = 60_000_000;

pub struct Timeline {
    start: Instant,
    step: Duration,
    intervals: Mutex<Vec<Interval>>,
}

struct Interval {
    answers: u64,
    /// Non-2xx answers and requests with no answer.
    failures: u64,
    /// When the first and the last failing request of the interval were sent.
    failed_from: Option<Instant>,
    failed_until: Option<Instant>,
    latency: Histogram<u64>,
}

impl Interval {
    fn new() -> Self {
        // Two significant digits keep hundreds of intervals small; valid bounds, so this cannot fail.
        let latency = Histogram::new_with_bounds(1, HIGHEST_MICROS, 2).expect("valid histogram bounds");
        Interval { answers: 0, failures: 0, failed_from: None, failed_until: None, latency }
    }
}

impl Timeline {
    /// Intervals of `step` from `start` (when measuring begins).
    pub fn new(start: Instant, step: Duration) -> Self {
        Timeline { start, step: step.max(Duration::from_millis(1)), intervals: Mutex::new(Vec::new()) }
    }

    /// One request sent at `sent`, answered 2xx (`ok`) or not, after `latency`.
    pub fn record(&self, sent: Instant, latency: Duration, ok: bool) {
        let Some(since) = sent.checked_duration_since(self.start) else { return };
        let index = (since.as_micros() / self.step.as_micros()) as usize;
        let mut intervals = self.intervals.lock().unwrap_or_else(PoisonError::into_inner);
        while intervals.len() <= index {
            intervals.push(Interval::new());
        }
        let interval = &mut intervals[index];
        interval.answers += 1;
        interval.latency.saturating_record(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1));
        if !ok {
            interval.failures += 1;
            interval.failed_from = Some(interval.failed_from.map_or(sent, |from| from.min(sent)));
            interval.failed_until = Some(interval.failed_until.map_or(sent, |until| until.max(sent)));
        }
    }

    /// One JSON object per interval: its start (s), requests, failures, p50 and p99 (ms).
    pub fn intervals(&self) -> Vec<Value> {
        let intervals = self.intervals.lock().unwrap_or_else(PoisonError::into_inner);
        let step = self.step.as_secs_f64();
        intervals
            .iter()
            .enumerate()
            .map(|(index, interval)| {
                json!({
                    "at_s": round3(index as f64 * step),
                    "requests": interval.answers,
                    "failures": interval.failures,
                    "p50_ms": round3(millis(&interval.latency, 0.5)),
                    "p99_ms": round3(millis(&interval.latency, 0.99)),
                })
            })
            .collect()
    }

    /// The outages clients saw: runs of consecutive intervals with failures,
    /// each from its first failing request to its last (s from the start).
    pub fn outages(&self) -> Vec<Value> {
        let intervals = self.intervals.lock().unwrap_or_else(PoisonError::into_inner);
        let mut outages = Vec::new();
        let mut current: Option<(Instant, Instant, u64)> = None;
        for interval in intervals.iter() {
            match (interval.failed_from.zip(interval.failed_until), current.as_mut()) {
                (Some((_, until)), Some(open)) => {
                    open.1 = until;
                    open.2 += interval.failures;
                }
                (Some((from, until)), None) => current = Some((from, until, interval.failures)),
                (None, _) => {
                    if let Some(outage) = current.take() {
                        outages.push(self.outage(outage));
                    }
                }
            }
        }
        outages.extend(current.map(|outage| self.outage(outage)));
        outages
    }

    fn outage(&self, (from, until, failures): (Instant, Instant, u64)) -> Value {
        json!({
            "from_s": round3(from.duration_since(self.start).as_secs_f64()),
            "lasted_ms": round3(until.duration_since(from).as_secs_f64() * 1000.0),
            "failures": failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_in_their_interval_and_outages_span_failing_intervals() {
        let start = Instant::now();
        let timeline = Timeline::new(start, Duration::from_secs(1));
        let at = |ms: u64| start + Duration::from_millis(ms);
        for ms in (0..6000).step_by(100) {
            // Failures from 2.3 s to 3.4 s: two intervals, one outage of 1.1 s.
            let ok = !(2300..=3400).contains(&ms);
            timeline.record(at(ms), Duration::from_millis(if ok { 2 } else { 40 }), ok);
        }
        let intervals = timeline.intervals();
        assert_eq!(intervals.len(), 6);
        assert_eq!(intervals[0]["requests"], 10);
        assert_eq!(intervals[0]["failures"], 0);
        assert_eq!(intervals[2]["failures"], 7, "2.3 to 2.9 s");
        assert_eq!(intervals[3]["failures"], 5, "3.0 to 3.4 s");
        assert!((intervals[2]["p99_ms"].as_f64().unwrap() - 40.0).abs() < 0.5);
        assert!((intervals[0]["p50_ms"].as_f64().unwrap() - 2.0).abs() < 0.05);
        let outages = timeline.outages();
        assert_eq!(outages.len(), 1, "{outages:?}");
        assert_eq!(outages[0]["from_s"], 2.3);
        assert_eq!(outages[0]["lasted_ms"], 1100.0);
        assert_eq!(outages[0]["failures"], 12);
    }

    #[test]
    fn outages_apart_are_counted_apart() {
        let start = Instant::now();
        let timeline = Timeline::new(start, Duration::from_millis(500));
        for (ms, ok) in [(100, false), (200, false), (700, true), (1200, false), (1300, true)] {
            timeline.record(start + Duration::from_millis(ms), Duration::from_millis(1), ok);
        }
        let outages = timeline.outages();
        assert_eq!(outages.len(), 2, "{outages:?}");
        assert_eq!(outages[0]["lasted_ms"], 100.0);
        assert_eq!(outages[1]["from_s"], 1.2);
    }
}
