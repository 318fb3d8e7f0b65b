//! The venues service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /venues?ids=1,2`: the venues with these ids (up to 1000), ascending id.
//! - `GET /venues/search?q=paris&limit=10`: the venues whose name (which holds
//!   the city) matches, best first (up to 50; 10 when `limit` is not given).
//! - `GET /venues/within?latitude=..&longitude=..&radius=..`: the venues within
//!   `radius` km of the point, boundary included, ascending id.
//! - `GET /venues/within/ids?...`: the same, only their ids: what a search
//!   needs to find the concerts there (a circle can hold thousands of venues,
//!   of which a page of concerts names a few).
//! - `PUT /venues`: upserts a JSON array of venues (up to 10,000), all or nothing.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use exceptions::HttpError;
use settings::{Limits, Writes};
use validator::id_batch::{self, IdBatch};
use validator::name_search::{self, NameSearch};
use validator::{Schema, SchemaError};
use venues_model::{VENUE_SCHEMA, Venue, WithinRadius};

use crate::store::VenueStore;

const WITHIN_RADIUS_SCHEMA: &str = include_str!("../schemas/within-radius.schema.json");

#[derive(Clone)]
struct AppState {
    store: Arc<dyn VenueStore>,
    lookup: Arc<Schema>,
    search: Arc<Schema>,
    within: Arc<Schema>,
}

pub fn router(store: Arc<dyn VenueStore>, limits: &Limits, writes: &Writes) -> Result<Router, SchemaError> {
    let state = AppState {
        store: store.clone(),
        lookup: Arc::new(id_batch::schema()?),
        search: Arc::new(name_search::schema()?),
        within: Arc::new(Schema::from_json_text("WithinRadius", WITHIN_RADIUS_SCHEMA)?),
    };
    let api = Router::new()
        .route("/venues", get(by_ids).merge(bootstrap::import("venues import", VENUE_SCHEMA, store.clone(), writes)?))
        .route("/venues/search", get(named))
        .route("/version", bootstrap::version(store.clone()))
        .route("/venues/within", get(within_radius))
        .route("/venues/within/ids", get(ids_within_radius))
        .with_state(state);
    Ok(bootstrap::service_router(api, bootstrap::ready(store), limits))
}

async fn by_ids(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Venue>>, HttpError> {
    let IdBatch { ids } = state.lookup.parse_query(query.as_deref())?;
    Ok(Json(state.store.by_ids(&ids).await?))
}

async fn named(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Venue>>, HttpError> {
    let NameSearch { q, limit } = state.search.parse_query(query.as_deref())?;
    Ok(Json(state.store.named(&q, limit).await?))
}

async fn within_radius(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Venue>>, HttpError> {
    let query: WithinRadius = state.within.parse_query(query.as_deref())?;
    Ok(Json(state.store.within_radius(query).await?))
}

async fn ids_within_radius(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<i64>>, HttpError> {
    let query: WithinRadius = state.within.parse_query(query.as_deref())?;
    Ok(Json(state.store.ids_within_radius(query).await?))
}
