//! Bands and venues the gateway has already fetched, kept for a while.
//!
//! Nearly every page names bands and venues that earlier pages named too
//! (popular bands, the venues of a city), and names rarely change. Keeping
//! them saves a call per page to each of those services. The cache is bounded
//! (`quick_cache` evicts what is seldom read) and entries expire, so a
//! renamed band shows its new name after at most the time to live. Misses are
//! not kept: a band imported a second ago is found on its first search.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

/// How many records of one kind to keep, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// Records kept per kind; 0 turns the cache off.
    pub capacity: u64,
    /// How long a record is kept after it was fetched.
    pub time_to_live: Duration,
}

/// A kept record and when it was fetched.
type Kept<T> = (Arc<T>, Instant);

/// Records of one kind by id.
#[derive(Clone)]
pub(crate) struct RecordCache<T: Send + Sync + 'static> {
    records: Option<Arc<Cache<i64, Kept<T>>>>,
    time_to_live: Duration,
}

impl<T: Send + Sync + 'static> RecordCache<T> {
    pub(crate) fn new(policy: CachePolicy) -> Self {
        let capacity = usize::try_from(policy.capacity).unwrap_or(usize::MAX);
        let records = (capacity > 0 && !policy.time_to_live.is_zero()).then(|| Arc::new(Cache::new(capacity)));
        Self { records, time_to_live: policy.time_to_live }
    }

    /// The records of `ids` that are kept and fresh, and the ids of the others.
    pub(crate) fn split(&self, ids: &[i64]) -> (Vec<Arc<T>>, Vec<i64>) {
        let Some(records) = &self.records else { return (Vec::new(), ids.to_vec()) };
        let now = Instant::now();
        let mut missing = Vec::new();
        let found = ids
            .iter()
            .filter_map(|id| {
                let fresh = records
                    .get(id)
                    .filter(|(_, fetched)| now.saturating_duration_since(*fetched) < self.time_to_live)
                    .map(|(record, _)| record);
                if fresh.is_none() {
                    missing.push(*id);
                }
                fresh
            })
            .collect();
        (found, missing)
    }

    /// Forgets every record kept (their service's data changed).
    pub(crate) fn clear(&self) {
        if let Some(records) = &self.records {
            records.clear();
        }
    }

    /// Keeps freshly fetched `records` and hands them back shared.
    pub(crate) fn keep(&self, records: Vec<T>, id: impl Fn(&T) -> i64) -> Vec<Arc<T>> {
        let fetched = Instant::now();
        records
            .into_iter()
            .map(|record| {
                let record = Arc::new(record);
                if let Some(cache) = &self.records {
                    cache.insert(id(&record), (record.clone(), fetched));
                }
                record
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(capacity: u64, millis: u64) -> CachePolicy {
        CachePolicy { capacity, time_to_live: Duration::from_millis(millis) }
    }

    #[test]
    fn kept_records_are_found_and_the_others_reported_missing() {
        let cache = RecordCache::new(policy(10, 60_000));
        cache.keep(vec![(1, "a"), (3, "c")], |r| r.0);
        let (found, missing) = cache.split(&[1, 2, 3, 4]);
        let mut found: Vec<i64> = found.iter().map(|r| r.0).collect();
        found.sort_unstable();
        assert_eq!(found, vec![1, 3]);
        assert_eq!(missing, vec![2, 4]);
    }

    #[test]
    fn a_kept_record_is_replaced_by_a_fresher_one() {
        let cache = RecordCache::new(policy(10, 60_000));
        cache.keep(vec![(1, "old name")], |r| r.0);
        cache.keep(vec![(1, "new name")], |r| r.0);
        assert_eq!(cache.split(&[1]).0[0].1, "new name");
    }

    #[test]
    fn records_expire_after_their_time_to_live() {
        let cache = RecordCache::new(policy(10, 50));
        cache.keep(vec![(1, "a")], |r| r.0);
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(cache.split(&[1]).1, vec![1]);
    }

    #[test]
    fn a_cleared_cache_keeps_nothing() {
        let cache = RecordCache::new(policy(10, 60_000));
        cache.keep(vec![(1, "a")], |r| r.0);
        cache.clear();
        assert_eq!(cache.split(&[1]).1, vec![1]);
    }

    #[test]
    fn a_cache_of_capacity_zero_keeps_nothing_but_hands_records_back() {
        let cache = RecordCache::new(policy(0, 60_000));
        assert_eq!(cache.keep(vec![(1, "a")], |r| r.0).len(), 1);
        assert_eq!(cache.split(&[1]), (Vec::new(), vec![1]));
    }
}
