//! How many concerts each band and each venue holds per month (UTC) and
//! status: what `POST /concerts/counts` adds up, so that counting a search
//! costs about its keys and months, not its concerts.
//!
//! Kept in the `month_counts` table, in the same transaction as the
//! concerts themselves; the venues' side is also kept in memory
//! ([`VenueMonths`]), since a geo count names thousands of venues.

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
";

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

/// Counts everything again from the concerts table: after a bulk load, and
/// once for a store made before counts were kept.
pub fn rebuild(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    transaction.execute_batch(&format!(
        "DELETE FROM month_counts;
         INSERT INTO month_counts (side, key, month, status, concerts)
             SELECT 0, band_id, {MONTH_SQL} AS month, status, count(*) FROM concerts GROUP BY band_id, month, status;
         INSERT INTO month_counts (side, key, month, status, concerts)
             SELECT 1, venue_id, {MONTH_SQL} AS month, status, count(*) FROM concerts GROUP BY venue_id, month, status;"
    ))
}

/// Counts a store that has concerts but no counts yet (made by an earlier version).
pub fn backfill(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    let missing: bool = transaction.query_row(
        "SELECT EXISTS (SELECT 1 FROM concerts) AND NOT EXISTS (SELECT 1 FROM month_counts)",
        [],
        |row| row.get(0),
    )?;
    if missing {
        tracing::info!("counting the concerts per band, venue and month (a store of an earlier version)");
        rebuild(transaction)?;
    }
    Ok(())
}

/// What a write changes in the counts: each (side, key, month, status) with
/// the concerts it adds (below zero: takes away).
pub type Deltas = HashMap<(CountSide, i64, i64, u8), i64>;

/// The counts `removed` and `added` change (a concert in both, unchanged, changes nothing).
pub fn deltas(removed: &[Concert], added: &[Concert]) -> Deltas {
    let mut deltas = Deltas::new();
    for (concerts, change) in [(removed, -1), (added, 1)] {
        for c in concerts {
            let (month, status) = (month_of(c.date), c.status.code());
            *deltas.entry((CountSide::Band, c.band_id, month, status)).or_default() += change;
            *deltas.entry((CountSide::Venue, c.venue_id, month, status)).or_default() += change;
        }
    }
    deltas.retain(|_, change| *change != 0);
    deltas
}

/// Records `deltas` in `transaction`.
pub fn record(transaction: &Transaction<'_>, deltas: &Deltas) -> rusqlite::Result<()> {
    let mut statement = transaction.prepare_cached(
        "INSERT INTO month_counts (side, key, month, status, concerts) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (side, key, month, status) DO UPDATE SET concerts = concerts + excluded.concerts",
    )?;
    for ((side, key, month, status), change) in deltas {
        statement.execute((*side as i64, key, month, status, change))?;
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

/// Every venue's concerts per month, in memory: each venue's months in a
/// sorted vector, so that a count over thousands of venues reads contiguous
/// memory (a count of the whole planet adds up 10,000 venues' months).
#[derive(Debug, Default)]
pub struct VenueMonths {
    by_venue: RwLock<ByVenue>,
}

/// Each venue's months, and all venues' together: a count naming most
/// venues (a continent, the planet) adds up all of them and takes away
/// the few it does not name.
#[derive(Debug, Default)]
struct ByVenue {
    venues: HashMap<i64, Months>,
    all: Months,
}

/// A venue's concerts per month (ascending), each month per status.
type Months = Vec<(i64, [u64; 4])>;

impl VenueMonths {
    pub fn load(connection: &Connection) -> rusqlite::Result<Self> {
        // In the primary key's order: each venue's months come sorted.
        let mut statement = connection
            .prepare("SELECT key, month, status, concerts FROM month_counts WHERE side = 1 ORDER BY key, month")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
        let mut by_venue = ByVenue::default();
        for row in rows {
            let (venue, month, status, concerts): (i64, i64, u8, i64) = row?;
            add_to(by_venue.venues.entry(venue).or_default(), month, status, concerts);
            add_to(&mut by_venue.all, month, status, concerts);
        }
        Ok(Self { by_venue: RwLock::new(by_venue) })
    }

    /// Takes the counts of `other` (read again after a bulk load).
    pub fn replace(&self, other: VenueMonths) {
        let other = other.by_venue.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        *self.by_venue.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = other;
    }

    /// Adds the venues' side of `deltas`, once committed.
    pub fn add(&self, deltas: &Deltas) {
        let mut by_venue = self.by_venue.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((side, venue, month, status), change) in deltas {
            if *side == CountSide::Venue {
                add_to(by_venue.venues.entry(*venue).or_default(), *month, *status, *change);
                add_to(&mut by_venue.all, *month, *status, *change);
            }
        }
    }

    /// `each(venue, month, concerts)` for each of `venues`' months from
    /// `first` to `last` (inclusive), the concerts of the `kept` statuses.
    pub fn add_up(&self, venues: &[i64], months: (i64, i64), kept: [bool; 4], mut each: impl FnMut(i64, i64, u64)) {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        for venue in venues {
            if let Some(held) = by_venue.venues.get(venue) {
                for_months(held, months, kept, |month, concerts| each(*venue, month, concerts));
            }
        }
    }

    /// What [`Self::add_up`] gives without the venues (`venues`, each once)
    /// when they are most venues: `add(month, concerts)` for all venues'
    /// months, then `take(month, concerts)` for those of the venues not
    /// named. `false` (and nothing called) when they are not most venues.
    pub fn add_up_most(
        &self,
        venues: &[i64],
        months: (i64, i64),
        kept: [bool; 4],
        mut add: impl FnMut(i64, u64),
        mut take: impl FnMut(i64, u64),
    ) -> bool {
        let by_venue = self.by_venue.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if venues.len() * 2 <= by_venue.venues.len() {
            return false;
        }
        let named: std::collections::HashSet<i64> = venues.iter().copied().collect();
        for_months(&by_venue.all, months, kept, &mut add);
        for (_, held) in by_venue.venues.iter().filter(|(venue, _)| !named.contains(venue)) {
            for_months(held, months, kept, &mut take);
        }
        true
    }
}

/// `each(month, concerts)` for `held`'s months from `first` to `last`, the `kept` statuses.
fn for_months(held: &Months, (first, last): (i64, i64), kept: [bool; 4], mut each: impl FnMut(i64, u64)) {
    let start = held.partition_point(|(month, _)| *month < first);
    for (month, counts) in held[start..].iter().take_while(|(month, _)| *month <= last) {
        let concerts = counts.iter().zip(kept).filter(|(_, kept)| *kept).map(|(count, _)| count).sum();
        each(*month, concerts);
    }
}

/// Adds `concerts` of `status` to `month` in a venue's sorted months.
fn add_to(months: &mut Months, month: i64, status: u8, concerts: i64) {
    let at = match months.binary_search_by_key(&month, |(month, _)| *month) {
        Ok(at) => at,
        Err(at) => {
            months.insert(at, (month, [0; 4]));
            at
        }
    };
    if let Some(slot) = months[at].1.get_mut(usize::from(status)) {
        *slot = slot.saturating_add_signed(concerts);
    }
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
        let sql = format!("SELECT {MONTH_SQL} FROM (SELECT ?1 AS date)");
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
        ] {
            let sqlite: i64 = statement.query_row([date], |row| row.get(0)).unwrap();
            assert_eq!(sqlite, month_of(date), "{date}");
        }
    }

    #[test]
    fn a_write_changes_the_counts_of_its_band_and_venue_by_month_and_status() {
        let june = 1_559_347_200_000;
        let concert = Concert { id: 1, band_id: 7, venue_id: 9, date: june, status: Status::Scheduled };
        let cancelled = Concert { status: Status::Cancelled, ..concert };
        let deltas = deltas(&[concert], &[cancelled]);
        assert_eq!(
            deltas,
            Deltas::from([
                ((CountSide::Band, 7, 201906, 0), -1),
                ((CountSide::Venue, 9, 201906, 0), -1),
                ((CountSide::Band, 7, 201906, 3), 1),
                ((CountSide::Venue, 9, 201906, 3), 1),
            ])
        );
        assert!(super::deltas(&[concert], &[concert]).is_empty(), "nothing changed");
    }
}
