//! Counting a search's concerts without reading them.
//!
//! A search by bands or by venues adds up their counts per month
//! ([`month_counts`]) for the calendar months wholly inside its date range,
//! and reads the concerts of the rest (the partial months at either end)
//! from the key's index: a cost of about its keys times its months, plus two
//! months of its keys' concerts at most, whatever the number of matches.
//!
//! What the counts do not hold is read: a search by bands within a circle
//! (the bands' concerts, from their index ranges, kept when at one of the
//! venues: bounded by those bands' concerts), and bands' counts split by
//! venue or venues' by band.

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use concerts_model::{
    AFTER_CALENDAR, BEFORE_CALENDAR, ConcertCounts, ConcertFilter, DateRange, GroupBy, month_of, year_of,
};
use storage::sqlite::rusqlite::{Connection, Result};

use super::merge::Driver;
use super::month_counts::{self, VenueMonths};
use super::pages;

/// Searches naming at least this many venues count the partial months at
/// the ends of their range along all concerts' dates (the list-order index)
/// rather than with a seek into each venue's range: a count of a continent
/// names thousands of venues, and a seek costs about what a dozen rows do.
const VENUES_SCANNED: usize = 1000;

/// How many concerts `filter` matches, per group of `by` when given.
pub fn count(
    connection: &Connection,
    venue_months: &VenueMonths,
    filter: &ConcertFilter,
    by: Option<GroupBy>,
) -> Result<ConcertCounts> {
    let dedup = |ids: &Option<Vec<i64>>| {
        ids.as_ref().map(|ids| {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
    };
    let (bands, venues) = (dedup(&filter.band_ids), dedup(&filter.venue_ids));
    let kept = month_counts::kept(filter.statuses.as_deref());
    let span = Span::of(filter.dates);
    let mut tally = Tally::new(by);
    match (&bands, &venues, by) {
        (Some(bands), None, None | Some(GroupBy::Month | GroupBy::Year | GroupBy::Band)) => {
            if let Some(months) = span.months {
                for &band in bands {
                    month_counts::add_up_band(connection, band, months, kept, |month, n| tally.add(band, month, n))?;
                }
            }
            edges_by_key(connection, Driver::Bands, bands, &span, kept, &mut tally)?;
        }
        (None, Some(venues), None | Some(GroupBy::Month | GroupBy::Year | GroupBy::Venue)) => {
            if let Some(months) = span.months {
                // Split by venue, each venue's own; else, for most venues, all of them less the others.
                let most = by != Some(GroupBy::Venue) && {
                    let tally = std::cell::RefCell::new(&mut tally);
                    let add = |month, n| tally.borrow_mut().add(0, month, n);
                    let take = |month, n| tally.borrow_mut().take(month, n);
                    venue_months.add_up_most(venues, months, kept, add, take)
                };
                if !most {
                    venue_months.add_up(venues, months, kept, |venue, month, n| tally.add(venue, month, n));
                }
            }
            if venues.len() >= VENUES_SCANNED {
                edges_along_dates(connection, venues, &span, kept, &mut tally)?;
            } else {
                edges_by_key(connection, Driver::Venues, venues, &span, kept, &mut tally)?;
            }
        }
        (None, None, _) => {}
        // Bands and venues together, or a split the counts do not hold: read.
        _ => read(connection, filter, bands.as_deref(), venues.as_deref(), &mut tally)?,
    }
    Ok(tally.counts())
}

/// Concerts added up per group: a total, a slot per month (an array: a
/// count of the whole planet adds up a million venue-months), or per venue
/// or band.
struct Tally {
    by: Option<GroupBy>,
    total: u64,
    /// Per month slot ([`month_slot`]), with `by` month or year.
    months: Vec<u64>,
    /// Per venue or band, with `by` venue or band.
    keys: BTreeMap<i64, u64>,
}

impl Tally {
    fn new(by: Option<GroupBy>) -> Self {
        let months = if matches!(by, Some(GroupBy::Month | GroupBy::Year)) { vec![0; MONTH_SLOTS] } else { Vec::new() };
        Self { by, total: 0, months, keys: BTreeMap::new() }
    }

    /// `n` concerts of `key` (a venue or a band) in `month`.
    fn add(&mut self, key: i64, month: i64, n: u64) {
        self.total += n;
        match self.by {
            Some(GroupBy::Month | GroupBy::Year) => {
                if let Some(slot) = self.months.get_mut(month_slot(month)) {
                    *slot += n;
                }
            }
            Some(GroupBy::Venue | GroupBy::Band) => *self.keys.entry(key).or_default() += n,
            None => {}
        }
    }

    /// Takes back `n` concerts of `month` added before (by month, year or in all only).
    fn take(&mut self, month: i64, n: u64) {
        self.total -= n;
        if let Some(slot) = self.months.get_mut(month_slot(month)) {
            *slot -= n;
        }
    }

    /// One concert read (a match the counts do not hold).
    fn add_concert(&mut self, concert: &concerts_model::Concert) {
        let key = match self.by {
            Some(GroupBy::Band) => concert.band_id,
            _ => concert.venue_id,
        };
        self.add(key, month_of(concert.date), 1);
    }

    fn counts(self) -> ConcertCounts {
        let groups: BTreeMap<i64, u64> = match self.by {
            Some(GroupBy::Month | GroupBy::Year) => {
                let mut groups = BTreeMap::new();
                for (slot, n) in self.months.iter().enumerate().filter(|(_, n)| **n > 0) {
                    let month = slot_month(slot);
                    let key = if self.by == Some(GroupBy::Year) { year_of(month) } else { month };
                    *groups.entry(key).or_default() += n;
                }
                groups
            }
            Some(GroupBy::Venue | GroupBy::Band) => self.keys,
            None => return ConcertCounts { total: self.total, groups: Vec::new() },
        };
        ConcertCounts { total: self.total, groups: groups.into_iter().filter(|(_, n)| *n > 0).collect() }
    }
}

/// Slots of [`Tally::months`]: every month of the years 0 to 9999, and the
/// two outside them.
const MONTH_SLOTS: usize = 10_000 * 12 + 2;

fn month_slot(month: i64) -> usize {
    match month {
        BEFORE_CALENDAR => 0,
        AFTER_CALENDAR => MONTH_SLOTS - 1,
        _ => usize::try_from((month / 100) * 12 + month % 100).unwrap_or(0),
    }
}

fn slot_month(slot: usize) -> i64 {
    match slot {
        0 => BEFORE_CALENDAR,
        _ if slot == MONTH_SLOTS - 1 => AFTER_CALENDAR,
        _ => {
            let slot = slot as i64 - 1;
            (slot / 12) * 100 + slot % 12 + 1
        }
    }
}

/// The partial months at the ends of the range, read from each key's index range.
fn edges_by_key(
    connection: &Connection,
    driver: Driver,
    keys: &[i64],
    span: &Span,
    kept: [bool; 4],
    tally: &mut Tally,
) -> Result<()> {
    if span.edges.is_empty() {
        return Ok(());
    }
    let edge_sql = match driver {
        Driver::Bands => "SELECT date, status FROM concerts WHERE band_id = ?1 AND date BETWEEN ?2 AND ?3",
        Driver::Venues => "SELECT date, status FROM concerts WHERE venue_id = ?1 AND date BETWEEN ?2 AND ?3",
    };
    let mut edge = connection.prepare_cached(edge_sql)?;
    for &key in keys {
        for (from, to) in &span.edges {
            let rows = edge.query_map((key, from, to), |row| Ok((row.get::<_, i64>(0)?, row.get::<_, u8>(1)?)))?;
            for row in rows {
                let (date, status) = row?;
                if kept.get(usize::from(status)).copied().unwrap_or(false) {
                    tally.add(key, month_of(date), 1);
                }
            }
        }
    }
    Ok(())
}

/// The partial months at the ends of the range, read along all concerts'
/// dates and kept when at one of `venues`.
fn edges_along_dates(
    connection: &Connection,
    venues: &[i64],
    span: &Span,
    kept: [bool; 4],
    tally: &mut Tally,
) -> Result<()> {
    let venues: HashSet<i64> = venues.iter().copied().collect();
    let mut edge =
        connection.prepare_cached("SELECT date, venue_id, status FROM concerts WHERE date BETWEEN ?1 AND ?2")?;
    for (from, to) in &span.edges {
        let rows =
            edge.query_map((from, to), |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, u8>(2)?)))?;
        for row in rows {
            let (date, venue, status) = row?;
            if kept.get(usize::from(status)).copied().unwrap_or(false) && venues.contains(&venue) {
                tally.add(venue, month_of(date), 1);
            }
        }
    }
    Ok(())
}

/// Counts what the month counts do not hold by reading the matching
/// concerts: from the bands' index ranges when the search names bands (a
/// cost bounded by their concerts), else from the venues'.
fn read(
    connection: &Connection,
    filter: &ConcertFilter,
    bands: Option<&[i64]>,
    venues: Option<&[i64]>,
    tally: &mut Tally,
) -> Result<()> {
    let (driver, keys, other) = match (bands, venues) {
        (Some(bands), venues) => (Driver::Bands, bands, venues),
        (None, Some(venues)) => (Driver::Venues, venues, None),
        (None, None) => return Ok(()),
    };
    let other: Option<HashSet<i64>> = other.map(|ids| ids.iter().copied().collect());
    let dates = filter.dates;
    for concert in pages::every_match(connection, (driver, keys), other.as_ref(), dates, filter.statuses.as_deref())? {
        tally.add_concert(&concert);
    }
    Ok(())
}

/// The first month the counts know (every date before the year 0), and the
/// last (every date after 9999): together the months cover all dates.
const FIRST_MONTH: i64 = BEFORE_CALENDAR;
const LAST_MONTH: i64 = AFTER_CALENDAR;

/// A date range as counting reads it: the calendar months wholly inside it
/// (their counts), and the rest (at most two stretches, read from the index).
#[derive(Debug, PartialEq, Eq)]
struct Span {
    /// The first and last whole month (`yyyymm`), if any.
    months: Option<(i64, i64)>,
    /// UNIX ms, both ends included.
    edges: Vec<(i64, i64)>,
}

impl Span {
    fn of(dates: DateRange) -> Self {
        let (low, high) = (dates.from.unwrap_or(i64::MIN), dates.to.unwrap_or(i64::MAX));
        // The months wholly inside: from the first starting at or after `low` to
        // the last ending at or before `high` (none past either end of all months).
        let first = match month_of(low) {
            month if start(month) == low => Some(month),
            LAST_MONTH => None,
            month => Some(next(month)),
        };
        let last = match month_of(high) {
            month if end(month) == high => Some(month),
            FIRST_MONTH => None,
            month => Some(previous(month)),
        };
        match (first, last) {
            (Some(first), Some(last)) if first <= last => {
                let before = (low < start(first)).then(|| (low, start(first) - 1));
                let after = (end(last) < high).then(|| (end(last) + 1, high));
                Self { months: Some((first, last)), edges: before.into_iter().chain(after).collect() }
            }
            _ => Self { months: None, edges: if low <= high { vec![(low, high)] } else { Vec::new() } },
        }
    }
}

/// The first millisecond of a month of [`month_of`].
fn start(month: i64) -> i64 {
    if month == BEFORE_CALENDAR {
        return i64::MIN;
    }
    let (year, month) = if month == AFTER_CALENDAR { (10_000, 1) } else { (month / 100, month % 100) };
    let day = i32::try_from(year).ok().and_then(|year| NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, 1));
    day.map_or(i64::MAX, |day| day.and_time(NaiveTime::MIN).and_utc().timestamp_millis())
}

/// The last millisecond of a month of [`month_of`].
fn end(month: i64) -> i64 {
    if month == AFTER_CALENDAR { i64::MAX } else { start(next(month)) - 1 }
}

fn next(month: i64) -> i64 {
    match month {
        BEFORE_CALENDAR => 1,
        999_912 => AFTER_CALENDAR,
        _ if month % 100 == 12 => (month / 100 + 1) * 100 + 1,
        _ => month + 1,
    }
}

fn previous(month: i64) -> i64 {
    match month {
        1 => BEFORE_CALENDAR,
        AFTER_CALENDAR => 999_912,
        _ if month % 100 == 1 => (month / 100 - 1) * 100 + 12,
        _ => month - 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concerts_model::Status;

    #[test]
    fn every_month_has_a_slot_of_its_own() {
        let months = [BEFORE_CALENDAR, 1, 12, 101, 201906, 999_912, AFTER_CALENDAR];
        let slots: Vec<usize> = months.iter().map(|month| month_slot(*month)).collect();
        assert!(slots.windows(2).all(|pair| pair[0] < pair[1]), "{slots:?}");
        assert!(slots.iter().all(|slot| *slot < MONTH_SLOTS));
        for month in months {
            assert_eq!(slot_month(month_slot(month)), month);
        }
    }

    /// A count naming thousands of venues reads its partial months along the
    /// dates; it is the count a venue-by-venue read gives, and the count of
    /// the concerts themselves.
    #[test]
    fn the_partial_months_of_many_venues_are_read_along_the_dates_the_same() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch(&super::super::schema()).unwrap();
        let june = 1_559_347_200_000; // 2019-06-01T00:00:00Z
        let concerts: Vec<(i64, i64, i64, u8)> = (0..6000)
            .map(|i| (1 + i % 13, 1 + i % 1500, june + i * 7_654_321 % (90 * 86_400_000), (i % 5 == 0) as u8 * 3))
            .collect();
        let mut insert = connection
            .prepare("INSERT INTO concerts (band_id, venue_id, date, id, status) VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for (id, (band, venue, date, status)) in concerts.iter().enumerate() {
            insert.execute((band, venue, date, id as i64 + 1, status)).unwrap();
        }
        drop(insert);
        let transaction = connection.unchecked_transaction().unwrap();
        month_counts::rebuild(&transaction).unwrap();
        transaction.commit().unwrap();
        let venue_months = VenueMonths::load(&connection).unwrap();
        let venues: Vec<i64> = (1..=1400).collect();
        let dates = DateRange { from: Some(june + 10 * 86_400_000 + 5), to: Some(june + 75 * 86_400_000) };
        let statuses = Some(vec![Status::Scheduled]);
        let filter = ConcertFilter { venue_ids: Some(venues.clone()), dates, statuses, ..ConcertFilter::default() };
        assert!(venues.len() >= VENUES_SCANNED, "read along the dates");
        let counted = count(&connection, &venue_months, &filter, Some(GroupBy::Month)).unwrap();
        let mut expected = BTreeMap::<i64, u64>::new();
        for (_, venue, date, status) in &concerts {
            if *venue <= 1400 && dates.contains(*date) && *status == 0 {
                *expected.entry(month_of(*date)).or_default() += 1;
            }
        }
        assert!(expected.len() == 3, "three months, two of them partial: {expected:?}");
        assert_eq!(counted, ConcertCounts { total: expected.values().sum(), groups: expected.into_iter().collect() });
        // The same venues a few at a time (each read from its own range) add up to the same.
        let mut by_parts = 0;
        for part in venues.chunks(VENUES_SCANNED - 1) {
            let filter = ConcertFilter { venue_ids: Some(part.to_vec()), ..filter.clone() };
            by_parts += count(&connection, &venue_months, &filter, None).unwrap().total;
        }
        assert_eq!(by_parts, counted.total);
    }

    const JUNE_2019: i64 = 1_559_347_200_000;
    const JULY_2019: i64 = 1_561_939_200_000;
    const AUGUST_2019: i64 = 1_564_617_600_000;

    fn span(from: Option<i64>, to: Option<i64>) -> Span {
        Span::of(DateRange { from, to })
    }

    #[test]
    fn whole_months_come_from_the_counts_and_the_rest_from_the_index() {
        assert_eq!(start(201906), JUNE_2019);
        assert_eq!(end(201906), JULY_2019 - 1);
        assert_eq!(span(None, None), Span { months: Some((FIRST_MONTH, LAST_MONTH)), edges: vec![] });
        assert_eq!(
            span(Some(JUNE_2019), Some(AUGUST_2019 - 1)),
            Span { months: Some((201906, 201907)), edges: vec![] }
        );
        assert_eq!(
            span(Some(JUNE_2019 + 5), Some(AUGUST_2019 + 5)),
            Span {
                months: Some((201907, 201907)),
                edges: vec![(JUNE_2019 + 5, JULY_2019 - 1), (AUGUST_2019, AUGUST_2019 + 5)]
            },
            "a partial month at each end"
        );
        assert_eq!(
            span(Some(JUNE_2019 + 5), Some(JULY_2019 + 5)),
            Span { months: None, edges: vec![(JUNE_2019 + 5, JULY_2019 + 5)] },
            "no whole month"
        );
        assert_eq!(span(Some(JULY_2019), Some(JUNE_2019)), Span { months: None, edges: vec![] }, "an empty range");
        // From a moment on: the rest of its month, then every month to the end of the calendar and past it.
        assert_eq!(
            span(Some(JUNE_2019 + 5), None),
            Span { months: Some((201907, LAST_MONTH)), edges: vec![(JUNE_2019 + 5, JULY_2019 - 1)] }
        );
        assert_eq!(span(None, Some(JUNE_2019 - 1)), Span { months: Some((FIRST_MONTH, 201905)), edges: vec![] });
        // Dates outside the calendar's years: one month before it, one after.
        let far = start(AFTER_CALENDAR) + 10;
        assert_eq!(span(Some(far), None), Span { months: None, edges: vec![(far, i64::MAX)] });
        assert_eq!(
            span(Some(start(AFTER_CALENDAR)), None),
            Span { months: Some((AFTER_CALENDAR, AFTER_CALENDAR)), edges: vec![] }
        );
        assert_eq!(
            span(None, Some(-70_000_000_000_000)),
            Span { months: None, edges: vec![(i64::MIN, -70_000_000_000_000)] }
        );
        for month in [BEFORE_CALENDAR, 1, 201912, 999_912, AFTER_CALENDAR] {
            assert_eq!(month_of(start(month)), month);
            assert_eq!(month_of(end(month)), month);
            if month != AFTER_CALENDAR {
                assert_eq!(start(next(month)), end(month) + 1);
                assert_eq!(previous(next(month)), month);
            }
        }
    }
}
