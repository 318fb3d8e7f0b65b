//! Concerts in the service's own SQLite file.
//!
//! The table is clustered on `(band_id, date, venue_id)`, the concert's
//! identity ordered so that a band's concerts are read newest first without a
//! sort; a second index serves venue queries the same way. A query reads only
//! the rows it returns.

use std::path::Path;

use async_trait::async_trait;
use concerts_model::{Concert, ConcertSearch};
use exceptions::StoreError;
use records::RecordStore;
use sqlite_db::rusqlite::params_from_iter;
use sqlite_db::{SqliteDb, id_list};

use super::ConcertStore;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS concerts (
        band_id  INTEGER NOT NULL,
        venue_id INTEGER NOT NULL,
        date     INTEGER NOT NULL,
        PRIMARY KEY (band_id, date, venue_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS concerts_by_venue_and_date ON concerts (venue_id, date);
";

const NEWEST_FIRST: &str = "ORDER BY date DESC, band_id DESC, venue_id DESC";

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
        let condition = match (&search.band_ids, &search.venue_ids) {
            (Some(_), Some(_)) => "band_id IN rarray(?1) AND venue_id IN rarray(?2)",
            (Some(_), None) => "band_id IN rarray(?1)",
            (None, Some(_)) => "venue_id IN rarray(?1)",
            (None, None) => return Ok(Vec::new()),
        };
        let sql = format!("SELECT band_id, venue_id, date FROM concerts WHERE {condition} {NEWEST_FIRST}");
        self.db
            .call("concerts_search", move |connection| {
                let mut statement = connection.prepare_cached(&sql)?;
                // One `rarray` parameter per list given, in the order of the condition.
                let lists = [&search.band_ids, &search.venue_ids].into_iter().flatten().map(|ids| id_list(ids));
                let rows = statement.query_map(params_from_iter(lists), |row| {
                    Ok(Concert { band_id: row.get(0)?, venue_id: row.get(1)?, date: row.get(2)? })
                })?;
                rows.collect()
            })
            .await
    }
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
