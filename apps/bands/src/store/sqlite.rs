//! Bands in the service's own SQLite file, keyed by id, with a name index
//! ([`NameIndex`]) for the search by name.

use std::path::Path;

use async_trait::async_trait;
use bands_model::Band;
use bootstrap::{NamedRecordStore, RecordStore};
use exceptions::StoreError;
use storage::name_match;
use storage::sqlite::rusqlite::{self, Connection, OptionalExtension};
use storage::sqlite::{NameIndex, SqliteDb, id_list};

use super::BandStore;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS bands (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
";

const NAMES: NameIndex = NameIndex::new("bands");

pub struct SqliteBandStore {
    db: SqliteDb,
}

impl SqliteBandStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, format!("{SCHEMA}{}", NAMES.schema())).await?;
        db.write("bands_names_backfill", |transaction| NAMES.backfill(transaction)).await?;
        Ok(Self { db })
    }
}

fn by_ids(connection: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<Band>> {
    let mut statement = connection.prepare_cached("SELECT id, name FROM bands WHERE id IN rarray(?1) ORDER BY id")?;
    let rows = statement.query_map([id_list(ids)], |row| Ok(Band { id: row.get(0)?, name: row.get(1)? }))?;
    rows.collect()
}

impl BandStore for SqliteBandStore {}

#[async_trait]
impl NamedRecordStore<Band> for SqliteBandStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Band>, StoreError> {
        let ids = ids.to_vec();
        self.db.call("bands_by_ids", move |connection| by_ids(connection, &ids)).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Band>, StoreError> {
        let text = text.to_owned();
        self.db
            .read("bands_by_name", move |connection| {
                let ids = NAMES.search(connection, &text, limit)?;
                Ok(name_match::in_order(by_ids(connection, &ids)?, &ids, |band| band.id))
            })
            .await
    }
}

#[async_trait]
impl RecordStore<Band> for SqliteBandStore {
    async fn upsert(&self, bands: Vec<Band>) -> Result<usize, StoreError> {
        self.db
            .write("bands_upsert", move |transaction| {
                let mut previous = transaction.prepare_cached("SELECT name FROM bands WHERE id = ?1")?;
                let mut save = transaction.prepare_cached(
                    "INSERT INTO bands (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                )?;
                for band in &bands {
                    let before: Option<String> = previous.query_row([band.id], |row| row.get(0)).optional()?;
                    NAMES.put(transaction, band.id, before.as_deref(), &band.name)?;
                    save.execute((band.id, &band.name))?;
                }
                Ok(bands.len())
            })
            .await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("bands").await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}
