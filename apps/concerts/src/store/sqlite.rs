//! Concerts in the service's own SQLite file.
//!
//! The table is clustered on `(band_id, date, venue_id)`, the concert's
//! identity ordered so that a band's concerts are read newest first without a
//! sort; a second index serves venue queries the same way. A page is a merge
//! of those per-key ranges ([`merge`]): it reads about the rows it returns.

use std::path::Path;

use async_trait::async_trait;
use concerts_model::{Concert, ConcertSearch};
use exceptions::StoreError;
use records::RecordStore;
use sqlite_db::rusqlite::Row;
use sqlite_db::{SqliteDb, id_list};

use super::ConcertStore;
use super::merge::{self, Driver};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS concerts (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL,
        PRIMARY KEY (band_id, date, venue_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS concerts_by_venue_and_date ON concerts (venue_id, date);
";

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
                let mut statement = connection.prepare_cached(&key_range_sql(driver, filter.is_some()))?;
                let filter = filter.as_deref().map(id_list);
                merge::page(driver, &keys, after.as_ref(), limit, |key, (date, second), n| {
                    let limit = i64::try_from(n).unwrap_or(i64::MAX);
                    let read = |row: &Row<'_>| key_row(driver, key, row);
                    match &filter {
                        Some(ids) => statement.query_map((key, date, second, limit, ids), read)?.collect(),
                        None => statement.query_map((key, date, second, limit), read)?.collect(),
                    }
                })
            })
            .await
    }
}

/// Up to ?4 rows of one key (?1) below the bound (?2, ?3) on (date, the
/// other id), optionally only those whose other id is in ?5, in list order:
/// read straight from the index that serves the key, with no sort and no scan.
fn key_range_sql(driver: Driver, filtered: bool) -> String {
    let (key, other) = match driver {
        Driver::Bands => ("band_id", "venue_id"),
        Driver::Venues => ("venue_id", "band_id"),
    };
    let filter = if filtered { format!("AND {other} IN rarray(?5)") } else { String::new() };
    format!(
        "SELECT date, {other} FROM concerts WHERE {key} = ?1 AND (date, {other}) < (?2, ?3) {filter}
         ORDER BY date DESC, {other} DESC LIMIT ?4"
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
