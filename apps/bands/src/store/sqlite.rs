//! Bands in the service's own SQLite file, keyed by id, with a name index
//! ([`NameIndex`]) for the search by name, a revision per band and the
//! service's ledger (change log, keys of creates): a [`NamedTable`].

use std::path::Path;

use async_trait::async_trait;
use bands_model::{Band, NewBand};
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use bootstrap::{NamedRecordStore, RecordStore};
use changes_model::ChangePage;
use exceptions::{StoreError, WriteError};
use storage::name_match;
use storage::sqlite::rusqlite::types::Value;
use storage::sqlite::{NameIndex, NamedTable, SqliteDb};

use super::BandStore;

const BANDS: NamedTable<Band> = NamedTable {
    table: "bands",
    columns: &["name"],
    names: NameIndex::new("bands"),
    id: |band| band.id,
    name: |band| &band.name,
    values: |band| vec![Value::from(band.name.clone())],
    read: |row| Ok(Band { id: row.get(0)?, name: row.get(1)? }),
};

pub struct SqliteBandStore {
    db: SqliteDb,
}

impl SqliteBandStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, BANDS.schema()).await?;
        db.write("bands_migrate", |transaction| BANDS.migrate(transaction)).await?;
        Ok(Self { db })
    }
}

impl BandStore for SqliteBandStore {}

#[async_trait]
impl NamedRecordStore<Band> for SqliteBandStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Band>, StoreError> {
        let ids = ids.to_vec();
        self.db.call("bands_by_ids", move |connection| BANDS.by_ids(connection, &ids)).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Band>, StoreError> {
        let text = text.to_owned();
        self.db
            .read("bands_by_name", move |connection| {
                let ids = BANDS.names.search(connection, &text, limit)?;
                Ok(name_match::in_order(BANDS.by_ids(connection, &ids)?, &ids, |band| band.id))
            })
            .await
    }
}

#[async_trait]
impl EditableStore<Band, NewBand> for SqliteBandStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<Band>>, StoreError> {
        let found = self.db.read("bands_get", move |connection| BANDS.get(connection, id)).await?;
        Ok(found.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewBand, once: Option<Once>) -> Result<Created<Band>, WriteError> {
        let made = self
            .db
            .edit("bands_create", move |transaction| {
                let once = once.as_ref().map(|once| (once.key.as_str(), once.fingerprint.as_str()));
                BANDS.create(transaction, |id| Band { id, name: draft.name }, once)
            })
            .await??;
        let (record, revision, replayed) = made;
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<Band>) -> Result<Revised<Band>, WriteError> {
        let (_, record, revision) =
            self.db.edit("bands_update", move |transaction| BANDS.update(transaction, id, expected, edit)).await??;
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<Band, WriteError> {
        Ok(self.db.edit("bands_delete", move |transaction| BANDS.delete(transaction, id, expected)).await??)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

#[async_trait]
impl RecordStore<Band> for SqliteBandStore {
    async fn upsert(&self, bands: Vec<Band>) -> Result<usize, StoreError> {
        self.db.write("bands_upsert", move |transaction| BANDS.import(transaction, &bands)).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.db.is_empty("bands").await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

#[async_trait]
impl ChangeLog for SqliteBandStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.db.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.db.compact_changes(before).await
    }
}
