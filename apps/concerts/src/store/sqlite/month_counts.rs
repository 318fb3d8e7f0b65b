//! How many concerts each band and each venue holds per month (UTC) and
//! status, and the whole catalogue per day: what `POST /concerts/counts`
//! adds up, so that counting a search costs about its keys and months, not
//! its concerts.
//!
//! Kept in the `month_counts` and `day_counts` tables, in the same
//! transaction as the concerts themselves; the venues' side and the days are
//! also kept in memory ([`VenueMonths`]), since a geo count names thousands
//! of venues. The days serve a count naming most venues (the planet, a
//! continent) whose range starts or ends inside a month: the whole days of
//! that month come from them, less the venues it does not name.

use std::collections::HashMap;
use std::sync::RwLock;

use concerts_model::{Concert, Status, month_of};
use storage::sqlite::rusqlite::{self, Connection, Transaction};

pub const TABLE: &str = "
    CREATE TABLE IF NOT EXISTS month_counts (
        side     INTEGER NOT NULL,
        key      INTEGER NOT NULL,
        month    INTEGER NOT NULL,
        status   INTEGER NOT NULL,
        concerts INTEGER NOT NULL,
        PRIMARY KEY (side, key, month, status)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS day_counts (
        day      INTEGER NOT NULL,
        status   INTEGER NOT NULL,
        concerts INTEGER NOT NULL,
        PRIMARY KEY (day, status)
    ) WITHOUT ROWID;
";

/// A day in UNIX ms: days are numbered from 1970-01-01 (UTC), as [`day_of`] does.
pub const DAY_MS: i64 = 86_400_000;

/// The day (UTC) of a date in UNIX ms, counted from 1970-01-01 (negative before it).
pub fn day_of(date: i64) -> i64 {
    date.div_euclid(DAY_MS)
}

/// Which side of a concert a count is kept for (the `side` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CountSide {
    Band = 0,
    Venue = 1,
}

/// [`month_of`] in SQL, for the bulk load and the backfill: the years 0 to
/// 9999 are the range SQLite's calendar functions know, and both must agree.
const MONTH_SQL: &str = "CASE WHEN date < -62167219200000 THEN 0 WHEN date >= 253402300800000 THEN 999999
     ELSE CAST(strftime('%Y%m', date / 1000.0, 'unixepoch') AS INTEGER) END";

/// [`day_of`] in SQL (whose `/` rounds toward zero, where days round down).
const DAY_SQL: &str = "CASE WHEN date >= 0 THEN date / 86400000 ELSE -((-1 - date) / 86400000) - 1 END";

/// Counts everything again from the concerts table: after a bulk load, and
/// once for a store made before counts were kept.
pub fn rebuild(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    transaction.execute_batch(&format!(
        "DELETE FROM month_counts;
         INSERT INTO month_counts (side, key, month, status, concerts)
             SELECT 0, band_id, {MONTH_SQL} AS month, status, count(*) FROM concerts GROUP BY band_id, month, status;
         INSERT INTO month_counts (side, key, month, status, concerts)
             SELECT 1, venue_id, {MONTH_SQL} AS month, status, count(*) FROM concerts GROUP BY venue_id, month, status;"
    ))?;
    rebuild_days(transaction)
}

/// Counts the whole catalogue per day again.
fn rebuild_days(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    transaction.execute_batch(&format!(
        "DELETE FROM day_counts;
         INSERT INTO day_counts (day, status, concerts)
             SELECT {DAY_SQL} AS day, status, count(*) FROM concerts GROUP BY day, status;"
    ))
}

/// Counts a store that has concerts but no counts yet (made by an earlier version).
pub fn backfill(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    let missing = |table: &str| -> rusqlite::Result<bool> {
        transaction.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM concerts) AND NOT EXISTS (SELECT 1 FROM {table})"),
            [],
            |row| row.get(0),
        )
    };
    if missing("month_counts")? {
        tracing::info!("counting the concerts per band, venue and month (a store of an earlier version)");
        rebuild(transaction)?;
    } else if missing("day_counts")? {
        tracing::info!("counting the concerts per day (a store of an earlier version)");
        rebuild_days(transaction)?;
    }
    Ok(())
}

/// What a write changes in the counts, each count with the concerts it adds
/// (below zero: takes away).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deltas {
    /// Per (side, key, month, status).
    months: HashMap<(CountSide, i64, i64, u8), i64>,
    /// Per (day, status).
    days: HashMap<(i64, u8), i64>,
}

/// The counts `removed` and `added` change (a concert in both, unchanged, changes nothing).
pub fn deltas(removed: &[Concert], added: &[Concert]) -> Deltas {
    let mut deltas = Deltas::default();
    for (concerts, change) in [(removed, -1), (added, 1)] {
        for c in concerts {
            let (month, status) = (month_of(c.date), c.status.code());
            *deltas.months.entry((CountSide::Band, c.band_id, month, status)).or_default() += change;
            *deltas.months.entry((CountSide::Venue, c.venue_id, month, status)).or_default() += change;
            *deltas.days.entry((day_of(c.date), status)).or_default() += change;
        }
    }
    deltas.months.retain(|_, change| *change != 0);
    deltas.days.retain(|_, change| *change != 0);
    deltas
}

/// Records `deltas` in `transaction`.
pub fn record(transaction: &Transaction<'_>, deltas: &Deltas) -> rusqlite::Result<()> {
    let mut months = transaction.prepare_cached(
        "INSERT INTO month_counts (side, key, month, status, concerts) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (side, key, month, status) DO UPDATE SET concerts = concerts + excluded.concerts",
    )?;
    for ((side, key, month, status), change) in &deltas.months {
        months.execute((*side as i64, key, month, status, change))?;
    }
    let mut days = transaction.prepare_cached(
        "INSERT INTO day_counts (day, status, concerts) VALUES (?1, ?2, ?3)
         ON CONFLICT (day, status) DO UPDATE SET concerts = concerts + excluded.concerts",
    )?;
    for ((day, status), change) in &deltas.days {
        days.execute((day, status, change))?;
    }
    Ok(())
}

/// `each(month, concerts)` for the band's months from `first` to `last`
/// (inclusive), the concerts of the `kept` statuses.
pub fn add_up_band(
    connection: &Connection,
    band: i64,
    (first, last): (i64, i64),
    kept: [bool; 4],
    mut each: impl FnMut(i64, u64),
) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached(
        "SELECT month, status, concerts FROM month_counts
         WHERE side = 0 AND key = ?1 AND month BETWEEN ?2 AND ?3",
    )?;
    let rows = statement.query_map((band, first, last), |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    for row in rows {
        let (month, status, concerts): (i64, u8, i64) = row?;
        if kept.get(usize::from(status)).copied().unwrap_or(false) {
            each(month, concerts.unsigned_abs());
        }
    }
    Ok(())
}

/// All concerts of `band`, every month and status.
pub fn band_concerts(connection: &Connection, band: i64) -> rusqlite::Result<f64> {
    let mut statement =
        connection.prepare_cached("SELECT total(concerts) FROM month_counts WHERE side = 0 AND key = ?1")?;
    statement.query_row([band], |row| row.get(0))
}

/// Every venue's concerts per month, and the whole catalogue's per day, in
/// memory: each venue's months in a sorted vector, so that a count over
/// thousands of venues reads contiguous memory (a count of the whole planet
/// adds up 10,000 venues' months).
#[derive(Debug, Default)]
pub struct VenueMonths {
    by_venue: RwLock<ByVenue>,
}

/// Each venue's months, all venues' together, and all concerts per day: a
/// count naming most venues (a continent, the planet) adds up all of them
/// and takes away the few venues it does not name.
#[derive(Debug, Default)]
struct ByVenue {
    venues: HashMap<i64, VenueHistory>,
    all: Periods,
    days: Periods,
}

/// A venue's months, and their running totals: a count split by venue adds
/// up each venue's range in two lookups, not a pass over its months (over
/// the planet, 2 million venue-months: tens of milliseconds of memory reads).
#[derive(Debug, Default)]
struct VenueHistory {
    months: Periods,
    /// `running[i]`: the concerts of `months[..=i]`, per status.
    running: Vec<[u64; 4]>,
}

impl VenueHistory {
    fn add(&mut self, month: i64, status: u8, concerts: i64) {
        let at = add_to(&mut self.months, month, status, concerts);
        // Months come in order at a load, so this is mostly the last one.
        self.running.truncate(at);
        let mut sum = self.running.last().copied().unwrap_or_default();
        for (_, counts) in &self.months[at..] {
            for (total, count) in sum.iter_mut().zip(counts) {
                *total += count;
            }
            self.running.push(sum);
        }
    }

    /// The concerts of the `kept` statuses from `first` to `last` (inclusive).
    fn total(&self, (first, last): (i64, i64), kept: [bool; 4]) -> u64 {
        // A range past either end of the venue's months needs no search there
        // (a search over each of 10,000 venues' months waits on memory).
        let start = match self.months.first() {
            Some((month, _)) if *month < first => self.months.partition_point(|(month, _)| *month < first),
            _ => 0,
        };
        let end = match self.months.last() {
            Some((month, _)) if *month > last => self.months.partition_point(|(month, _)| *month <= last),
            _ => self.months.len(),
        };
        let (Some(upto_last), true) = (end.checked_sub(1).and_then(|end| self.running.get(end)), start < end) else {
            return 0;
        };
        let before_first = start.checked_sub(1).and_then(|start| self.running.get(start)).copied().unwrap_or_default();
        (0..4).filter(|status| kept[*status]).map(|status| upto_last[status] - before_first[status]).sum()
    }
}

/// Concerts per period (a month of [`month_of`] or a day of [`day_of`]),
/// ascending, each period per status.
type Periods = Vec<(i64, [u64; 4])>;

impl VenueMonths {
    pub fn load(connection: &Connection) -> rusqlite::Result<Self> {
        // In the primary key's order: each venue's months come sorted, and the days.
        let mut statement = connection
            .prepare("SELECT key, month, status, concerts FROM month_counts WHERE side = 1 ORDER BY key, month")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
        let mut by_venue = ByVenue::default();
        for row in rows {
            let (venue, month, status, concerts): (i64, i64, u8, i64) = row?;
            by_venue.venues.entry(venue).or_default().add(month, status, concerts);
            add_to(&mut by_venue.all, month, status, concerts);
        }
        let mut statement = connection.prepare("SELECT day, status, concerts FROM day_counts ORDER BY day")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        for row in rows {
            let (day, status, concerts): (i64, u8, i64) = row?;
            add_to(&mut by_venue.days, day, status, concerts);
        }
        Ok(Self { by_venue: RwLock::new(by_venue) })
    }

    /// Takes the counts of `other` (read again after a bulk load).
    pub fn replace(&self, other: VenueMonths) {
        let other = other.by_venue.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        *self.by_venue.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = other;
    }

    /// Adds the venues' side and the days of `deltas`, once committed.
    pub fn add(&self, deltas: &Deltas) {
        let mut by_venue = self.by_venue.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((side, venue, month, status), change) in &deltas.months {
            if *side == CountSide::Venue {
                by_venue.venues.entry(*venue).or_default().add(*month, *status, *change);
                add_to(&mut by_venue.all, *month, *status, *change);
            }
        }
        for ((day, status), change) in &deltas.days {
            add_to(&mut by_venue.days, *day, *status, *change);
        }
    }

    /// `each(venue, month, concerts)` for each of `venues`' months from
    /// `first` to `last` (inclusive), the concerts of the `kept` statuses.
    pub fn add_up(&self, venues: &[i64], months: (i64, i64), kept: [bool; 4], mut each: impl FnMut(i64, i64, u64)) {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for venue in venues {
            if let Some(held) = by_venue.venues.get(venue) {
                for_periods(&held.months, months, kept, |month, concerts| each(*venue, month, concerts));
            }
        }
    }

    /// `each(venue, concerts)` for each of `venues`, its concerts from the
    /// month `first` to `last` (inclusive), of the `kept` statuses.
    pub fn totals(&self, venues: &[i64], months: (i64, i64), kept: [bool; 4], mut each: impl FnMut(i64, u64)) {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for venue in venues {
            if let Some(held) = by_venue.venues.get(venue) {
                each(*venue, held.total(months, kept));
            }
        }
    }

    /// `each(month, concerts)` for all venues' months from `first` to `last`.
    pub fn add_up_all(&self, months: (i64, i64), kept: [bool; 4], each: impl FnMut(i64, u64)) {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for_periods(&by_venue.all, months, kept, each);
    }

    /// All concerts of the `kept` statuses on the days from `first` to `last` (inclusive).
    pub fn on_days(&self, days: (i64, i64), kept: [bool; 4]) -> u64 {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut concerts = 0;
        for_periods(&by_venue.days, days, kept, |_, n| concerts += n);
        concerts
    }

    /// The venues holding concerts that `venues` (each once) does not name,
    /// when `venues` are most of them: a count is then cheaper as all
    /// venues' less these. `None` when they are not most.
    pub fn others(&self, venues: &[i64]) -> Option<Vec<i64>> {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if venues.len() * 2 <= by_venue.venues.len() {
            return None;
        }
        let named: std::collections::HashSet<i64> = venues.iter().copied().collect();
        Some(by_venue.venues.keys().filter(|venue| !named.contains(venue)).copied().collect())
    }
}

/// `each(period, concerts)` for `held`'s periods from `first` to `last`, the `kept` statuses.
fn for_periods(held: &Periods, (first, last): (i64, i64), kept: [bool; 4], mut each: impl FnMut(i64, u64)) {
    let start = held.partition_point(|(period, _)| *period < first);
    for (period, counts) in held[start..].iter().take_while(|(period, _)| *period <= last) {
        let concerts = counts.iter().zip(kept).filter(|(_, kept)| *kept).map(|(count, _)| count).sum();
        each(*period, concerts);
    }
}

/// Adds `concerts` of `status` to `period` in sorted periods; where it is.
fn add_to(periods: &mut Periods, period: i64, status: u8, concerts: i64) -> usize {
    let at = match periods.binary_search_by_key(&period, |(period, _)| *period) {
        Ok(at) => at,
        Err(at) => {
            periods.insert(at, (period, [0; 4]));
            at
        }
    };
    if let Some(slot) = periods[at].1.get_mut(usize::from(status)) {
        *slot = slot.saturating_add_signed(concerts);
    }
    at
}

/// The statuses of [`Status::code`] order a search keeps.
pub fn kept(statuses: Option<&[Status]>) -> [bool; 4] {
    Status::ALL.map(|status| statuses.is_none_or(|kept| kept.contains(&status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_and_rust_agree_on_every_month() {
        let connection = Connection::open_in_memory().unwrap();
        let sql = format!("SELECT {MONTH_SQL}, {DAY_SQL} FROM (SELECT ?1 AS date)");
        let mut statement = connection.prepare(&sql).unwrap();
        for date in [
            0,
            -1,
            1_559_347_200_000,
            1_559_347_199_999,
            951_868_799_999,     // 2000-02-29T23:59:59.999Z
            -62_167_219_200_000, // 0000-01-01
            -62_167_219_200_001,
            253_402_300_799_999, // 9999-12-31T23:59:59.999Z
            253_402_300_800_000,
            9_007_199_254_740_991,
            -9_007_199_254_740_991,
            -86_400_000,
            -86_400_001,
            86_399_999,
        ] {
            let (month, day): (i64, i64) = statement.query_row([date], |row| Ok((row.get(0)?, row.get(1)?))).unwrap();
            assert_eq!(month, month_of(date), "{date}");
            assert_eq!(day, day_of(date), "{date}");
        }
        assert_eq!((day_of(-1), day_of(0), day_of(DAY_MS)), (-1, 0, 1));
    }

    #[test]
    fn a_write_changes_the_counts_of_its_band_and_venue_by_month_and_status_and_its_day() {
        let june = 1_559_347_200_000;
        let concert = Concert { id: 1, band_id: 7, venue_id: 9, date: june, status: Status::Scheduled };
        let cancelled = Concert { status: Status::Cancelled, ..concert };
        let deltas = deltas(&[concert], &[cancelled]);
        assert_eq!(
            deltas.months,
            HashMap::from([
                ((CountSide::Band, 7, 201906, 0), -1),
                ((CountSide::Venue, 9, 201906, 0), -1),
                ((CountSide::Band, 7, 201906, 3), 1),
                ((CountSide::Venue, 9, 201906, 3), 1),
            ])
        );
        // 2019-06-01 is the 18,048th day after 1970-01-01.
        assert_eq!(deltas.days, HashMap::from([((18_048, 0), -1), ((18_048, 3), 1)]));
        assert_eq!(super::deltas(&[concert], &[concert]), Deltas::default(), "nothing changed");
    }
}
