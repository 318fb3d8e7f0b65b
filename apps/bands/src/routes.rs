//! The bands service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /bands?ids=1,2`: the bands with these ids (up to 1000), ascending id.
//! - `GET /bands/search?q=sigur+ros&limit=10`: the bands whose name matches,
//!   best first (up to 50; 10 when `limit` is not given).
//! - `PUT /bands`: upserts a JSON array of bands (up to 10,000), all or nothing.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use bands_model::{BAND_SCHEMA, Band};
use exceptions::HttpError;
use settings::{Limits, Writes};
use validator::id_batch::{self, IdBatch};
use validator::name_search::{self, NameSearch};
use validator::{Schema, SchemaError};

use crate::store::BandStore;

#[derive(Clone)]
struct AppState {
    store: Arc<dyn BandStore>,
    lookup: Arc<Schema>,
    search: Arc<Schema>,
}

pub fn router(store: Arc<dyn BandStore>, limits: &Limits, writes: &Writes) -> Result<Router, SchemaError> {
    let state = AppState {
        store: store.clone(),
        lookup: Arc::new(id_batch::schema()?),
        search: Arc::new(name_search::schema()?),
    };
    let api = Router::new()
        .route("/bands", get(by_ids).merge(bootstrap::import("bands import", BAND_SCHEMA, store.clone(), writes)?))
        .route("/bands/search", get(named))
        .route("/version", bootstrap::version(store.clone()))
        .with_state(state);
    Ok(bootstrap::service_router(api, bootstrap::ready(store), limits))
}

async fn by_ids(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Band>>, HttpError> {
    let IdBatch { ids } = state.lookup.parse_query(query.as_deref())?;
    Ok(Json(state.store.by_ids(&ids).await?))
}

async fn named(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Band>>, HttpError> {
    let NameSearch { q, limit } = state.search.parse_query(query.as_deref())?;
    Ok(Json(state.store.named(&q, limit).await?))
}
