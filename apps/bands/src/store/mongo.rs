//! Bands in the service's own MongoDB database: one document per band,
//! `{_id: id, name}` and the fields of its name's index (`storage::mongo::name_index`).
//! The id is the `_id`, so the unique index every collection has on `_id` is
//! the id index; the others serve the search by name.

use async_trait::async_trait;
use bands_model::Band;
use bootstrap::{NamedRecordStore, RecordStore};
use exceptions::StoreError;
use storage::mongo::bson::Document;
use storage::mongo::{MongoCollection, MongoDb, doc, name_index, upsert_statement};
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

/// Replaces the band with this id, or inserts it, findable by its name.
pub fn band_upsert(band: &Band) -> Document {
    let mut document = doc! { "name": &band.name };
    document.extend(name_index::fields(&band.name));
    upsert_statement(doc! { "_id": band.id }, document)
}

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
impl RecordStore<Band> for MongoBandStore {
    async fn upsert(&self, bands: Vec<Band>) -> Result<usize, StoreError> {
        self.bands.upsert_all(bands.iter().map(band_upsert).collect()).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.bands.is_empty().await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        self.bands.data_version().await
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
        assert_eq!(band_upsert(&band), doc! { "q": { "_id": 42_i64 }, "u": document, "upsert": true, "multi": false });
    }
}
