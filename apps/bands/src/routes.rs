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

use axum::Router;
use bands_model::{BAND_SCHEMA, Band};
use bootstrap::NamedRecordStore;
use bootstrap::records::{import, lookup, ready, search, version};
use bootstrap::settings::{Limits, Writes};
use validator::SchemaError;

use crate::store::BandStore;

pub fn router(store: Arc<dyn BandStore>, limits: &Limits, writes: &Writes) -> Result<Router, SchemaError> {
    let named: Arc<dyn NamedRecordStore<Band>> = store.clone();
    let api = Router::new()
        .route("/bands", lookup(named.clone())?.merge(import("bands import", BAND_SCHEMA, store.clone(), writes)?))
        .route("/bands/search", search(named)?)
        .route("/version", version(store.clone()));
    Ok(bootstrap::service_router(api, ready(store), limits))
}
