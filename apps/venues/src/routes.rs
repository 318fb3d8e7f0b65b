//! The venues service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /venues?ids=1,2`: the venues with these ids (up to 1000), ascending id.
//! - `GET /venues/search?q=paris&limit=10`: the venues whose name (which holds
//!   the city) matches, best first (up to 50; 10 when `limit` is not given).
//! - `GET /places?q=paris&limit=10`: suggestions for a place field: the
//!   cities a word of whose label starts with the text (each with its
//!   venues' count and circle; at most half the limit, rounded up), then the
//!   venues found by name, best first.
//! - `GET /venues/within/ids?latitude=..&longitude=..&radius=..`: the ids of
//!   the venues within `radius` km of the point, boundary included, ascending:
//!   what a concert search needs (a circle can hold thousands of venues, of
//!   which a page of concerts names a few, looked up by id).
//! - `GET /venues/within/nearest?latitude=..&longitude=..&radius=..`: the same
//!   venues as `[[id, km], ...]`, nearest first (ties by id): what a search
//!   sorted by distance walks.
//! - `PUT /venues`: upserts a JSON array of venues (up to 10,000), all or nothing.
//! - `GET /venues/{id}`, `POST /venues`, `PATCH /venues/{id}`, `DELETE /venues/{id}`:
//!   one venue at a time (`bootstrap::edits`).
//! - `GET /changes?after=N&limit=M&wait=S`: the service's change log, in
//!   commit order (`bootstrap::changes`): what the gateway's feed is made of.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use bootstrap::changes;
use bootstrap::edits::{self, EditableStore};
use bootstrap::records::{import, lookup, ready, search, version};
use bootstrap::settings::Limits;
use bootstrap::{Credentials, NamedRecordStore};
use exceptions::HttpError;
use kinds::VENUES;
use validator::name_search::NameSearch;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError, Validated};
use venues_model::{NewVenue, PlaceSuggestion, VENUE_SCHEMA, Venue, WithinRadius};

use crate::store::VenueStore;

type Store = Arc<dyn VenueStore>;

pub fn router(store: Store, limits: &Limits, credentials: &Credentials) -> Result<Router, SchemaError> {
    Circle::schema().map_err(Clone::clone)?;
    NameSearch::schema().map_err(Clone::clone)?;
    let named: Arc<dyn NamedRecordStore<Venue>> = store.clone();
    let editable: Arc<dyn EditableStore<Venue, NewVenue>> = store.clone();
    let (create, one) = edits::routes(VENUES, editable, credentials)?;
    let bulk = import("venues import", VENUE_SCHEMA, store.clone(), credentials)?;
    let api = Router::new()
        .route("/venues", lookup(named.clone())?.merge(bulk).merge(create))
        .route("/venues/{id}", one)
        .route("/venues/search", search(named)?)
        .route("/venues/within/ids", get(within_radius))
        .route("/venues/within/nearest", get(nearest_first))
        .route("/places", get(places))
        .route("/changes", changes::route(store.clone())?)
        .route("/version", version(store.clone()))
        .with_state(store.clone());
    Ok(bootstrap::service_router(api, ready(store), limits))
}

async fn within_radius(
    State(store): State<Store>,
    Validated(Circle(circle)): Validated<Circle>,
) -> Result<Json<Vec<i64>>, HttpError> {
    Ok(Json(store.within_radius(circle).await?.into_iter().map(|nearby| nearby.id).collect()))
}

async fn nearest_first(
    State(store): State<Store>,
    Validated(Circle(circle)): Validated<Circle>,
) -> Result<Json<Vec<(i64, f64)>>, HttpError> {
    let mut found = store.within_radius(circle).await?;
    found.sort_unstable_by(|a, b| a.km.total_cmp(&b.km).then(a.id.cmp(&b.id)));
    Ok(Json(found.into_iter().map(|nearby| (nearby.id, nearby.km)).collect()))
}

async fn places(
    State(store): State<Store>,
    Validated(search): Validated<NameSearch>,
) -> Result<Json<Vec<PlaceSuggestion>>, HttpError> {
    // Half the room at most for cities, so that a text naming many (`fr`) still shows venues.
    let mut found = store.cities(&search.q, search.limit.div_ceil(2)).await?;
    let venues = store.by_name(&search.q, search.limit - found.len()).await?;
    found.extend(venues.into_iter().map(|venue| PlaceSuggestion::Venue {
        id: venue.id,
        label: venue.name,
        latitude: venue.latitude,
        longitude: venue.longitude,
    }));
    Ok(Json(found))
}

/// `?latitude=..&longitude=..&radius=..`: a circle on the contract's sphere.
struct Circle(WithinRadius);

static CIRCLE: CompiledSchema = CompiledSchema::new(|| {
    Schema::from_json_text("WithinRadius", include_str!("../schemas/within-radius.schema.json"))
});

impl FromQuery for Circle {
    type Params = WithinRadius;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        CIRCLE.as_ref()
    }

    fn parse(circle: WithinRadius) -> Result<Self, HttpError> {
        Ok(Self(circle))
    }
}
