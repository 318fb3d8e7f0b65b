//! Venues in the service's own SQLite file: a [`NamedTable`] (name index,
//! revisions, the service's ledger); their positions also in memory
//! ([`Positions`]), where radius queries are answered, kept in step with
//! every committed write.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use bootstrap::{NamedRecordStore, RecordStore};
use changes_model::ChangePage;
use exceptions::{StoreError, WriteError};
use storage::name_match;
use storage::sqlite::rusqlite::{self, types::Value};
use storage::sqlite::{NameIndex, NamedTable, SqliteDb};
use venues_model::{NewVenue, Venue, WithinRadius};

use super::positions::Positions;
use super::{Nearby, VenueStore};

const VENUES: NamedTable<Venue> = NamedTable {
    table: "venues",
    columns: &["name", "latitude", "longitude"],
    names: NameIndex::new("venues"),
    id: |venue| venue.id,
    name: |venue| &venue.name,
    values: |venue| vec![Value::from(venue.name.clone()), Value::from(venue.latitude), Value::from(venue.longitude)],
    read: |row| Ok(Venue { id: row.get(0)?, name: row.get(1)?, latitude: row.get(2)?, longitude: row.get(3)? }),
};

pub struct SqliteVenueStore {
    db: SqliteDb,
    positions: Arc<Positions>,
}

impl SqliteVenueStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, VENUES.schema()).await?;
        db.write("venues_migrate", |transaction| VENUES.migrate(transaction)).await?;
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

#[async_trait]
impl NamedRecordStore<Venue> for SqliteVenueStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>, StoreError> {
        let ids = ids.to_vec();
        self.db.call("venues_by_ids", move |connection| VENUES.by_ids(connection, &ids)).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Venue>, StoreError> {
        let text = text.to_owned();
        self.db
            .read("venues_by_name", move |connection| {
                let ids = VENUES.names.search(connection, &text, limit)?;
                Ok(name_match::in_order(VENUES.by_ids(connection, &ids)?, &ids, |venue| venue.id))
            })
            .await
    }
}

#[async_trait]
impl VenueStore for SqliteVenueStore {
    /// From the positions in memory: nothing is read from the file.
    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<Nearby>, StoreError> {
        let started = std::time::Instant::now();
        let found = self.positions.within(query);
        storage::record_store_query("memory", "venues_ids_within_radius", started.elapsed(), true);
        Ok(found)
    }
}

#[async_trait]
impl EditableStore<Venue, NewVenue> for SqliteVenueStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<Venue>>, StoreError> {
        let found = self.db.read("venues_get", move |connection| VENUES.get(connection, id)).await?;
        Ok(found.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewVenue, once: Option<Once>) -> Result<Created<Venue>, WriteError> {
        let (record, revision, replayed) = self
            .db
            .edit("venues_create", move |transaction| {
                let once = once.as_ref().map(|once| (once.key.as_str(), once.fingerprint.as_str()));
                VENUES.create(transaction, |id| draft.with_id(id), once)
            })
            .await??;
        // Only once committed: a failed write moves nothing.
        self.positions.place(std::slice::from_ref(&record));
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<Venue>) -> Result<Revised<Venue>, WriteError> {
        let (_, record, revision) =
            self.db.edit("venues_update", move |transaction| VENUES.update(transaction, id, expected, edit)).await??;
        self.positions.place(std::slice::from_ref(&record));
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<Venue, WriteError> {
        let deleted =
            self.db.edit("venues_delete", move |transaction| VENUES.delete(transaction, id, expected)).await??;
        self.positions.remove(id);
        Ok(deleted)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

#[async_trait]
impl RecordStore<Venue> for SqliteVenueStore {
    async fn upsert(&self, venues: Vec<Venue>) -> Result<usize, StoreError> {
        let venues = self
            .db
            .write("venues_upsert", move |transaction| VENUES.import(transaction, &venues).map(|_| venues))
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

#[async_trait]
impl ChangeLog for SqliteVenueStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.db.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.db.compact_changes(before).await
    }
}
