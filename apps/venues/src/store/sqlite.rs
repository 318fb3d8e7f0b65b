//! Venues in the service's own SQLite file, with a name index
//! ([`NameIndex`]); their positions also in memory ([`Positions`]), where
//! radius queries are answered.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bootstrap::{NamedRecordStore, RecordStore};
use exceptions::StoreError;
use storage::name_match;
use storage::sqlite::rusqlite::{self, Connection, OptionalExtension, Row};
use storage::sqlite::{NameIndex, SqliteDb, id_list};
use venues_model::{Venue, WithinRadius};

use super::VenueStore;
use super::positions::Positions;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS venues (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL,
        latitude  REAL NOT NULL,
        longitude REAL NOT NULL
    );
";

const COLUMNS: &str = "v.id, v.name, v.latitude, v.longitude";

const NAMES: NameIndex = NameIndex::new("venues");

pub struct SqliteVenueStore {
    db: SqliteDb,
    positions: Arc<Positions>,
}

impl SqliteVenueStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, format!("{SCHEMA}{}", NAMES.schema())).await?;
        db.write("venues_names_backfill", |transaction| NAMES.backfill(transaction)).await?;
        let positions = db
            .call("venues_positions", |connection| {
                let mut statement = connection.prepare("SELECT id, latitude, longitude FROM venues")?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
                Ok(Positions::new(rows.collect::<rusqlite::Result<Vec<_>>>()?))
            })
            .await?;
        Ok(Self { db, positions: Arc::new(positions) })
    }
}

fn venue(row: &Row<'_>) -> rusqlite::Result<Venue> {
    Ok(Venue { id: row.get(0)?, name: row.get(1)?, latitude: row.get(2)?, longitude: row.get(3)? })
}

fn by_ids(connection: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<Venue>> {
    let mut statement =
        connection.prepare_cached(&format!("SELECT {COLUMNS} FROM venues v WHERE v.id IN rarray(?1) ORDER BY v.id"))?;
    statement.query_map([id_list(ids)], venue)?.collect()
}

#[async_trait]
impl NamedRecordStore<Venue> for SqliteVenueStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>, StoreError> {
        let ids = ids.to_vec();
        self.db.call("venues_by_ids", move |connection| by_ids(connection, &ids)).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Venue>, StoreError> {
        let text = text.to_owned();
        self.db
            .read("venues_by_name", move |connection| {
                let ids = NAMES.search(connection, &text, limit)?;
                Ok(name_match::in_order(by_ids(connection, &ids)?, &ids, |venue| venue.id))
            })
            .await
    }
}

#[async_trait]
impl VenueStore for SqliteVenueStore {
    /// From the positions in memory: nothing is read from the file.
    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<i64>, StoreError> {
        let started = std::time::Instant::now();
        let ids = self.positions.within(query);
        storage::record_store_query("memory", "venues_ids_within_radius", started.elapsed(), true);
        Ok(ids)
    }
}

#[async_trait]
impl RecordStore<Venue> for SqliteVenueStore {
    async fn upsert(&self, venues: Vec<Venue>) -> Result<usize, StoreError> {
        let venues = self
            .db
            .write("venues_upsert", move |transaction| {
                let mut previous = transaction.prepare_cached("SELECT name FROM venues WHERE id = ?1")?;
                let mut save = transaction.prepare_cached(
                    "INSERT INTO venues (id, name, latitude, longitude) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET
                         name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude",
                )?;
                for v in &venues {
                    let before: Option<String> = previous.query_row([v.id], |row| row.get(0)).optional()?;
                    NAMES.put(transaction, v.id, before.as_deref(), &v.name)?;
                    save.execute((v.id, &v.name, v.latitude, v.longitude))?;
                }
                Ok(venues)
            })
            .await?;
        // Only once committed: a failed import moves nothing.
        self.positions.place(&venues);
        Ok(venues.len())
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("venues").await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}
