//! The bands service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /bands?ids=1,2`: the bands with these ids (up to 1000), ascending id.
//! - `PUT /bands`: upserts a JSON array of bands (up to 10,000), all or nothing.
//! - `GET /health`: `{"status":"ok","empty":bool}`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use bands_model::{BAND_SCHEMA, Band};
use exceptions::HttpError;
use validator::id_batch::{self, IdBatch};
use validator::{Schema, SchemaError};

use crate::store::BandStore;

#[derive(Clone)]
struct AppState {
    store: Arc<dyn BandStore>,
    lookup: Arc<Schema>,
}

pub fn router(store: Arc<dyn BandStore>) -> Result<Router, SchemaError> {
    let state = AppState { store: store.clone(), lookup: Arc::new(id_batch::schema()?) };
    let router = Router::new()
        .route("/bands", get(by_ids).merge(records::import("bands import", BAND_SCHEMA, store.clone())?))
        .route("/health", records::health(store))
        .with_state(state);
    Ok(bootstrap::with_common_layers(router))
}

async fn by_ids(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<Vec<Band>>, HttpError> {
    let IdBatch { ids } = state.lookup.parse_query(query.as_deref())?;
    Ok(Json(state.store.by_ids(&ids).await?))
}
