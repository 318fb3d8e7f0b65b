//! One page read along the date order of all concerts.
//!
//! A search that names many keys (a geo search over a city names hundreds of
//! venues) pays one index seek per key to merge ([`super::merge`]), however
//! few rows the page needs. When those keys hold a good share of all
//! concerts, it is cheaper to read every concert newest first and keep the
//! matching ones: a page of 100 over a circle holding 30 % of the concerts
//! reads about 330 rows instead of seeking into 3,000 venues.
//!
//! How large that share is, is not known in advance, so the scan has a
//! budget of rows worth about as much as the merge would cost. A scan that
//! runs out of budget says where it stopped, and the merge finishes the page
//! from there: a page never costs much more than the cheaper of the two.

use concerts_model::Concert;

/// Rows a scan may read in place of one index seek: a seek costs a statement
/// run and a descent of the B-tree, often with a read of the file; a scanned
/// row is a step along a leaf already in memory.
pub const ROWS_PER_SEEK: usize = 16;

/// Searches naming fewer keys than this always merge: their seeks are few.
pub const MIN_KEYS: usize = 16;

/// Whether a page of `limit` over `keys` keys is worth scanning for, and if
/// so how many rows the scan may read: about what the merge would cost.
/// `share` is the part of all concerts the keys hold, when known: the scan
/// then reads about `limit / share` rows, and is tried only if that is less.
pub fn budget(keys: usize, limit: usize, share: Option<f64>) -> Option<usize> {
    if keys < MIN_KEYS || limit == 0 {
        return None;
    }
    let merge_cost = keys.saturating_mul(ROWS_PER_SEEK).saturating_add(limit);
    match share {
        Some(share) if share <= 0.0 || limit as f64 / share > merge_cost as f64 => None,
        _ => Some(merge_cost),
    }
}

/// What a scan found.
#[derive(Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The matching concerts, in list order.
    pub found: Vec<Concert>,
    /// False when the budget ran out first: the page is not full, and the
    /// concerts after `last_read` have not been looked at.
    pub complete: bool,
    /// The last concert read, matching or not.
    pub last_read: Option<Concert>,
}

/// Keeps the concerts of `rows` (all concerts, in list order) that `matches`,
/// until `limit` are kept, the rows end, or `budget` rows have been read.
pub fn scan<E>(
    rows: impl Iterator<Item = Result<Concert, E>>,
    matches: impl Fn(&Concert) -> bool,
    limit: usize,
    budget: usize,
) -> Result<Scanned, E> {
    let mut found = Vec::with_capacity(limit.min(1024));
    let mut last_read = None;
    for (read, row) in rows.enumerate() {
        if found.len() == limit {
            break;
        }
        if read == budget {
            return Ok(Scanned { found, complete: false, last_read });
        }
        let concert = row?;
        last_read = Some(concert);
        if matches(&concert) {
            found.push(concert);
        }
    }
    Ok(Scanned { found, complete: true, last_read })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn concerts(count: i64) -> Vec<Result<Concert, Infallible>> {
        (0..count)
            .rev()
            .map(|date| {
                let status = concerts_model::Status::Scheduled;
                Ok(Concert { id: date + 1, band_id: date % 3, venue_id: date % 5, date, status })
            })
            .collect()
    }

    #[test]
    fn keeps_the_matching_rows_in_order_up_to_the_limit() {
        let scanned = scan(concerts(100).into_iter(), |c| c.venue_id == 0, 3, 1000).unwrap();
        assert_eq!(scanned.found.iter().map(|c| c.date).collect::<Vec<_>>(), vec![95, 90, 85]);
        assert!(scanned.complete);
    }

    #[test]
    fn the_end_of_the_rows_completes_a_short_page() {
        let scanned = scan(concerts(10).into_iter(), |c| c.venue_id == 0, 5, 1000).unwrap();
        assert_eq!(scanned.found.iter().map(|c| c.date).collect::<Vec<_>>(), vec![5, 0]);
        assert!(scanned.complete);
    }

    #[test]
    fn the_budget_stops_the_scan_and_says_where() {
        let scanned = scan(concerts(100).into_iter(), |c| c.venue_id == 0, 5, 12).unwrap();
        assert_eq!(scanned.found.iter().map(|c| c.date).collect::<Vec<_>>(), vec![95, 90]);
        assert!(!scanned.complete);
        assert_eq!(scanned.last_read.map(|c| c.date), Some(88), "12 rows read: 99 down to 88");
    }

    #[test]
    fn a_scan_is_tried_when_it_should_read_fewer_rows_than_the_merge_costs() {
        let merge_cost = 100 * ROWS_PER_SEEK + 101;
        assert_eq!(budget(100, 101, None), Some(merge_cost), "share unknown: tried, bounded");
        assert_eq!(budget(100, 101, Some(0.5)), Some(merge_cost), "about 202 rows to read");
        assert_eq!(budget(100, 101, Some(0.01)), None, "about 10,100 rows to read");
        assert_eq!(budget(100, 101, Some(0.0)), None, "nothing to find");
        assert_eq!(budget(MIN_KEYS - 1, 101, Some(1.0)), None, "few keys always merge");
        assert_eq!(budget(100, 0, None), None);
        assert_eq!(budget(usize::MAX, 1, None), Some(usize::MAX));
    }
}
