//! One page of concerts as a merge of per-key ranges.
//!
//! A search names bands or venues (the keys). Each key's concerts are read
//! from an index already in list order (newest first), a few at a time, and
//! the ranges are merged with a heap until the page is full. A page therefore
//! costs one short read per key plus about `limit` rows, however many
//! concerts match in all; and since a page starts right after the last
//! concert of the previous one (keyset), deep pages cost the same as the first.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use concerts_model::{Concert, Position};

/// Which side of a concert the keys name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// Keys are band ids; a key's rows come by (date, venue id), descending.
    Bands,
    /// Keys are venue ids; a key's rows come by (date, band id), descending.
    Venues,
}

impl Driver {
    /// The id a key names.
    pub fn key(self, concert: &Concert) -> i64 {
        match self {
            Driver::Bands => concert.band_id,
            Driver::Venues => concert.venue_id,
        }
    }

    /// The column that orders a key's rows after the date (the other id).
    pub fn second(self, concert: &Concert) -> i64 {
        match self {
            Driver::Bands => concert.venue_id,
            Driver::Venues => concert.band_id,
        }
    }

    /// The strict upper bound on (date, second column) of a key's rows that
    /// come after `after` in list order (date, band, venue, descending).
    fn bound(self, key: i64, after: Option<&Position>) -> (i64, i64) {
        let Some(after) = after else { return (i64::MAX, i64::MAX) };
        let second = match self {
            // Same date: a lower band comes after `after` whatever its venue; a higher one never.
            Driver::Bands if key < after.band_id => i64::MAX,
            Driver::Bands if key > after.band_id => i64::MIN,
            Driver::Bands => after.venue_id,
            // Same date and band: a lower venue comes after `after`, so that band is still in.
            Driver::Venues if key < after.venue_id => after.band_id.saturating_add(1),
            Driver::Venues => after.band_id,
        };
        (after.date, second)
    }
}

/// Rows read at least from each key at the first seek.
const MIN_FIRST_READ: usize = 4;

/// The concerts of one key still to merge.
struct KeyRange {
    key: i64,
    /// The key's concert in the heap, if any.
    next: Option<Concert>,
    buffered: VecDeque<Concert>,
    bound: (i64, i64),
    exhausted: bool,
    /// Rows asked at the last read; each read of the same key asks twice as many.
    last_read: usize,
}

/// Reads one page: the first `limit` concerts after `after`, in list order,
/// among those of `keys`. `fetch(key, bound, n)` returns at most `n` of the
/// key's concerts whose (date, second column) is below `bound`, in descending order.
pub fn page<E>(
    driver: Driver,
    keys: &[i64],
    after: Option<&Position>,
    limit: usize,
    mut fetch: impl FnMut(i64, (i64, i64), usize) -> Result<Vec<Concert>, E>,
) -> Result<Vec<Concert>, E> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    if limit == 0 || keys.is_empty() {
        return Ok(Vec::new());
    }
    // Spread the first reads over the keys, with room: a key read again costs a
    // seek, while a few more rows from the same seek cost next to nothing.
    let first_read = limit.saturating_mul(2).div_ceil(keys.len()).clamp(MIN_FIRST_READ.min(limit), limit);
    let mut ranges: Vec<KeyRange> = keys
        .iter()
        .map(|&key| KeyRange {
            key,
            next: None,
            buffered: VecDeque::new(),
            bound: driver.bound(key, after),
            exhausted: false,
            last_read: 0,
        })
        .collect();
    let mut heap = BinaryHeap::with_capacity(ranges.len());
    for (index, range) in ranges.iter_mut().enumerate() {
        refill(driver, range, first_read, &mut fetch)?;
        if let Some(next) = range.buffered.pop_front() {
            heap.push((next.list_key(), Reverse(index)));
            range.next = Some(next);
        }
    }
    let mut found = Vec::with_capacity(limit.min(1024));
    while found.len() < limit {
        let Some((_, Reverse(index))) = heap.pop() else { break };
        let range = &mut ranges[index];
        found.extend(range.next.take());
        if range.buffered.is_empty() && !range.exhausted && found.len() < limit {
            // A key that keeps giving rows is read in growing chunks; one that gave a
            // single row is not asked for the whole rest of the page at once.
            let wanted = (range.last_read * 2).min(limit - found.len());
            refill(driver, range, wanted, &mut fetch)?;
        }
        if let Some(next) = range.buffered.pop_front() {
            heap.push((next.list_key(), Reverse(index)));
            range.next = Some(next);
        }
    }
    Ok(found)
}

fn refill<E>(
    driver: Driver,
    range: &mut KeyRange,
    wanted: usize,
    fetch: &mut impl FnMut(i64, (i64, i64), usize) -> Result<Vec<Concert>, E>,
) -> Result<(), E> {
    let wanted = wanted.max(1);
    range.last_read = wanted;
    let rows = fetch(range.key, range.bound, wanted)?;
    range.exhausted = rows.len() < wanted;
    if let Some(last) = rows.last() {
        range.bound = (last.date, driver.second(last));
    }
    range.buffered.extend(rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::convert::Infallible;

    /// The plain answer: filter, sort, skip to `after`, take `limit`.
    fn oracle(all: &[Concert], driver: Driver, keys: &[i64], after: Option<&Position>, limit: usize) -> Vec<Concert> {
        let key_of = |c: &Concert| if driver == Driver::Bands { c.band_id } else { c.venue_id };
        let mut matching: Vec<Concert> = all
            .iter()
            .copied()
            .filter(|c| keys.contains(&key_of(c)))
            .filter(|c| after.is_none_or(|a| c.list_key() < a.key()))
            .collect();
        matching.sort_by_key(|c| Reverse(c.list_key()));
        matching.truncate(limit);
        matching
    }

    /// A store of `all`, answering `fetch` the way an index would.
    fn fetcher(
        all: &[Concert],
        driver: Driver,
    ) -> impl FnMut(i64, (i64, i64), usize) -> Result<Vec<Concert>, Infallible> {
        move |key, bound, n| {
            let mut rows: Vec<Concert> = all
                .iter()
                .copied()
                .filter(|c| if driver == Driver::Bands { c.band_id == key } else { c.venue_id == key })
                .filter(|c| (c.date, driver.second(c)) < bound)
                .collect();
            rows.sort_by_key(|c| Reverse((c.date, driver.second(c))));
            rows.truncate(n);
            Ok(rows)
        }
    }

    fn concert(band_id: i64, venue_id: i64, date: i64) -> Concert {
        // An id of its own, from its place in the list (any one-to-one map will do).
        let id = date * 100 + band_id * 10 + venue_id;
        Concert { id, band_id, venue_id, date, status: concerts_model::Status::Scheduled }
    }

    fn concerts() -> impl Strategy<Value = Vec<Concert>> {
        // Few distinct dates and ids, so that ties on date and band are common.
        prop::collection::hash_set((1i64..6, 1i64..6, 0i64..8), 0..60)
            .prop_map(|set| set.into_iter().map(|(band_id, venue_id, date)| concert(band_id, venue_id, date)).collect())
    }

    proptest! {
        #[test]
        fn a_page_is_the_sorted_filtered_answer(
            all in concerts(),
            bands_drive in any::<bool>(),
            keys in prop::collection::vec(1i64..7, 1..5),
            after in prop::option::of((1i64..6, 1i64..6, 0i64..8)),
            limit in 1usize..25,
        ) {
            let driver = if bands_drive { Driver::Bands } else { Driver::Venues };
            let after = after.map(|(band_id, venue_id, date)| Position { band_id, venue_id, date });
            let got = page(driver, &keys, after.as_ref(), limit, fetcher(&all, driver)).unwrap();
            prop_assert_eq!(got, oracle(&all, driver, &keys, after.as_ref(), limit));
        }

        #[test]
        fn walking_the_pages_gives_the_whole_answer_once(
            all in concerts(),
            bands_drive in any::<bool>(),
            keys in prop::collection::vec(1i64..7, 1..5),
            limit in 1usize..7,
        ) {
            let driver = if bands_drive { Driver::Bands } else { Driver::Venues };
            let mut walked = Vec::new();
            let mut after = None;
            for _ in 0..100 {
                let next = page(driver, &keys, after.as_ref(), limit, fetcher(&all, driver)).unwrap();
                after = next.last().map(Concert::position);
                let done = next.len() < limit;
                walked.extend(next);
                if done { break; }
            }
            prop_assert_eq!(walked, oracle(&all, driver, &keys, None, usize::MAX));
        }
    }

    #[test]
    fn a_page_reads_about_limit_rows_not_every_match() {
        // 200 keys with 1,000 concerts each; a page of 10 must not read them all.
        let all: Vec<Concert> =
            (1..=200).flat_map(|venue| (0..1000).map(move |i| concert(i % 50 + 1, venue, i * 1000 + venue))).collect();
        let keys: Vec<i64> = (1..=200).collect();
        let mut rows_read = 0;
        let mut inner = fetcher(&all, Driver::Venues);
        let counted = |key, bound, n| {
            let rows = inner(key, bound, n)?;
            rows_read += rows.len();
            Ok::<_, Infallible>(rows)
        };
        let got = page(Driver::Venues, &keys, None, 10, counted).unwrap();
        assert_eq!(got, oracle(&all, Driver::Venues, &keys, None, 10));
        assert!(rows_read <= 200 * MIN_FIRST_READ + 2 * 10, "read {rows_read} rows of 200,000 for a page of 10");
    }
}
