//! Venues in the service's own SQLite file. Positions are also kept in an
//! R*Tree, so that a radius query reads only the venues in the circle's
//! bounding box before the exact great-circle test.

use std::path::Path;

use async_trait::async_trait;
use exceptions::StoreError;
use records::RecordStore;
use sqlite_db::rusqlite::{Connection, Row};
use sqlite_db::{SqliteDb, id_list};
use venues_model::{Venue, WithinRadius};

use super::VenueStore;
use crate::geo::{bounding_boxes, is_within};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS venues (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL,
        latitude  REAL NOT NULL,
        longitude REAL NOT NULL
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS venue_positions USING rtree (
        id, min_lat, max_lat, min_lon, max_lon
    );
";

const COLUMNS: &str = "v.id, v.name, v.latitude, v.longitude";

pub struct SqliteVenueStore {
    db: SqliteDb,
}

impl SqliteVenueStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self { db: SqliteDb::open(path, SCHEMA).await? })
    }
}

fn venue(row: &Row<'_>) -> sqlite_db::rusqlite::Result<Venue> {
    Ok(Venue { id: row.get(0)?, name: row.get(1)?, latitude: row.get(2)?, longitude: row.get(3)? })
}

fn in_box(connection: &Connection, query: WithinRadius) -> sqlite_db::rusqlite::Result<Vec<Venue>> {
    let centre = (query.latitude, query.longitude);
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM venue_positions p JOIN venues v ON v.id = p.id
         WHERE p.max_lat >= ?1 AND p.min_lat <= ?2 AND p.max_lon >= ?3 AND p.min_lon <= ?4"
    ))?;
    let mut found = Vec::new();
    for area in bounding_boxes(centre, query.radius) {
        let rows = statement.query_map((area.min_lat, area.max_lat, area.min_lon, area.max_lon), venue)?;
        for candidate in rows {
            let candidate = candidate?;
            if is_within(centre, (candidate.latitude, candidate.longitude), query.radius) {
                found.push(candidate);
            }
        }
    }
    // Two boxes meet at the antimeridian; a venue on it may be read twice.
    found.sort_by_key(|v| v.id);
    found.dedup_by_key(|v| v.id);
    Ok(found)
}

#[async_trait]
impl VenueStore for SqliteVenueStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>, StoreError> {
        let ids = ids.to_vec();
        self.db
            .call("venues_by_ids", move |connection| {
                let mut statement = connection.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM venues v WHERE v.id IN rarray(?1) ORDER BY v.id"
                ))?;
                statement.query_map([id_list(&ids)], venue)?.collect()
            })
            .await
    }

    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<Venue>, StoreError> {
        self.db.call("venues_within_radius", move |connection| in_box(connection, query)).await
    }
}

#[async_trait]
impl RecordStore<Venue> for SqliteVenueStore {
    async fn upsert(&self, venues: Vec<Venue>) -> Result<usize, StoreError> {
        self.db
            .write("venues_upsert", move |transaction| {
                let mut save = transaction.prepare_cached(
                    "INSERT INTO venues (id, name, latitude, longitude) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET
                         name = excluded.name, latitude = excluded.latitude, longitude = excluded.longitude",
                )?;
                let mut forget_position = transaction.prepare_cached("DELETE FROM venue_positions WHERE id = ?1")?;
                let mut place =
                    transaction.prepare_cached("INSERT INTO venue_positions VALUES (?1, ?2, ?2, ?3, ?3)")?;
                for v in &venues {
                    save.execute((v.id, &v.name, v.latitude, v.longitude))?;
                    forget_position.execute([v.id])?;
                    place.execute((v.id, v.latitude, v.longitude))?;
                }
                Ok(venues.len())
            })
            .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("venues").await
    }
}
