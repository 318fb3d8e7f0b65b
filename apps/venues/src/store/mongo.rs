//! Venues in the service's own MongoDB database, one document per venue:
//! `{_id: id, name, latitude, longitude, city, region, country, timeZone,
//! location: {type: "Point", coordinates: [lon, lat]}}`.
//!
//! The cities are kept in memory ([`Cities`]), read once from the database
//! (in the background at start, else at the first suggestion), when the
//! documents of an earlier version, without a zone, are given their place
//! and zone too.
//!
//! `location` is written with the document, so the `2dsphere` index on it
//! serves radius queries (`$geoWithin` + `$centerSphere`). The NestJS
//! original built the point per query with `$addFields`, which no index can serve.

use std::sync::Arc;

use async_trait::async_trait;
use bootstrap::changes::ChangeLog;
use bootstrap::edits::{Created, Edit, EditableStore, Once, Revised};
use bootstrap::{NamedRecordStore, RecordStore};
use changes_model::ChangePage;
use exceptions::{StoreError, WriteError};
use serde::Deserialize;
use storage::mongo::bson::Document;
use storage::mongo::{
    Find, IndexModel, IndexOptions, MongoCollection, MongoDb, Shape, Sphere2DIndexVersion, doc, name_index,
    upsert_statement,
};
use storage::name_match;
use tokio::sync::OnceCell;
use venues_model::{NewVenue, PlaceSuggestion, Venue, WithinRadius};

use super::{Nearby, VenueStore};
use crate::cities::Cities;
use crate::geo::cap_angle;
use crate::zones::located;

#[derive(Clone)]
pub struct MongoVenueStore {
    venues: MongoCollection,
    /// Set once read from the database; writes before that are in what it reads.
    cities: Arc<OnceCell<Cities>>,
}

impl MongoVenueStore {
    /// The store, its cities read in the background (a server down at start
    /// fails only the suggestions asked meanwhile, which read them again).
    pub fn new(db: &MongoDb) -> Self {
        let store = Self { venues: db.collection("venues", indexes()), cities: Arc::new(OnceCell::new()) };
        let loading = store.clone();
        tokio::spawn(async move {
            if let Err(error) = loading.loaded_cities().await {
                tracing::warn!(%error, "venues: cannot read the cities yet; the first suggestion will try again");
            }
        });
        store
    }

    async fn loaded_cities(&self) -> Result<&Cities, StoreError> {
        self.cities
            .get_or_try_init(|| async {
                self.locate_unlocated().await?;
                let all = Find {
                    filter: doc! {},
                    projection: venue_projection(),
                    sort: doc! { "_id": 1 },
                    limit: None,
                    hint: None,
                };
                Ok(Cities::new(&self.venues.find::<Venue>(all).await?))
            })
            .await
    }

    /// Gives the documents of an earlier version (no `timeZone` field) their place and zone.
    async fn locate_unlocated(&self) -> Result<(), StoreError> {
        let filter = doc! { "timeZone": { "$exists": false } };
        let unlocated: Vec<Venue> = self
            .venues
            .find(Find { filter, projection: venue_projection(), sort: doc! { "_id": 1 }, limit: None, hint: None })
            .await?;
        if !unlocated.is_empty() {
            self.venues
                .upsert_all(unlocated.into_iter().map(located).map(|venue| venue_upsert(&venue)).collect())
                .await?;
            self.venues.log_bulk().await?;
        }
        Ok(())
    }

    /// Keeps a committed write's venues in the cities, once they are read.
    fn place(&self, venues: &[Venue]) {
        if let Some(cities) = self.cities.get() {
            cities.place(venues);
        }
    }
}

/// The ids are `_id` (unique by nature); positions get a 2dsphere index.
/// Its version is named (3, the default of every server the product
/// supports): a server that stores the version it chose would otherwise see
/// the service's request at every start as a different index (error 86).
/// The name's fields have the indexes of the search by name.
pub fn indexes() -> Vec<IndexModel> {
    let options = IndexOptions::builder()
        .name("venues_by_location".to_owned())
        .sphere_2d_index_version(Sphere2DIndexVersion::V3)
        .build();
    let mut indexes = vec![IndexModel::builder().keys(doc! { "location": "2dsphere" }).options(options).build()];
    indexes.extend(name_index::indexes());
    indexes
}

/// The stored document of a venue (its `_id` comes from the upsert's filter),
/// findable by its name. An unknown place or zone is `null`, so that a write
/// that forgets one leaves nothing of the one before.
pub fn venue_document(venue: &Venue) -> Document {
    let mut document = doc! {
        "name": &venue.name,
        "latitude": venue.latitude,
        "longitude": venue.longitude,
        "city": venue.city.as_deref(),
        "region": venue.region.as_deref(),
        "country": venue.country.as_deref(),
        "timeZone": venue.time_zone.map(|zone| zone.name()),
        // GeoJSON puts the longitude first.
        "location": { "type": "Point", "coordinates": [venue.longitude, venue.latitude] },
    };
    document.extend(name_index::fields(&venue.name));
    document
}

/// Replaces the venue with this id, position included, or inserts it; its
/// revision moves on.
pub fn venue_upsert(venue: &Venue) -> Document {
    upsert_statement(doc! { "_id": venue.id }, doc! { "$set": venue_document(venue), "$inc": { "revision": 1_i64 } })
}

const VENUES: Shape<Venue> = Shape {
    id: |venue| venue.id,
    ids: "ids",
    fields: venue_document,
    projection: venue_projection,
    conflict: "another venue has that id",
};

/// The venues in the spherical cap around the centre; the 2dsphere index serves it.
/// The cap is [`cap_angle`]: the radius in radians of the 6378.1 km sphere,
/// with the same 1 mm tolerance as [`is_within`], which then decides exactly.
pub fn within_radius_filter(query: WithinRadius) -> Document {
    doc! {
        "location": {
            "$geoWithin": {
                "$centerSphere": [[query.longitude, query.latitude], cap_angle(query.radius)],
            },
        },
    }
}

/// The radius query as the store sends it: the candidates in the cap, by
/// id, with their positions only (for the exact test).
pub fn within_radius_query(query: WithinRadius) -> Find {
    let projection = doc! { "_id": 1, "latitude": 1, "longitude": 1 };
    Find { filter: within_radius_filter(query), projection, sort: doc! { "_id": 1 }, limit: None, hint: None }
}

/// A candidate of a radius query.
#[derive(Deserialize)]
struct Position {
    #[serde(rename = "_id")]
    id: i64,
    latitude: f64,
    longitude: f64,
}

/// A stored venue as the API shows it.
pub fn venue_projection() -> Document {
    doc! {
        "_id": 0, "id": "$_id", "name": 1, "latitude": 1, "longitude": 1,
        "city": 1, "region": 1, "country": 1, "timeZone": 1,
    }
}

#[async_trait]
impl NamedRecordStore<Venue> for MongoVenueStore {
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<Venue>, StoreError> {
        self.venues.by_ids(ids, venue_projection()).await
    }

    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<Venue>, StoreError> {
        let ids = name_index::search(&self.venues, text, limit).await?;
        Ok(name_match::in_order(self.by_ids(&ids).await?, &ids, |venue| venue.id))
    }
}

#[async_trait]
impl VenueStore for MongoVenueStore {
    async fn within_radius(&self, query: WithinRadius) -> Result<Vec<Nearby>, StoreError> {
        let candidates: Vec<Position> = self.venues.find(within_radius_query(query)).await?;
        // S2's geometry and ours may round differently on the very boundary: the
        // same exact test as the SQLite store makes both backends agree.
        let centre = (query.latitude, query.longitude);
        let inside = candidates
            .into_iter()
            .filter_map(|v| Nearby::within(centre, query.radius, v.id, (v.latitude, v.longitude)));
        Ok(inside.collect())
    }

    async fn cities(&self, text: &str, limit: usize) -> Result<Vec<PlaceSuggestion>, StoreError> {
        Ok(self.loaded_cities().await?.find(text, limit))
    }
}

#[async_trait]
impl EditableStore<Venue, NewVenue> for MongoVenueStore {
    async fn get(&self, id: i64) -> Result<Option<Revised<Venue>>, StoreError> {
        Ok(self.venues.get(&VENUES, id).await?.map(|(record, revision)| Revised { record, revision }))
    }

    async fn create(&self, draft: NewVenue, once: Option<Once>) -> Result<Created<Venue>, WriteError> {
        let once = once.as_ref().map(|once| (once.key.as_str(), once.fingerprint.as_str()));
        let (record, revision, replayed) =
            self.venues.create(&VENUES, &|id| located(draft.clone().with_id(id)), once).await??;
        self.place(std::slice::from_ref(&record));
        Ok(Created { revised: Revised { record, revision }, replayed })
    }

    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<Venue>) -> Result<Revised<Venue>, WriteError> {
        let edit = move |before: &Venue| edit(before).map(located);
        let (_, record, revision) = self.venues.update(&VENUES, id, expected, &edit).await??;
        self.place(std::slice::from_ref(&record));
        Ok(Revised { record, revision })
    }

    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<Venue, WriteError> {
        let deleted = self.venues.delete(&VENUES, id, expected).await??;
        if let Some(cities) = self.cities.get() {
            cities.remove(id);
        }
        Ok(deleted)
    }

    async fn version_now(&self) -> Result<String, StoreError> {
        self.venues.data_version().await
    }
}

#[async_trait]
impl RecordStore<Venue> for MongoVenueStore {
    async fn upsert(&self, venues: Vec<Venue>) -> Result<usize, StoreError> {
        let venues: Vec<Venue> = venues.into_iter().map(located).collect();
        let imported = self.venues.upsert_all(venues.iter().map(venue_upsert).collect()).await?;
        self.venues.log_bulk().await?;
        self.place(&venues);
        Ok(imported)
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.venues.is_empty().await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        self.venues.data_version().await
    }
}

#[async_trait]
impl ChangeLog for MongoVenueStore {
    async fn changes_after(&self, position: i64, limit: usize) -> Result<ChangePage, StoreError> {
        self.venues.changes_after(position, limit).await
    }

    async fn compact(&self, before: i64) -> Result<u64, StoreError> {
        self.venues.compact_changes(before).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::EARTH_RADIUS_KM;

    #[test]
    fn the_document_carries_a_geojson_point_longitude_first() {
        let venue = Venue {
            city: Some("Paris".into()),
            time_zone: Some(venues_model::Tz::Europe__Paris),
            ..Venue::new(7, "Olympia, Paris, France", 48.87, 2.3283)
        };
        let mut stored = doc! {
            "name": "Olympia, Paris, France", "latitude": 48.87, "longitude": 2.3283,
            "city": "Paris", "region": null, "country": null, "timeZone": "Europe/Paris",
            "location": { "type": "Point", "coordinates": [2.3283, 48.87] },
        };
        stored.extend(name_index::fields("Olympia, Paris, France"));
        let update = doc! { "$set": stored, "$inc": { "revision": 1_i64 } };
        assert_eq!(venue_upsert(&venue), doc! { "q": { "_id": 7_i64 }, "u": update, "upsert": true, "multi": false });
    }

    #[test]
    fn the_radius_query_is_a_center_sphere_on_the_indexed_point() {
        let filter = within_radius_filter(WithinRadius { latitude: 48.857931, longitude: 2.350144, radius: 20.0 });
        let sphere = filter
            .get_document("location")
            .and_then(|l| l.get_document("$geoWithin"))
            .and_then(|g| g.get_array("$centerSphere"))
            .unwrap();
        assert_eq!(sphere[0], storage::mongo::bson::bson!([2.350144, 48.857931]), "[longitude, latitude]");
        let angle = sphere[1].as_f64().unwrap();
        // radius / 6378.1, plus at most the 1 mm tolerance.
        assert!((20.0 / EARTH_RADIUS_KM..=20.000_001 / EARTH_RADIUS_KM).contains(&angle), "{angle}");

        let whole_planet = within_radius_filter(WithinRadius { latitude: 0.0, longitude: 0.0, radius: 50_000.0 });
        let sphere = whole_planet.get_document("location").unwrap().get_document("$geoWithin").unwrap();
        assert_eq!(sphere.get_array("$centerSphere").unwrap()[1].as_f64(), Some(std::f64::consts::PI));
    }

    #[test]
    fn positions_are_indexed_2dsphere_of_a_named_version() {
        let models = indexes();
        assert_eq!(models[0].keys, doc! { "location": "2dsphere" });
        let version = models[0].options.as_ref().and_then(|o| o.sphere_2d_index_version.clone());
        assert!(matches!(version, Some(Sphere2DIndexVersion::V3)), "{version:?}");
    }
}
