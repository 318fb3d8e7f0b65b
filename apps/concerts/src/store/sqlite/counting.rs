//! Counting a search's concerts without reading them.
//!
//! A search by bands or by venues adds up their counts per month
//! ([`month_counts`]) for the calendar months wholly inside its date range,
//! and counts the rest (the partial months at either end) in each key's
//! index range: a cost of about its keys times its months, plus two
//! months of its keys' concerts at most, whatever the number of matches.
//! A search naming most venues (a continent, the planet) counts all venues
//! less the others: all venues' months, and all concerts' days for the
//! partial months, less the other venues' counts.
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
use storage::sqlite::id_list;
use storage::sqlite::rusqlite::{Connection, Result, ToSql};

use super::merge::Driver;
use super::month_counts::{self, DAY_MS, VenueMonths, day_of};
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
    let span = Span::of(filter.dates);
    let mut tally = Tally::new(by);
    match (&bands, &venues, by) {
        (Some(bands), None, None | Some(GroupBy::Month | GroupBy::Year | GroupBy::Band)) => {
            if let Some(months) = span.months {
                for &band in bands {
                    month_counts::add_up_band(connection, band, months, kept, |month, n| tally.add(band, month, n))?;
                }
            }
            let by_band = by == Some(GroupBy::Band);
            edges_by_key(connection, Driver::Bands, bands, (&span, by_band), kept, |band, month, n| {
                tally.add(band, month, n)
            })?;
        }
        (None, Some(venues), Some(GroupBy::Venue)) => {
            if let Some(months) = span.months {
                venue_months.totals(venues, months, kept, |venue, n| tally.add_to_key(venue, n));
            }
            edges_by_key(connection, Driver::Venues, venues, (&span, true), kept, |venue, _, n| {
                tally.add_to_key(venue, n)
            })?;
        }
        (None, Some(venues), None | Some(GroupBy::Month | GroupBy::Year)) => {
            // Most venues: all of them less the others.
            let others;
            let (counted, sign): (&[i64], i8) = match venue_months.others(venues) {
                Some(found) => {
                    others = found;
                    if let Some(months) = span.months {
                        venue_months.add_up_all(months, kept, |month, n| tally.add(0, month, n));
                    }
                    for edge in &span.edges {
                        tally.add(0, edge.month, all_concerts_in(connection, venue_months, edge, kept)?);
                    }
                    (&others, -1)
                }
                None => (venues, 1),
            };
            let mut each = |venue, month, n| if sign > 0 { tally.add(venue, month, n) } else { tally.take(month, n) };
            if let Some(months) = span.months {
                venue_months.add_up(counted, months, kept, &mut each);
            }
            edges_by_key(connection, Driver::Venues, counted, (&span, false), kept, each)?;
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
    /// The key added to last and its concerts, not yet in `keys`: a key's
    /// months come one after the other (the planet by venue adds up 2
    /// million venue-months, and a map's lookup costs more than the addition).
    pending: Option<(i64, u64)>,
}

impl Tally {
    fn new(by: Option<GroupBy>) -> Self {
        let months = if matches!(by, Some(GroupBy::Month | GroupBy::Year)) { vec![0; MONTH_SLOTS] } else { Vec::new() };
        Self { by, total: 0, months, keys: BTreeMap::new(), pending: None }
    }

    /// `n` concerts of `key` (a venue or a band) in `month`.
    fn add(&mut self, key: i64, month: i64, n: u64) {
        match self.by {
            Some(GroupBy::Venue | GroupBy::Band) => return self.add_to_key(key, n),
            Some(GroupBy::Month | GroupBy::Year) => {
                if let Some(slot) = self.months.get_mut(month_slot(month)) {
                    *slot += n;
                }
            }
            None => {}
        }
        self.total += n;
    }

    /// `n` concerts of `key`, when split by venue or band (their months do not matter).
    fn add_to_key(&mut self, key: i64, n: u64) {
        self.total += n;
        match &mut self.pending {
            Some((pending, concerts)) if *pending == key => *concerts += n,
            _ => {
                self.settle();
                self.pending = Some((key, n));
            }
        }
    }

    /// Moves the pending key's concerts into `keys`.
    fn settle(&mut self) {
        if let Some((key, n)) = self.pending.take() {
            *self.keys.entry(key).or_default() += n;
        }
    }

    /// Takes back `n` concerts of `month` added before (by month, year or in all only).
    fn take(&mut self, month: i64, n: u64) {
        self.total = self.total.saturating_sub(n);
        if let Some(slot) = self.months.get_mut(month_slot(month)) {
            *slot = slot.saturating_sub(n);
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

    fn counts(mut self) -> ConcertCounts {
        self.settle();
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

/// Counts the concerts of `range` (a condition on the key ending in `AND`,
/// its parameter `key`; empty: every concert) from `from` to `to` (UNIX ms,
/// both included) of the `kept` statuses: inside one index range per key
/// (status is one of the indexes' columns), no row leaves SQLite.
fn count_in(
    connection: &Connection,
    range: &str,
    key: Option<&dyn ToSql>,
    (from, to): (i64, i64),
    kept: [bool; 4],
) -> Result<u64> {
    let mask: i64 = kept.iter().enumerate().filter(|(_, kept)| **kept).map(|(status, _)| 1 << status).sum();
    let mut parameters: Vec<&dyn ToSql> = key.into_iter().chain([&from as &dyn ToSql, &to]).collect();
    // With every status kept, no test per row (a count of most venues' edges steps thousands).
    let statuses = if mask == 0b1111 { "" } else { " AND (? >> status) & 1" };
    if !statuses.is_empty() {
        parameters.push(&mask);
    }
    let mut statement = connection
        .prepare_cached(&format!("SELECT count(*) FROM concerts WHERE {range} date BETWEEN ? AND ?{statuses}"))?;
    statement.query_row(parameters.as_slice(), |row| row.get::<_, i64>(0)).map(i64::unsigned_abs)
}

/// The conditions of [`count_in`] on one key and on a list of keys (`IN rarray`).
fn key_ranges(driver: Driver) -> [&'static str; 2] {
    match driver {
        Driver::Bands => ["band_id = ? AND", "band_id IN rarray(?) AND"],
        Driver::Venues => ["venue_id = ? AND", "venue_id IN rarray(?) AND"],
    }
}

/// `each(key, month, concerts)` for the partial months at the ends of the
/// range: key by key when the count is split by key, else `each(0, ..)`
/// for all keys at once (one statement per edge: a city names hundreds of venues).
fn edges_by_key(
    connection: &Connection,
    driver: Driver,
    keys: &[i64],
    (span, by_key): (&Span, bool),
    kept: [bool; 4],
    mut each: impl FnMut(i64, i64, u64),
) -> Result<()> {
    if span.edges.is_empty() || keys.is_empty() {
        return Ok(());
    }
    let [one, list] = key_ranges(driver);
    if by_key {
        for key in keys {
            for edge in &span.edges {
                each(*key, edge.month, count_in(connection, one, Some(key), (edge.from, edge.to), kept)?);
            }
        }
    } else {
        let keys = id_list(keys);
        for edge in &span.edges {
            each(0, edge.month, count_in(connection, list, Some(&keys), (edge.from, edge.to), kept)?);
        }
    }
    Ok(())
}

/// Every concert of `edge` (of any venue): the whole days from the day
/// counts, the rest (a part of a day at either end, at most) counted along
/// the dates.
fn all_concerts_in(connection: &Connection, venue_months: &VenueMonths, edge: &Edge, kept: [bool; 4]) -> Result<u64> {
    let along_dates = |from: i64, to: i64| count_in(connection, "", None, (from, to), kept);
    // The whole days: from the first starting at or after `from` to the last ending at or before `to`.
    let first = day_of(edge.from) + i64::from(edge.from.rem_euclid(DAY_MS) != 0);
    let last = day_of(edge.to) - i64::from(edge.to.rem_euclid(DAY_MS) != DAY_MS - 1);
    if first > last {
        return along_dates(edge.from, edge.to);
    }
    let mut concerts = venue_months.on_days((first, last), kept);
    // In i128: the first ms of the day after the last may be past i64's end.
    let (days_start, days_end) =
        (i128::from(first) * i128::from(DAY_MS), (i128::from(last) + 1) * i128::from(DAY_MS) - 1);
    if i128::from(edge.from) < days_start {
        concerts += along_dates(edge.from, i64::try_from(days_start - 1).unwrap_or(i64::MAX))?;
    }
    if days_end < i128::from(edge.to) {
        concerts += along_dates(i64::try_from(days_end + 1).unwrap_or(i64::MAX), edge.to)?;
    }
    Ok(concerts)
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
/// (their counts), and the rest (at most two stretches, counted in the indexes).
#[derive(Debug, PartialEq, Eq)]
struct Span {
    /// The first and last whole month (`yyyymm`), if any.
    months: Option<(i64, i64)>,
    edges: Vec<Edge>,
}

/// A stretch of a month that the range holds only in part.
#[derive(Debug, PartialEq, Eq)]
struct Edge {
    /// Its month (of [`month_of`]).
    month: i64,
    /// UNIX ms, both ends included, both in `month`.
    from: i64,
    to: i64,
}

impl Edge {
    /// The stretches from `low` to `high` (included), one per month they
    /// touch: with no whole month between them, at most two.
    fn months_of(low: i64, high: i64) -> Vec<Edge> {
        let mut edges = Vec::new();
        let mut from = low;
        while from <= high {
            let month = month_of(from);
            let to = end(month).min(high);
            edges.push(Edge { month, from, to });
            if to == high {
                break;
            }
            from = to + 1;
        }
        edges
    }
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
                let before = (low < start(first)).then(|| Edge::months_of(low, start(first) - 1));
                let after = (end(last) < high).then(|| Edge::months_of(end(last) + 1, high));
                Self { months: Some((first, last)), edges: before.into_iter().chain(after).flatten().collect() }
            }
            _ => Self { months: None, edges: Edge::months_of(low, high) },
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
    use concerts_model::{Concert, Status};

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

    /// A store of `concerts` (band, venue, date, status), counted.
    fn store(concerts: &[(i64, i64, i64, u8)]) -> (Connection, VenueMonths) {
        let connection = Connection::open_in_memory().unwrap();
        storage::sqlite::rusqlite::vtab::array::load_module(&connection).unwrap();
        connection.execute_batch(&super::super::schema()).unwrap();
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
        (connection, venue_months)
    }

    /// What `count` must give, from the concerts themselves.
    fn counted_one_by_one(concerts: &[(i64, i64, i64, u8)], filter: &ConcertFilter, by: GroupBy) -> ConcertCounts {
        let mut groups = BTreeMap::<i64, u64>::new();
        let named = |ids: &Option<Vec<i64>>, id: i64| ids.as_ref().is_none_or(|ids| ids.contains(&id));
        for (band, venue, date, status) in concerts {
            let kept = filter.statuses.as_ref().is_none_or(|kept| kept.iter().any(|kept| kept.code() == *status));
            if named(&filter.band_ids, *band)
                && named(&filter.venue_ids, *venue)
                && filter.dates.contains(*date)
                && kept
            {
                let key = match by {
                    GroupBy::Month => month_of(*date),
                    GroupBy::Year => year_of(month_of(*date)),
                    GroupBy::Venue => *venue,
                    GroupBy::Band => *band,
                };
                *groups.entry(key).or_default() += 1;
            }
        }
        ConcertCounts { total: groups.values().sum(), groups: groups.into_iter().collect() }
    }

    /// 6,000 concerts of 13 bands at 1,500 venues over three months, one in five cancelled.
    fn summer() -> Vec<(i64, i64, i64, u8)> {
        (0..6000)
            .map(|i| (1 + i % 13, 1 + i % 1500, JUNE_2019 + i * 7_654_321 % (90 * DAY_MS), (i % 5 == 0) as u8 * 3))
            .collect()
    }

    /// Ranges ending inside months and inside days, or on their bounds, or spanning no whole month.
    fn ranges() -> Vec<DateRange> {
        let at = |from: i64, to: i64| DateRange { from: Some(from), to: Some(to) };
        vec![
            DateRange::default(),
            at(JUNE_2019 + 10 * DAY_MS + 5, JUNE_2019 + 75 * DAY_MS),
            at(JUNE_2019 + 14 * DAY_MS, AUGUST_2019 + 3 * DAY_MS - 1),
            at(JUNE_2019 + 14 * DAY_MS + 3_600_000, JULY_2019 + 5 * DAY_MS + 7),
            at(JULY_2019 + 2 * DAY_MS + 1, JULY_2019 + 2 * DAY_MS + 40_000_000),
            DateRange { from: Some(JULY_2019 + 17 * DAY_MS + 12_345), to: None },
            DateRange { from: None, to: Some(JULY_2019 + 9 * DAY_MS - 1) },
        ]
    }

    /// Most venues (all less the others, the days of the partial months
    /// included), a few venues, and bands: each as the concerts themselves count.
    #[test]
    fn counts_of_any_range_are_the_concerts_own_count() {
        let concerts = summer();
        let (connection, venue_months) = store(&concerts);
        let most: Vec<i64> = (1..=1400).collect();
        let few: Vec<i64> = (20..=60).collect();
        assert!(venue_months.others(&most).is_some() && venue_months.others(&few).is_none());
        for dates in ranges() {
            for statuses in [None, Some(vec![Status::Scheduled]), Some(vec![Status::Cancelled])] {
                let filters = [
                    ConcertFilter { venue_ids: Some(most.clone()), ..ConcertFilter::default() },
                    ConcertFilter { venue_ids: Some(few.clone()), ..ConcertFilter::default() },
                    ConcertFilter { band_ids: Some(vec![2, 3, 11]), ..ConcertFilter::default() },
                ];
                for filter in filters {
                    let filter = ConcertFilter { dates, statuses: statuses.clone(), ..filter };
                    for by in [GroupBy::Month, GroupBy::Year, GroupBy::Venue, GroupBy::Band] {
                        let expected = counted_one_by_one(&concerts, &filter, by);
                        let counted = count(&connection, &venue_months, &filter, Some(by)).unwrap();
                        assert_eq!(counted, expected, "{filter:?} by {by:?}");
                        let total = count(&connection, &venue_months, &filter, None).unwrap();
                        assert_eq!(total, ConcertCounts { total: expected.total, groups: Vec::new() });
                    }
                }
            }
        }
    }

    /// A write changes the day counts with the rest: a count of most venues
    /// from a partial day sees it at once, and after a restart.
    #[test]
    fn the_days_follow_each_write() {
        let concerts = summer();
        let (connection, venue_months) = store(&concerts);
        let from = JULY_2019 + 3 * DAY_MS + 5;
        let filter = ConcertFilter {
            venue_ids: Some((1..=1500).collect()),
            dates: DateRange { from: Some(from), to: None },
            ..ConcertFilter::default()
        };
        let before = count(&connection, &venue_months, &filter, None).unwrap().total;
        // Two concerts added on whole days of the partial month, and one moved out of the range.
        let on = |day: i64| Concert {
            id: 9000 + day,
            band_id: 1,
            venue_id: 7,
            date: JULY_2019 + day * DAY_MS,
            status: Status::Scheduled,
        };
        let added = [on(9), on(20)];
        let (index, (band, venue, date, status)) =
            concerts.iter().enumerate().find(|(_, c)| c.2 >= JULY_2019 + 4 * DAY_MS).unwrap();
        let moved = Concert {
            id: index as i64 + 1,
            band_id: *band,
            venue_id: *venue,
            date: *date,
            status: pages::status(*status),
        };
        let gone = Concert { date: JUNE_2019 + 1234, ..moved };
        let transaction = connection.unchecked_transaction().unwrap();
        transaction.execute("UPDATE concerts SET date = ?1 WHERE id = ?2", (gone.date, gone.id)).unwrap();
        for c in &added {
            let insert = "INSERT INTO concerts (band_id, venue_id, date, id) VALUES (?1, ?2, ?3, ?4)";
            transaction.execute(insert, (c.band_id, c.venue_id, c.date, c.id)).unwrap();
        }
        let deltas = month_counts::deltas(&[moved], &[&[gone][..], &added].concat());
        month_counts::record(&transaction, &deltas).unwrap();
        transaction.commit().unwrap();
        venue_months.add(&deltas);
        assert_eq!(count(&connection, &venue_months, &filter, None).unwrap().total, before + 1);
        let reloaded = VenueMonths::load(&connection).unwrap();
        assert_eq!(
            count(&connection, &reloaded, &filter, None).unwrap().total,
            before + 1,
            "as counted after a restart"
        );
        // Each split, as the concerts now are.
        let mut now = concerts.clone();
        now[index].2 = gone.date;
        now.extend(added.iter().map(|c| (c.band_id, c.venue_id, c.date, 0)));
        let few = ConcertFilter { venue_ids: Some(vec![7, 8, *venue]), ..filter.clone() };
        let always = ConcertFilter { dates: DateRange::default(), ..filter.clone() };
        for filter in [filter, few, always] {
            for by in [GroupBy::Venue, GroupBy::Month] {
                let expected = counted_one_by_one(&now, &filter, by);
                assert_eq!(
                    count(&connection, &venue_months, &filter, Some(by)).unwrap(),
                    expected,
                    "{filter:?} by {by:?}"
                );
            }
        }
    }

    #[test]
    fn partial_months_are_counted_in_index_ranges() {
        let (connection, _) = store(&[]);
        let [band, bands] = key_ranges(Driver::Bands);
        let [venue, venues] = key_ranges(Driver::Venues);
        let ranges = [
            (band, "PRIMARY KEY (band_id=?"),
            (bands, "PRIMARY KEY (band_id=?"),
            (venue, "COVERING INDEX concerts_by_venue_and_date (venue_id=?"),
            (venues, "COVERING INDEX concerts_by_venue_and_date (venue_id=?"),
            ("", "COVERING INDEX concerts_in_list_order (date>? AND date<?)"),
        ];
        for (range, index) in ranges {
            for statuses in ["", " AND (? >> status) & 1"] {
                let sql = format!(
                    "EXPLAIN QUERY PLAN SELECT count(*) FROM concerts WHERE {range} date BETWEEN ? AND ?{statuses}"
                );
                let mut explain = connection.prepare(&sql).unwrap();
                let parameters = [1, 2, 3, 4];
                let plan: Vec<String> = explain
                    .query_map(
                        storage::sqlite::rusqlite::params_from_iter(&parameters[..explain.parameter_count()]),
                        |row| row.get(3),
                    )
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                let plan = plan.join("; ");
                assert!(
                    plan.contains(&format!("SEARCH concerts USING {index}")) && plan.contains("date>? AND date<?)"),
                    "{sql}: {plan}"
                );
            }
        }
    }

    const JUNE_2019: i64 = 1_559_347_200_000;
    const JULY_2019: i64 = 1_561_939_200_000;
    const AUGUST_2019: i64 = 1_564_617_600_000;

    fn edge(month: i64, from: i64, to: i64) -> Edge {
        Edge { month, from, to }
    }

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
                edges: vec![edge(201906, JUNE_2019 + 5, JULY_2019 - 1), edge(201908, AUGUST_2019, AUGUST_2019 + 5)]
            },
            "a partial month at each end"
        );
        assert_eq!(
            span(Some(JUNE_2019 + 5), Some(JULY_2019 + 5)),
            Span {
                months: None,
                edges: vec![edge(201906, JUNE_2019 + 5, JULY_2019 - 1), edge(201907, JULY_2019, JULY_2019 + 5)]
            },
            "no whole month: a stretch in each month"
        );
        assert_eq!(span(Some(JULY_2019), Some(JUNE_2019)), Span { months: None, edges: vec![] }, "an empty range");
        // From a moment on: the rest of its month, then every month to the end of the calendar and past it.
        assert_eq!(
            span(Some(JUNE_2019 + 5), None),
            Span { months: Some((201907, LAST_MONTH)), edges: vec![edge(201906, JUNE_2019 + 5, JULY_2019 - 1)] }
        );
        assert_eq!(span(None, Some(JUNE_2019 - 1)), Span { months: Some((FIRST_MONTH, 201905)), edges: vec![] });
        // Dates outside the calendar's years: one month before it, one after.
        let far = start(AFTER_CALENDAR) + 10;
        assert_eq!(span(Some(far), None), Span { months: None, edges: vec![edge(AFTER_CALENDAR, far, i64::MAX)] });
        assert_eq!(
            span(Some(start(AFTER_CALENDAR)), None),
            Span { months: Some((AFTER_CALENDAR, AFTER_CALENDAR)), edges: vec![] }
        );
        assert_eq!(
            span(None, Some(-70_000_000_000_000)),
            Span { months: None, edges: vec![edge(BEFORE_CALENDAR, i64::MIN, -70_000_000_000_000)] }
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
