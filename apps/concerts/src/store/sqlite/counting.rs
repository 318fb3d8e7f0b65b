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
    let mut tally = BTreeMap::new();
    match (&bands, &venues, by) {
        (Some(bands), None, None | Some(GroupBy::Month | GroupBy::Year | GroupBy::Band)) => {
            by_months(connection, Driver::Bands, bands, filter.dates, kept, by, &mut tally, |band, first, last| {
                month_counts::band_months(connection, band, first, last)
            })?;
        }
        (None, Some(venues), None | Some(GroupBy::Month | GroupBy::Year | GroupBy::Venue)) => {
            by_months(connection, Driver::Venues, venues, filter.dates, kept, by, &mut tally, |venue, first, last| {
                let mut months = month_counts::Months::new();
                venue_months.for_each(&[venue], first, last, |_, month, counts| {
                    months.insert(month, *counts);
                });
                Ok(months)
            })?;
        }
        (None, None, _) => {}
        // Bands and venues together, or a split the counts do not hold: read.
        _ => read(connection, filter, bands.as_deref(), venues.as_deref(), by, &mut tally)?,
    }
    Ok(ConcertCounts::of(tally, by.is_some()))
}

/// Adds up the counts of `keys` (bands or venues, as `driver` says): their
/// counts per month for the whole months of `dates`, their concerts read
/// from the index for the rest.
#[allow(clippy::too_many_arguments)]
fn by_months(
    connection: &Connection,
    driver: Driver,
    keys: &[i64],
    dates: DateRange,
    kept: [bool; 4],
    by: Option<GroupBy>,
    tally: &mut BTreeMap<i64, u64>,
    months_of: impl Fn(i64, i64, i64) -> Result<month_counts::Months>,
) -> Result<()> {
    let span = Span::of(dates);
    let group = |key: i64, month: i64| match by {
        Some(GroupBy::Month) => month,
        Some(GroupBy::Year) => year_of(month),
        Some(GroupBy::Venue | GroupBy::Band) => key,
        None => 0,
    };
    let edge_sql = match driver {
        Driver::Bands => "SELECT date, status FROM concerts WHERE band_id = ?1 AND date BETWEEN ?2 AND ?3",
        Driver::Venues => "SELECT date, status FROM concerts WHERE venue_id = ?1 AND date BETWEEN ?2 AND ?3",
    };
    let mut edge = connection.prepare_cached(edge_sql)?;
    for &key in keys {
        if let Some((first, last)) = span.months {
            for (month, counts) in months_of(key, first, last)? {
                let concerts: u64 = counts.iter().zip(kept).filter(|(_, kept)| *kept).map(|(count, _)| count).sum();
                *tally.entry(group(key, month)).or_default() += concerts;
            }
        }
        for (from, to) in &span.edges {
            let rows = edge.query_map((key, from, to), |row| Ok((row.get::<_, i64>(0)?, row.get::<_, u8>(1)?)))?;
            for row in rows {
                let (date, status) = row?;
                if kept.get(usize::from(status)).copied().unwrap_or(false) {
                    *tally.entry(group(key, month_of(date))).or_default() += 1;
                }
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
    by: Option<GroupBy>,
    tally: &mut BTreeMap<i64, u64>,
) -> Result<()> {
    let (driver, keys, other) = match (bands, venues) {
        (Some(bands), venues) => (Driver::Bands, bands, venues),
        (None, Some(venues)) => (Driver::Venues, venues, None),
        (None, None) => return Ok(()),
    };
    let other: Option<HashSet<i64>> = other.map(|ids| ids.iter().copied().collect());
    let dates = filter.dates;
    for concert in pages::every_match(connection, (driver, keys), other.as_ref(), dates, filter.statuses.as_deref())? {
        *tally.entry(by.map_or(0, |by| by.key(&concert))).or_default() += 1;
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
