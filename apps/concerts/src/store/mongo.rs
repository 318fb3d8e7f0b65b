//! Concerts in the service's own MongoDB database, one document per concert:
//! `{_id: ObjectId, bandId, venueId, date}`.
//!
//! The identity `(bandId, venueId, date)` is guarded by a unique index whose
//! key order, `{bandId: 1, date: -1, venueId: -1}`, also serves band searches
//! newest first; `{venueId: 1, date: -1, bandId: -1}` serves venue searches
//! the same way. Both hold every field a search returns, so a search reads
//! only index entries. A third index just for uniqueness would store the same
//! three numbers a third time (about 4 GB at 200 million concerts).

use async_trait::async_trait;
use concerts_model::{Concert, ConcertFilter};
use exceptions::StoreError;
use mongo_db::bson::Document;
use mongo_db::{IndexModel, IndexOptions, MongoCollection, MongoDb, doc, upsert_statement};
use records::RecordStore;

use super::{ConcertPages, ConcertStore};

pub struct MongoConcertStore {
    concerts: MongoCollection,
}

impl MongoConcertStore {
    pub fn new(db: &MongoDb) -> Self {
        Self { concerts: db.collection("concerts", indexes()) }
    }
}

pub fn indexes() -> Vec<IndexModel> {
    let index = |keys: Document, name: &str, unique: bool| {
        let options = IndexOptions::builder().name(name.to_owned()).unique(unique).build();
        IndexModel::builder().keys(keys).options(options).build()
    };
    vec![
        index(doc! { "bandId": 1, "date": -1, "venueId": -1 }, "concerts_identity_by_band_newest_first", true),
        index(doc! { "venueId": 1, "date": -1, "bandId": -1 }, "concerts_by_venue_newest_first", false),
    ]
}

/// The search's filter: band in the list AND venue in the list, for the lists
/// given; `None` when no list is given (nothing matches).
pub fn search_filter(search: &ConcertFilter) -> Option<Document> {
    let mut filter = Document::new();
    if let Some(band_ids) = &search.band_ids {
        filter.insert("bandId", doc! { "$in": band_ids });
    }
    if let Some(venue_ids) = &search.venue_ids {
        filter.insert("venueId", doc! { "$in": venue_ids });
    }
    (!filter.is_empty()).then_some(filter)
}

/// One page's filter: the search's, AND after the previous page's last
/// concert in list order (keyset).
pub fn page_filter(search: &Document, after: Option<&Concert>) -> Document {
    let mut filter = search.clone();
    if let Some(after) = after {
        // (date, bandId, venueId) < after's, spelled out for the query planner.
        filter.insert(
            "$or",
            vec![
                doc! { "date": { "$lt": after.date } },
                doc! { "date": after.date, "bandId": { "$lt": after.band_id } },
                doc! { "date": after.date, "bandId": after.band_id, "venueId": { "$lt": after.venue_id } },
            ],
        );
    }
    filter
}

/// Date, then band id, then venue id, all descending: the SQLite store's
/// order, total because the three are the identity.
pub fn newest_first() -> Document {
    doc! { "date": -1, "bandId": -1, "venueId": -1 }
}

/// Only the concert's fields (no `_id`): the indexes then cover the search.
pub fn concert_projection() -> Document {
    doc! { "_id": 0, "bandId": 1, "venueId": 1, "date": 1 }
}

/// Inserts the concert unless one with the same identity is stored: an
/// upsert that writes nothing when it finds its match.
pub fn concert_upsert(concert: &Concert) -> Document {
    let identity = doc! { "bandId": concert.band_id, "date": concert.date, "venueId": concert.venue_id };
    upsert_statement(identity.clone(), doc! { "$setOnInsert": identity })
}

impl ConcertStore for MongoConcertStore {
    fn search(&self, filter: ConcertFilter) -> Box<dyn ConcertPages> {
        Box::new(MongoPages { concerts: self.concerts.clone(), filter: search_filter(&filter) })
    }
}

struct MongoPages {
    concerts: MongoCollection,
    filter: Option<Document>,
}

#[async_trait]
impl ConcertPages for MongoPages {
    async fn page(&self, after: Option<Concert>, limit: usize) -> Result<Vec<Concert>, StoreError> {
        let Some(filter) = &self.filter else { return Ok(Vec::new()) };
        let filter = page_filter(filter, after.as_ref());
        self.concerts.find(filter, concert_projection(), newest_first(), Some(limit)).await
    }
}

#[async_trait]
impl RecordStore<Concert> for MongoConcertStore {
    async fn upsert(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
        self.concerts.upsert_all(concerts.iter().map(concert_upsert).collect()).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.concerts.is_empty().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_the_and_of_the_lists_given() {
        let search = |bands: Option<Vec<i64>>, venues: Option<Vec<i64>>| {
            search_filter(&ConcertFilter { band_ids: bands, venue_ids: venues })
        };
        assert_eq!(search(Some(vec![1, 2]), None), Some(doc! { "bandId": { "$in": [1_i64, 2_i64] } }));
        assert_eq!(search(None, Some(vec![10])), Some(doc! { "venueId": { "$in": [10_i64] } }));
        assert_eq!(
            search(Some(vec![1]), Some(vec![10, 11])),
            Some(doc! { "bandId": { "$in": [1_i64] }, "venueId": { "$in": [10_i64, 11_i64] } })
        );
        assert_eq!(search(None, None), None);
    }

    #[test]
    fn a_page_starts_right_after_the_previous_pages_last_concert() {
        let after = Concert { band_id: 7, venue_id: 30, date: 5000 };
        let search = search_filter(&ConcertFilter { band_ids: Some(vec![7, 8]), venue_ids: None }).unwrap();
        assert_eq!(page_filter(&search, None), search, "the first page is the whole search's");
        assert_eq!(
            page_filter(&search, Some(&after)),
            doc! {
                "bandId": { "$in": [7_i64, 8_i64] },
                "$or": [
                    { "date": { "$lt": 5000_i64 } },
                    { "date": 5000_i64, "bandId": { "$lt": 7_i64 } },
                    { "date": 5000_i64, "bandId": 7_i64, "venueId": { "$lt": 30_i64 } },
                ],
            }
        );
    }

    #[test]
    fn the_sort_is_the_sqlite_order_and_each_index_serves_it_for_one_fixed_id() {
        assert_eq!(newest_first(), doc! { "date": -1, "bandId": -1, "venueId": -1 });
        // With the band (or venue) fixed by the filter, the index order after it
        // must be the sort order without that field, so that no sort stage is needed.
        let models = indexes();
        let keys: Vec<Vec<(&str, i32)>> =
            models.iter().map(|m| m.keys.iter().map(|(k, v)| (k.as_str(), v.as_i32().unwrap())).collect()).collect();
        let sort: Vec<(&str, i32)> = vec![("date", -1), ("bandId", -1), ("venueId", -1)];
        for index in &keys {
            let (fixed, rest) = index.split_first().unwrap();
            let expected: Vec<(&str, i32)> = sort.iter().copied().filter(|(field, _)| *field != fixed.0).collect();
            assert_eq!(rest, expected.as_slice(), "{index:?}");
        }
        assert_eq!(keys[0].first().map(|k| k.0), Some("bandId"));
        assert_eq!(keys[1].first().map(|k| k.0), Some("venueId"));
    }

    #[test]
    fn the_identity_is_unique_and_covered() {
        let models = indexes();
        let unique: Vec<&IndexModel> =
            models.iter().filter(|m| m.options.as_ref().and_then(|o| o.unique) == Some(true)).collect();
        assert_eq!(unique.len(), 1);
        let mut fields: Vec<&str> = unique[0].keys.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["bandId", "date", "venueId"]);
        // Every projected field is in both indexes: the searches are covered.
        for model in &models {
            for field in concert_projection().keys().filter(|k| *k != "_id") {
                assert!(model.keys.contains_key(field), "{field} missing from {:?}", model.keys);
            }
        }
    }

    #[test]
    fn an_import_inserts_the_identity_or_leaves_the_stored_concert() {
        let concert = Concert { band_id: 1, venue_id: 10, date: 1_569_531_810_650 };
        let identity = doc! { "bandId": 1_i64, "date": 1_569_531_810_650_i64, "venueId": 10_i64 };
        assert_eq!(
            concert_upsert(&concert),
            doc! { "q": identity.clone(), "u": { "$setOnInsert": identity }, "upsert": true, "multi": false }
        );
    }
}
