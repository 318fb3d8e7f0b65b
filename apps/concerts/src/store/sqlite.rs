//! Concerts in the service's own SQLite file.
//!
//! The table is clustered on `(band_id, date, venue_id)`, the concert's
//! identity ordered so that a band's concerts are read newest first without a
//! sort; a second index serves venue queries the same way, and a third holds
//! every concert in list order. A page is a merge of per-key ranges
//! ([`merge`]): it reads about the rows it returns, plus a seek per key. A
//! search naming many keys first scans the list order ([`scan`]), which costs
//! less when those keys hold many of the concerts.

use std::collections::HashSet;
use std::path::Path;

use async_trait::async_trait;
use concerts_model::{Concert, ConcertSearch};
use exceptions::StoreError;
use records::RecordStore;
use sqlite_db::rusqlite::{Connection, Row};
use sqlite_db::{SqliteDb, id_list};

use super::ConcertStore;
use super::merge::{self, Driver};
use super::scan;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS concerts (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL,
        PRIMARY KEY (band_id, date, venue_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS concerts_by_venue_and_date ON concerts (venue_id, date);
    CREATE INDEX IF NOT EXISTS concerts_in_list_order ON concerts (date, band_id, venue_id);
";

/// Every concert after (?1, ?2, ?3) in list order, from `concerts_in_list_order`.
const LIST_ORDER_SQL: &str = "
    SELECT band_id, venue_id, date FROM concerts WHERE (date, band_id, venue_id) < (?1, ?2, ?3)
    ORDER BY date DESC, band_id DESC, venue_id DESC";

pub struct SqliteConcertStore {
    db: SqliteDb,
}

impl SqliteConcertStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self { db: SqliteDb::open(path, SCHEMA).await? })
    }
}

#[async_trait]
impl ConcertStore for SqliteConcertStore {
    async fn search(&self, search: ConcertSearch) -> Result<Vec<Concert>, StoreError> {
        // The shorter list drives the merge; the other one filters its rows.
        let (driver, keys, filter) = match (search.band_ids, search.venue_ids) {
            (Some(bands), Some(venues)) if bands.len() <= venues.len() => (Driver::Bands, bands, Some(venues)),
            (Some(bands), Some(venues)) => (Driver::Venues, venues, Some(bands)),
            (Some(bands), None) => (Driver::Bands, bands, None),
            (None, Some(venues)) => (Driver::Venues, venues, None),
            (None, None) => return Ok(Vec::new()),
        };
        let (limit, after) = (search.limit, search.after);
        self.db
            .call("concerts_search", move |connection| {
                read_page(connection, driver, &keys, filter.as_deref(), after.as_ref(), limit)
            })
            .await
    }
}

/// The first `limit` concerts after `after` among those of `keys` (whose
/// other id is in `filter`, if given): scanned along the list order when the
/// keys are many, merged from per-key ranges otherwise or when the scan's
/// budget runs out.
fn read_page(
    connection: &Connection,
    driver: Driver,
    keys: &[i64],
    filter: Option<&[i64]>,
    after: Option<&Concert>,
    limit: usize,
) -> sqlite_db::rusqlite::Result<Vec<Concert>> {
    if keys.len() < scan::MIN_KEYS || limit == 0 {
        return merge_page(connection, driver, keys, filter, after, limit);
    }
    let key_set: HashSet<i64> = keys.iter().copied().collect();
    let filter_set: Option<HashSet<i64>> = filter.map(|ids| ids.iter().copied().collect());
    let matches = |concert: &Concert| {
        key_set.contains(&driver.key(concert))
            && filter_set.as_ref().is_none_or(|ids| ids.contains(&driver.second(concert)))
    };
    let mut statement = connection.prepare_cached(LIST_ORDER_SQL)?;
    let (date, band_id, venue_id) = after.map_or((i64::MAX, i64::MAX, i64::MAX), Concert::list_key);
    let rows = statement.query_map((date, band_id, venue_id), |row| {
        Ok(Concert { band_id: row.get(0)?, venue_id: row.get(1)?, date: row.get(2)? })
    })?;
    let mut scanned = scan::scan(rows, matches, limit, scan::budget(key_set.len(), limit))?;
    drop(statement);
    if !scanned.complete {
        let resume_after = scanned.last_read.or(after.copied());
        let rest = limit - scanned.found.len();
        scanned.found.extend(merge_page(connection, driver, keys, filter, resume_after.as_ref(), rest)?);
    }
    Ok(scanned.found)
}

/// A page as a merge of per-key index ranges ([`merge::page`]).
fn merge_page(
    connection: &Connection,
    driver: Driver,
    keys: &[i64],
    filter: Option<&[i64]>,
    after: Option<&Concert>,
    limit: usize,
) -> sqlite_db::rusqlite::Result<Vec<Concert>> {
    let mut statement = connection.prepare_cached(&key_range_sql(driver, filter.is_some()))?;
    let filter = filter.map(id_list);
    merge::page(driver, keys, after, limit, |key, (date, second), n| {
        let read = |row: &Row<'_>| key_row(driver, key, row);
        // The index gives rows in order, so stepping stops after `n`: no LIMIT is
        // needed, and a bound LIMIT would make SQLite re-plan whenever it changes.
        match &filter {
            Some(ids) => statement.query_map((key, date, second, ids), read)?.take(n).collect(),
            None => statement.query_map((key, date, second), read)?.take(n).collect(),
        }
    })
}

/// The rows of one key (?1) below the bound (?2, ?3) on (date, the other
/// id), optionally only those whose other id is in ?4, in list order:
/// read straight from the index that serves the key, with no sort and no scan.
fn key_range_sql(driver: Driver, filtered: bool) -> String {
    let (key, other) = match driver {
        Driver::Bands => ("band_id", "venue_id"),
        Driver::Venues => ("venue_id", "band_id"),
    };
    let filter = if filtered { format!("AND {other} IN rarray(?4)") } else { String::new() };
    format!(
        "SELECT date, {other} FROM concerts WHERE {key} = ?1 AND (date, {other}) < (?2, ?3) {filter}
         ORDER BY date DESC, {other} DESC"
    )
}

fn key_row(driver: Driver, key: i64, row: &Row<'_>) -> sqlite_db::rusqlite::Result<Concert> {
    let (date, second): (i64, i64) = (row.get(0)?, row.get(1)?);
    Ok(match driver {
        Driver::Bands => Concert { band_id: key, venue_id: second, date },
        Driver::Venues => Concert { band_id: second, venue_id: key, date },
    })
}

#[async_trait]
impl RecordStore<Concert> for SqliteConcertStore {
    async fn upsert(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
        self.db
            .write("concerts_upsert", move |transaction| {
                let mut statement = transaction
                    .prepare_cached("INSERT OR IGNORE INTO concerts (band_id, venue_id, date) VALUES (?1, ?2, ?3)")?;
                for c in &concerts {
                    statement.execute((c.band_id, c.venue_id, c.date))?;
                }
                Ok(concerts.len())
            })
            .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("concerts").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlite_db::rusqlite::types::Value;
    use sqlite_db::rusqlite::{StatementStatus, params_from_iter};

    fn database(concerts: &[Concert]) -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        sqlite_db::rusqlite::vtab::array::load_module(&connection).unwrap();
        connection.execute_batch(SCHEMA).unwrap();
        let mut insert =
            connection.prepare("INSERT INTO concerts (band_id, venue_id, date) VALUES (?1, ?2, ?3)").unwrap();
        for c in concerts {
            insert.execute((c.band_id, c.venue_id, c.date)).unwrap();
        }
        drop(insert);
        connection
    }

    fn plan(connection: &Connection, sql: &str) -> String {
        let mut statement = connection.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = std::iter::repeat_n(Value::Null, statement.parameter_count());
        let details: Vec<String> =
            statement.query_map(params_from_iter(unbound), |row| row.get(3)).unwrap().map(Result::unwrap).collect();
        details.join("; ")
    }

    #[test]
    fn every_read_is_an_index_range_in_list_order_with_no_sort() {
        let all: Vec<Concert> =
            (0..2000).map(|i| Concert { band_id: i % 37, venue_id: i % 53, date: i * 7 % 1000 }).collect();
        let connection = database(&all);
        for (sql, index) in [
            (key_range_sql(Driver::Bands, false), "PRIMARY KEY"),
            (key_range_sql(Driver::Bands, true), "PRIMARY KEY"),
            (key_range_sql(Driver::Venues, false), "INDEX concerts_by_venue_and_date"),
            (key_range_sql(Driver::Venues, true), "INDEX concerts_by_venue_and_date"),
            (LIST_ORDER_SQL.to_owned(), "INDEX concerts_in_list_order"),
        ] {
            let plan = plan(&connection, &sql);
            assert!(plan.contains(index), "{sql}\n uses {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}\n sorts: {plan}");
        }
    }

    /// No `ANALYZE` is run on the store: with its samples, SQLite would plan these
    /// statements again at every new binding of their range bounds.
    #[test]
    fn pages_of_any_size_reuse_their_prepared_statements() {
        let all: Vec<Concert> =
            (0..3000).map(|i| Concert { band_id: i % 41, venue_id: i % 59, date: i * 7 % 1000 }).collect();
        let connection = database(&all);
        let many: Vec<i64> = (0..40).collect();
        for limit in [1, 2, 10, 101, 1001] {
            read_page(&connection, Driver::Venues, &[1, 2, 3], None, None, limit).unwrap();
            read_page(&connection, Driver::Bands, &[4, 5], Some(&many), None, limit).unwrap();
            read_page(&connection, Driver::Venues, &many, None, None, limit).unwrap();
        }
        for sql in [key_range_sql(Driver::Venues, false), key_range_sql(Driver::Bands, true), LIST_ORDER_SQL.to_owned()]
        {
            let statement = connection.prepare_cached(&sql).unwrap();
            assert_eq!(statement.get_status(StatementStatus::RePrepare), 0, "{sql} was prepared again");
        }
    }
}
