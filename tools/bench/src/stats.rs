//! What a run measured: latencies in an HDR histogram (microseconds, 3
//! significant digits), per query kind and overall, plus byte and error counts.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::mix::Kind;

/// Latencies above this are recorded as this (the request timeout is far lower).
const HIGHEST_MICROS: u64 = 3_600_000_000;

pub struct Recorder {
    all: Histogram<u64>,
    by_kind: Vec<(Kind, Histogram<u64>)>,
    pub bytes: u64,
    pub non_2xx: u64,
    pub errors: u64,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 1 h at 3 significant digits: a valid configuration, so this cannot fail.
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("valid histogram bounds")
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            all: histogram(),
            by_kind: Kind::ALL.iter().map(|&kind| (kind, histogram())).collect(),
            bytes: 0,
            non_2xx: 0,
            errors: 0,
        }
    }
}

impl Recorder {
    /// One answered request (any status) that took `latency` and carried `bytes` of body.
    pub fn answered(&mut self, kind: Kind, latency: Duration, status: u16, bytes: u64) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
        self.all.saturating_record(micros);
        if let Some((_, histogram)) = self.by_kind.iter_mut().find(|(k, _)| *k == kind) {
            histogram.saturating_record(micros);
        }
        self.bytes += bytes;
        if !(200..300).contains(&status) {
            self.non_2xx += 1;
        }
    }

    /// One request that got no complete answer (connection failure, timeout).
    pub fn failed(&mut self) {
        self.errors += 1;
    }

    pub fn merge(&mut self, other: &Recorder) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.all.add(&other.all);
        for ((_, mine), (_, theirs)) in self.by_kind.iter_mut().zip(&other.by_kind) {
            let _ = mine.add(theirs);
        }
        self.bytes += other.bytes;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
    }

    pub fn answers(&self) -> u64 {
        self.all.len()
    }

    /// The latency below which a fraction `quantile` (0..=1) of the answers fall, in ms.
    pub fn percentile_ms(&self, quantile: f64) -> f64 {
        millis(&self.all, quantile)
    }

    pub fn max_ms(&self) -> f64 {
        if self.all.is_empty() { 0.0 } else { self.all.max() as f64 / 1000.0 }
    }

    /// The figures of a run that measured for `elapsed`, as one JSON object.
    pub fn summary(&self, elapsed: Duration) -> Value {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let by_kind: serde_json::Map<String, Value> = self
            .by_kind
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(kind, h)| {
                let figures = json!({
                    "requests": h.len(),
                    "p50_ms": round3(millis(h, 0.5)),
                    "p99_ms": round3(millis(h, 0.99)),
                });
                (kind.name().to_owned(), figures)
            })
            .collect();
        json!({
            "requests": self.answers() + self.errors,
            "seconds": round3(seconds),
            "requests_per_s": round3(self.answers() as f64 / seconds),
            "p50_ms": round3(self.percentile_ms(0.5)),
            "p90_ms": round3(self.percentile_ms(0.9)),
            "p99_ms": round3(self.percentile_ms(0.99)),
            "max_ms": round3(self.max_ms()),
            "bytes_per_s": (self.bytes as f64 / seconds).round(),
            "non_2xx": self.non_2xx,
            "errors": self.errors,
            "by_kind": by_kind,
        })
    }
}

/// The latency below which a fraction `quantile` of `histogram` falls, in ms.
pub fn millis(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() { 0.0 } else { histogram.value_at_quantile(quantile) as f64 / 1000.0 }
}

/// `x` to three decimals, for the JSON report.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, expected: f64) -> bool {
        // 3 significant digits: within 0.1%.
        (got - expected).abs() <= expected * 0.001
    }

    #[test]
    fn percentiles_of_known_samples() {
        let mut recorder = Recorder::default();
        for ms in 1..=1000 {
            recorder.answered(Kind::Bands, Duration::from_millis(ms), 200, 10);
        }
        for (quantile, expected) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0), (1.0, 1000.0)] {
            let got = recorder.percentile_ms(quantile);
            assert!(close(got, expected), "p{}: {got} ms, expected {expected}", quantile * 100.0);
        }
        assert!(close(recorder.max_ms(), 1000.0));
        let summary = recorder.summary(Duration::from_secs(10));
        assert_eq!(summary["requests"], 1000);
        assert_eq!(summary["requests_per_s"], 100.0);
        assert_eq!(summary["bytes_per_s"], 1000.0);
        assert_eq!(summary["by_kind"]["bands"]["requests"], 1000);
        assert!(summary["by_kind"].get("geo").is_none(), "kinds never sent are left out");
    }

    #[test]
    fn a_skewed_sample_keeps_its_tail() {
        let mut recorder = Recorder::default();
        for _ in 0..990 {
            recorder.answered(Kind::Geo, Duration::from_micros(2000), 200, 0);
        }
        for _ in 0..10 {
            recorder.answered(Kind::Geo, Duration::from_secs(2), 504, 0);
        }
        assert!(close(recorder.percentile_ms(0.5), 2.0));
        assert!(close(recorder.percentile_ms(0.99), 2.0), "990 of 1000 answers took 2 ms");
        assert!(close(recorder.percentile_ms(0.995), 2000.0));
        assert_eq!(recorder.non_2xx, 10);
    }

    #[test]
    fn recorders_merge_and_errors_count_apart() {
        let (mut first, mut second) = (Recorder::default(), Recorder::default());
        first.answered(Kind::Bands, Duration::from_millis(1), 200, 100);
        second.answered(Kind::Both, Duration::from_millis(3), 400, 50);
        second.failed();
        first.merge(&second);
        assert_eq!((first.answers(), first.errors, first.non_2xx, first.bytes), (2, 1, 1, 150));
        assert!(close(first.max_ms(), 3.0));
        assert_eq!(first.summary(Duration::from_secs(1))["requests"], 3, "errors count as requests sent");
    }

    #[test]
    fn an_empty_run_reports_zeros() {
        let summary = Recorder::default().summary(Duration::ZERO);
        assert_eq!(summary["p99_ms"], 0.0);
        assert_eq!(summary["requests_per_s"], 0.0);
    }
}
