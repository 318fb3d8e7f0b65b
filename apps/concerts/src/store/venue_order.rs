//! A search whose venues come in a given order (nearest first, as the gateway
//! lists a circle's venues), each venue's concerts soonest first: what both
//! backends share of it.
//!
//! Without bands, a backend walks the venues in their order, reading each
//! one's concerts forwards from its venue index until the page is full: a
//! page costs one seek per venue it passes plus about the rows it returns,
//! however many concerts the circle holds. With bands, it can read the
//! bands' concerts at those venues and [`VenueOrderPlan::arrange`]s them here:
//! a cost bounded by those bands' concerts, not by the circle's (the SQLite
//! store walks the venues instead when that costs less).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use concerts_model::{Concert, ConcertFilter, DateRange, Position, Status};

/// A search in venue order, worked out once for all its pages.
pub struct VenueOrderPlan {
    /// The venues, in the order their concerts come (a venue listed twice keeps its first place).
    pub venues: Vec<i64>,
    /// Where each venue stands in `venues`.
    rank: HashMap<i64, usize>,
    /// The bands a concert must be of (ascending, each once), when the search names bands.
    pub bands: Option<Vec<i64>>,
    pub dates: DateRange,
    pub statuses: Option<Vec<Status>>,
}

impl VenueOrderPlan {
    pub fn new(filter: ConcertFilter) -> Self {
        let mut venues = filter.venue_ids.unwrap_or_default();
        let mut rank = HashMap::with_capacity(venues.len());
        venues.retain(|venue| {
            let index = rank.len();
            match rank.entry(*venue) {
                Entry::Vacant(vacant) => vacant.insert(index) == &index,
                Entry::Occupied(_) => false,
            }
        });
        let bands = filter.band_ids.map(|mut bands| {
            bands.sort_unstable();
            bands.dedup();
            bands
        });
        Self { venues, rank, bands, dates: filter.dates, statuses: filter.statuses }
    }

    /// The venues a page after `after` reads, in order, each with where in
    /// it the page starts: after (date, band id), exclusive. The first is
    /// `after`'s venue, from right after it; the others from the range's start.
    pub fn walk<'a>(&'a self, after: Option<&'a Position>) -> impl Iterator<Item = (i64, (i64, i64))> + 'a {
        // Before the range's first date: (from - 1, any band) is below every row of `from`.
        let start = (self.dates.from.unwrap_or(i64::MIN).saturating_sub(1), i64::MAX);
        let first = after.and_then(|after| self.rank.get(&after.venue_id).copied()).unwrap_or(0);
        self.venues.iter().skip(first).enumerate().map(move |(index, &venue)| {
            let bound = match after {
                Some(after) if index == 0 && after.venue_id == venue => start.max((after.date, after.band_id)),
                _ => start,
            };
            (venue, bound)
        })
    }

    /// Whether a concert read from a venue's range is one the search keeps (its status).
    pub fn keeps(&self, concert: &Concert) -> bool {
        self.statuses.as_ref().is_none_or(|statuses| statuses.contains(&concert.status))
    }

    /// The first `limit` of `matches` (every concert the search matches, in
    /// any order) after `after`, in venue order.
    pub fn arrange(&self, matches: Vec<Concert>, after: Option<&Position>, limit: usize) -> Vec<Concert> {
        let place = |venue: i64, date: i64, band: i64| Some((*self.rank.get(&venue)?, date, band));
        let after = after.and_then(|after| place(after.venue_id, after.date, after.band_id));
        let mut placed: Vec<((usize, i64, i64), Concert)> = matches
            .into_iter()
            .filter_map(|concert| Some((place(concert.venue_id, concert.date, concert.band_id)?, concert)))
            .filter(|(place, _)| after.is_none_or(|after| *place > after))
            .collect();
        placed.sort_unstable_by_key(|(place, _)| *place);
        placed.into_iter().take(limit).map(|(_, concert)| concert).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concerts_model::Status;

    fn concert(band_id: i64, venue_id: i64, date: i64) -> Concert {
        Concert { id: date * 100 + band_id * 10 + venue_id, band_id, venue_id, date, status: Status::Scheduled }
    }

    fn plan(venues: Vec<i64>, from: Option<i64>) -> VenueOrderPlan {
        let dates = DateRange { from, to: None };
        VenueOrderPlan::new(ConcertFilter { venue_ids: Some(venues), dates, ..ConcertFilter::default() })
    }

    #[test]
    fn a_walk_starts_right_after_the_last_concert_then_takes_the_next_venues_whole() {
        let plan = plan(vec![7, 3, 9], Some(100));
        let from_start: Vec<_> = plan.walk(None).collect();
        assert_eq!(from_start, vec![(7, (99, i64::MAX)), (3, (99, i64::MAX)), (9, (99, i64::MAX))]);
        let after = Position { date: 150, band_id: 4, venue_id: 3 };
        assert_eq!(plan.walk(Some(&after)).collect::<Vec<_>>(), vec![(3, (150, 4)), (9, (99, i64::MAX))]);
    }

    #[test]
    fn matches_are_arranged_by_venue_rank_then_date_then_band() {
        let plan = plan(vec![7, 3, 9], None);
        let matches = vec![concert(1, 9, 5), concert(2, 3, 8), concert(1, 3, 8), concert(5, 7, 9), concert(1, 4, 1)];
        let all = plan.arrange(matches.clone(), None, 10);
        assert_eq!(
            all,
            vec![concert(5, 7, 9), concert(1, 3, 8), concert(2, 3, 8), concert(1, 9, 5)],
            "venue 4 is not listed"
        );
        let after = concert(1, 3, 8).position();
        assert_eq!(plan.arrange(matches, Some(&after), 1), vec![concert(2, 3, 8)]);
    }
}
