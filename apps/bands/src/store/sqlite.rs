//! Bands in the service's own SQLite file, keyed by id.

use std::path::Path;

use async_trait::async_trait;
use bands_model::Band;
use exceptions::StoreError;
use records::RecordStore;
use sqlite_db::{SqliteDb, id_list};

use super::BandStore;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS bands (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
";

pub struct SqliteBandStore {
    db: SqliteDb,
}

impl SqliteBandStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Self { db: SqliteDb::open(path, SCHEMA).await? })
    }
}

#[async_trait]
impl BandStore for SqliteBandStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Band>, StoreError> {
        let ids = ids.to_vec();
        self.db
            .call("bands_by_ids", move |connection| {
                let mut statement =
                    connection.prepare_cached("SELECT id, name FROM bands WHERE id IN rarray(?1) ORDER BY id")?;
                let rows =
                    statement.query_map([id_list(&ids)], |row| Ok(Band { id: row.get(0)?, name: row.get(1)? }))?;
                rows.collect()
            })
            .await
    }
}

#[async_trait]
impl RecordStore<Band> for SqliteBandStore {
    async fn upsert(&self, bands: Vec<Band>) -> Result<usize, StoreError> {
        self.db
            .write("bands_upsert", move |transaction| {
                let mut statement = transaction.prepare_cached(
                    "INSERT INTO bands (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                )?;
                for band in &bands {
                    statement.execute((band.id, &band.name))?;
                }
                Ok(bands.len())
            })
            .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("bands").await
    }
}
