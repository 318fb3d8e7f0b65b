//! Bands in the service's own MongoDB database: one document per band,
//! `{_id: id, name, revision}` and the fields of its name's index
//! (`storage::mongo::name_index`). The id is the `_id`, so the unique index
//! every collection has on `_id` is the id index; the others serve the
//! search by name. Writes of one band go through `storage::mongo`'s
//! transactions, with the service's change log.

use async_trait::async_trait;
use bands_model::{Band, NewBand};
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use bootstrap::{NamedRecordStore, RecordStore};
use changes_model::ChangePage;
use exceptions::{StoreError, WriteError};
use storage::mongo::bson::Document;
use storage::mongo::{MongoCollection, MongoDb, Shape, doc, name_index, upsert_statement};
use storage::name_match;

use super::BandStore;

pub struct MongoBandStore {
    bands: MongoCollection,
}

impl MongoBandStore {
    pub fn new(db: &MongoDb) -> Self {
        Self { bands: db.collection("bands", name_index::indexes()) }
    }
}

/// A stored band as the API shows it: `_id` back to `id`.
pub fn band_projection() -> Document {
    doc! { "_id": 0, "id": "$_id", "name": 1 }
}

/// A band's stored fields, findable by its name.
fn band_fields(band: &Band) -> Document {
    let mut document = doc! { "name": &band.name };
    document.extend(name_index::fields(&band.name));
    document
}

/// Replaces the band with this id, or inserts it, findable by its name; its
/// revision moves on.
pub fn band_upsert(band: &Band) -> Document {
    upsert_statement(doc! { "_id": band.id }, doc! { "$set": band_fields(band), "$inc": { "revision": 1_i64 } })
}

const BANDS: Shape<Band> = Shape {
    id: |band| band.id,
    ids: "ids",
    fields: band_fields,
    projection: band_projection,
    conflict: "another band has that id",
};

impl BandStore for MongoBandStore {}

#[async_trait]
impl NamedRecordStore<Band> for MongoBandStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Band>, StoreError> {
        self.bands.by_ids(ids, band_projection()).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Band>, StoreError> {
        let ids = name_index::search(&self.bands, text, limit).await?;
        Ok(name_match::in_order(self.by_ids(&ids).await?, &ids, |band| band.id))
    }
}

#[async_trait]
impl EditableStore<Band, NewBand> for MongoBandStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<Band>>, StoreError> {
        Ok(self.bands.get(&BANDS, id).await?.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewBand, once: Option<Once>) -> Result<Created<Band>, WriteError> {
        let once = once.as_ref().map(|once| (once.key.as_str(), once.fingerprint.as_str()));
        let made = self.bands.create(&BANDS, &|id| Band { id, name: draft.name.clone() }, once).await??;
        let (record, revision, replayed) = made;
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<Band>) -> Result<Revised<Band>, WriteError> {
        let (_, record, revision) = self.bands.update(&BANDS, id, expected, edit.as_ref()).await??;
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<Band, WriteError> {
        Ok(self.bands.delete(&BANDS, id, expected).await??)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        self.bands.data_version().await
    }
}

#[async_trait]
impl RecordStore<Band> for MongoBandStore {
    async fn upsert(&self, bands: Vec<Band>) -> Result<usize, StoreError> {
        let imported = self.bands.upsert_all(bands.iter().map(band_upsert).collect()).await?;
        self.bands.log_bulk().await?;
        Ok(imported)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.bands.is_empty().await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        self.bands.data_version().await
    }
}

#[async_trait]
impl ChangeLog for MongoBandStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.bands.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.bands.compact_changes(before).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_is_upserted_by_its_id_as_underscore_id() {
        let band = Band { id: 42, name: "Sigur Rós".to_owned() };
        let mut document = doc! { "name": "Sigur Rós" };
        document.extend(name_index::fields("Sigur Rós"));
        let update = doc! { "$set": document, "$inc": { "revision": 1_i64 } };
        assert_eq!(band_upsert(&band), doc! { "q": { "_id": 42_i64 }, "u": update, "upsert": true, "multi": false });
    }
}
