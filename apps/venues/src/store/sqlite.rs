//! Venues in the service's own SQLite file: a [`NamedTable`] (name index,
//! revisions, the service's ledger); their positions and cities also in
//! memory ([`Positions`], [`Cities`]), where radius queries and city
//! suggestions are answered, kept in step with every committed write.
//!
//! A file of an earlier version (without the place and zone columns) gets
//! them when it opens, filled from each venue's name and position.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use bootstrap::{NamedRecordStore, RecordStore};
use changes_model::ChangePage;
use exceptions::{StoreError, WriteError};
use storage::name_match;
use storage::sqlite::rusqlite::{self, Transaction, types::Value};
use storage::sqlite::{NameIndex, NamedTable, SqliteDb, ledger};
use venues_model::{NewVenue, PlaceSuggestion, Venue, WithinRadius};

use super::positions::Positions;
use super::{Nearby, VenueStore};
use crate::cities::Cities;
use crate::zones::located;

/// The columns of a venue's place and zone: text, `''` when unknown (an
/// earlier version's file gets them with that default, then filled).
const PLACE_COLUMNS: [&str; 4] = ["city", "region", "country", "time_zone"];

const VENUES: NamedTable<Venue> = NamedTable {
    table: "venues",
    columns: &["name", "latitude", "longitude", "city", "region", "country", "time_zone"],
    names: NameIndex::new("venues"),
    id: |venue| venue.id,
    name: |venue| &venue.name,
    values: |venue| {
        let text = |value: Option<&str>| Value::from(value.unwrap_or_default().to_owned());
        vec![
            Value::from(venue.name.clone()),
            Value::from(venue.latitude),
            Value::from(venue.longitude),
            text(venue.city.as_deref()),
            text(venue.region.as_deref()),
            text(venue.country.as_deref()),
            text(venue.time_zone.as_ref().map(|zone| zone.name())),
        ]
    },
    read: |row| {
        let text = |at: usize| -> rusqlite::Result<Option<String>> {
            Ok(Some(row.get::<_, String>(at)?).filter(|value| !value.is_empty()))
        };
        Ok(Venue {
            id: row.get(0)?,
            name: row.get(1)?,
            latitude: row.get(2)?,
            longitude: row.get(3)?,
            city: text(4)?,
            region: text(5)?,
            country: text(6)?,
            // A zone this build does not know reads as unknown, not as a broken row.
            time_zone: text(7)?.and_then(|zone| zone.parse().ok()),
        })
    },
};

pub struct SqliteVenueStore {
    db: SqliteDb,
    positions: Arc<Positions>,
    cities: Arc<Cities>,
}

impl SqliteVenueStore {
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let db = SqliteDb::open(path, VENUES.schema()).await?;
        db.write("venues_migrate", |transaction| {
            VENUES.migrate(transaction)?;
            locate_unlocated(transaction)
        })
        .await?;
        let venues = db
            .call("venues_all", |connection| {
                let mut statement =
                    connection.prepare(&format!("SELECT id, {} FROM venues", VENUES.columns.join(", ")))?;
                let rows = statement.query_map([], VENUES.read)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let positions = Positions::new(venues.iter().map(|venue| (venue.id, venue.latitude, venue.longitude)));
        Ok(Self { db, positions: Arc::new(positions), cities: Arc::new(Cities::new(&venues)) })
    }

    /// Keeps a committed write's venues in the memory indexes.
    fn place(&self, venues: &[Venue]) {
        self.positions.place(venues);
        self.cities.place(venues);
    }
}

/// Gives a file of an earlier version the place and zone columns, and fills
/// them for every venue without a zone (from its name and position); logged
/// as a bulk change, so that followers read the venues again.
fn locate_unlocated(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    for column in PLACE_COLUMNS {
        let present: bool = transaction.query_row(
            "SELECT count(*) > 0 FROM pragma_table_info('venues') WHERE name = ?1",
            [column],
            |row| row.get(0),
        )?;
        if !present {
            transaction.execute_batch(&format!("ALTER TABLE venues ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"))?;
        }
    }
    let unlocated: Vec<Venue> = {
        let sql = format!("SELECT id, {} FROM venues WHERE time_zone = ''", VENUES.columns.join(", "));
        let mut statement = transaction.prepare(&sql)?;
        let rows = statement.query_map([], VENUES.read)?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut located_any = false;
    let mut save = transaction.prepare(
        "UPDATE venues SET city = ?2, region = ?3, country = ?4, time_zone = ?5 WHERE id = ?1 AND time_zone = ''",
    )?;
    // A position with no zone stays as it is (and is tried again at the next start).
    for venue in unlocated.into_iter().map(located).filter(|venue| venue.time_zone.is_some()) {
        let place = (VENUES.values)(&venue).into_iter().skip(3);
        save.execute(rusqlite::params_from_iter(std::iter::once(Value::from(venue.id)).chain(place)))?;
        located_any = true;
    }
    if located_any {
        ledger::log_change(transaction, "bulk", None, None)?;
    }
    Ok(())
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

    async fn cities(&self, text: &str, limit: usize) -> Result<Vec<PlaceSuggestion>, StoreError> {
        Ok(self.cities.find(text, limit))
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
                VENUES.create(transaction, |id| located(draft.with_id(id)), once)
            })
            .await??;
        // Only once committed: a failed write moves nothing.
        self.place(std::slice::from_ref(&record));
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<Venue>) -> Result<Revised<Venue>, WriteError> {
        let edit = move |before: &Venue| edit(before).map(located);
        let (_, record, revision) =
            self.db.edit("venues_update", move |transaction| VENUES.update(transaction, id, expected, edit)).await??;
        self.place(std::slice::from_ref(&record));
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<Venue, WriteError> {
        let deleted =
            self.db.edit("venues_delete", move |transaction| VENUES.delete(transaction, id, expected)).await??;
        self.positions.remove(id);
        self.cities.remove(id);
        Ok(deleted)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        Ok(self.db.data_version())
    }
}

#[async_trait]
impl RecordStore<Venue> for SqliteVenueStore {
    async fn upsert(&self, venues: Vec<Venue>) -> Result<usize, StoreError> {
        let venues: Vec<Venue> = venues.into_iter().map(located).collect();
        let venues = self
            .db
            .write("venues_upsert", move |transaction| VENUES.import(transaction, &venues).map(|_| venues))
            .await?;
        // Only once committed: a failed import moves nothing.
        self.place(&venues);
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
