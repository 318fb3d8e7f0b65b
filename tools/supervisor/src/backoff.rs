//! How long to wait before starting a process that died again: doubling from
//! a minimum up to a maximum, with jitter so that processes that died together
//! do not all come back in the same instant, and back to the minimum once a
//! run has lasted long enough to count as healthy.

use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The restart pauses of one process.
pub struct Backoff {
    min: Duration,
    max: Duration,
    /// Starts in a row that ended early (reset by a long enough run).
    failures: u32,
    rng: ChaCha8Rng,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, seed: u64) -> Self {
        Backoff { min, max: max.max(min), failures: 0, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// Counts one more early end and returns the pause before the next start:
    /// `min · 2^(failures-1)`, capped at `max`, then drawn between half of
    /// that and all of it.
    pub fn next_pause(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let doublings = (self.failures - 1).min(31);
        let ceiling = self.min.saturating_mul(1 << doublings).min(self.max);
        let floor = ceiling / 2;
        let spread = (ceiling - floor).as_micros() as u64;
        floor + Duration::from_micros(self.rng.random_range(0..=spread))
    }

    /// Early ends in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A run lasted long enough: the next pause is the shortest again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(30);

    #[test]
    fn pauses_double_from_the_minimum_within_their_jitter() {
        let mut backoff = Backoff::new(MIN, MAX, 7);
        for (failure, ceiling_ms) in [250u64, 500, 1000, 2000, 4000, 8000, 16000].into_iter().enumerate() {
            let pause = backoff.next_pause();
            let ceiling = Duration::from_millis(ceiling_ms);
            assert!(
                pause >= ceiling / 2 && pause <= ceiling,
                "failure {}: {pause:?} not in [{:?}, {ceiling:?}]",
                failure + 1,
                ceiling / 2
            );
            assert_eq!(backoff.failures() as usize, failure + 1);
        }
    }

    #[test]
    fn pauses_stop_growing_at_the_maximum() {
        let mut backoff = Backoff::new(MIN, MAX, 7);
        let pauses: Vec<Duration> = (0..100).map(|_| backoff.next_pause()).collect();
        assert!(pauses.iter().all(|pause| *pause <= MAX), "{pauses:?}");
        assert!(pauses[20..].iter().all(|pause| *pause >= MAX / 2), "{:?}", &pauses[20..]);
    }

    #[test]
    fn jitter_spreads_processes_that_failed_together() {
        let pauses: Vec<Duration> = (0..8)
            .map(|seed| {
                let mut backoff = Backoff::new(MIN, MAX, seed);
                (0..5).map(|_| backoff.next_pause()).last().unwrap_or_default()
            })
            .collect();
        let mut distinct = pauses.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 6, "eight processes, pauses {pauses:?}");
    }

    #[test]
    fn a_healthy_run_brings_the_pause_back_to_the_minimum() {
        let mut backoff = Backoff::new(MIN, MAX, 7);
        for _ in 0..10 {
            backoff.next_pause();
        }
        backoff.reset();
        assert_eq!(backoff.failures(), 0);
        assert!(backoff.next_pause() <= MIN);
    }
}
