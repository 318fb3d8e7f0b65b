//! The venues service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /venues?ids=1,2`: the venues with these ids (up to 1000), ascending id.
//! - `GET /venues/search?q=paris&limit=10`: the venues whose name (which holds
//!   the city) matches, best first (up to 50; 10 when `limit` is not given).
//! - `GET /venues/within/ids?latitude=..&longitude=..&radius=..`: the ids of
//!   the venues within `radius` km of the point, boundary included, ascending:
//!   what a concert search needs (a circle can hold thousands of venues, of
//!   which a page of concerts names a few, looked up by id).
//! - `PUT /venues`: upserts a JSON array of venues (up to 10,000), all or nothing.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use bootstrap::settings::{Limits, Writes};
use exceptions::HttpError;
use validator::id_batch::IdBatch;
use validator::name_search::NameSearch;
use validator::{CompiledSchema, FromQuery, Schema, SchemaError, Validated};
use venues_model::{VENUE_SCHEMA, Venue, WithinRadius};

use crate::store::VenueStore;

type Store = Arc<dyn VenueStore>;

pub fn router(store: Store, limits: &Limits, writes: &Writes) -> Result<Router, SchemaError> {
    IdBatch::schema().map_err(Clone::clone)?;
    NameSearch::schema().map_err(Clone::clone)?;
    Circle::schema().map_err(Clone::clone)?;
    let import = bootstrap::records::import("venues import", VENUE_SCHEMA, store.clone(), writes)?;
    let api = Router::new()
        .route("/venues", get(by_ids).merge(import))
        .route("/venues/search", get(by_name))
        .route("/venues/within/ids", get(within_radius))
        .route("/version", bootstrap::records::version(store.clone()))
        .with_state(store.clone());
    Ok(bootstrap::service_router(api, bootstrap::records::ready(store), limits))
}

async fn by_ids(
    State(store): State<Store>,
    Validated(batch): Validated<IdBatch>,
) -> Result<Json<Vec<Venue>>, HttpError> {
    Ok(Json(store.by_ids(&batch.ids).await?))
}

async fn by_name(
    State(store): State<Store>,
    Validated(search): Validated<NameSearch>,
) -> Result<Json<Vec<Venue>>, HttpError> {
    Ok(Json(store.by_name(&search.q, search.limit).await?))
}

async fn within_radius(
    State(store): State<Store>,
    Validated(Circle(circle)): Validated<Circle>,
) -> Result<Json<Vec<i64>>, HttpError> {
    Ok(Json(store.within_radius(circle).await?))
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
