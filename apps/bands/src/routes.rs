//! The bands service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `GET /bands?ids=1,2`: the bands with these ids (up to 1000), ascending id.
//! - `GET /bands/search?q=sigur+ros&limit=10`: the bands whose name matches,
//!   best first (up to 50; 10 when `limit` is not given).
//! - `PUT /bands`: upserts a JSON array of bands (up to 10,000), all or nothing.
//! - `GET /bands/{id}`, `POST /bands`, `PATCH /bands/{id}`, `DELETE /bands/{id}`:
//!   one band at a time (`bootstrap::edits`). Whether it still has concerts
//!   is asked of the concerts service, by the gateway.
//! - `GET /changes?after=N&limit=M&wait=S`: the service's change log, in
//!   commit order (`bootstrap::changes`): what the gateway's feed is made of.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::Router;
use bands_model::{BAND_SCHEMA, Band, NewBand};
use bootstrap::changes;
use bootstrap::edits::{self, EditableStore};
use bootstrap::records::{import, lookup, ready, search, version};
use bootstrap::settings::Limits;
use bootstrap::{Credentials, NamedRecordStore};
use kinds::BANDS;
use validator::SchemaError;

use crate::store::BandStore;

pub fn router(store: Arc<dyn BandStore>, limits: &Limits, credentials: &Credentials) -> Result<Router, SchemaError> {
    let named: Arc<dyn NamedRecordStore<Band>> = store.clone();
    let editable: Arc<dyn EditableStore<Band, NewBand>> = store.clone();
    let (create, one) = edits::routes(BANDS, editable, credentials)?;
    let bulk = import("bands import", BAND_SCHEMA, store.clone(), credentials)?;
    let api = Router::new()
        .route("/bands", lookup(named.clone())?.merge(bulk).merge(create))
        .route("/bands/{id}", one)
        .route("/bands/search", search(named)?)
        .route("/changes", changes::route(store.clone())?)
        .route("/version", version(store.clone()));
    Ok(bootstrap::service_router(api, ready(store), limits))
}
