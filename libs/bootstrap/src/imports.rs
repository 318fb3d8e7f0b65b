//! The routes every entity service has for the records it owns: a bulk
//! import (`PUT /<entity>`), readiness (`GET /ready`) and the data's
//! version (`GET /version`), over any [`RecordStore`].

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{MethodRouter, get, put};
use exceptions::HttpError;
use records::{MAX_IMPORT_BATCH, RecordStore};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use settings::Writes;
use validator::{Schema, SchemaError};

use crate::writes::only_with_token;

/// Room for a full batch of the longest records (names of up to 500 characters).
const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

struct Import<T> {
    store: Arc<dyn RecordStore<T>>,
    schema: Schema,
}

/// `PUT`: a JSON array of at most [`MAX_IMPORT_BATCH`] records, each valid
/// under `record_schema` (JSON text), answered with `{"imported": n}`; only
/// with the bearer token of `writes` (else 401, before the body is read).
pub fn import<T, S>(
    name: &str,
    record_schema: &str,
    store: Arc<dyn RecordStore<T>>,
    writes: &Writes,
) -> Result<MethodRouter<S>, SchemaError>
where
    T: DeserializeOwned + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    if writes.token().is_none() {
        tracing::warn!("IMPORT_TOKEN is not set: every write ({name}) will be refused with 401");
    }
    let schema = Schema::list_of(name, record_schema, MAX_IMPORT_BATCH)?;
    let state = Arc::new(Import { store, schema });
    Ok(only_with_token(put(take_import::<T>).with_state(state).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)), writes))
}

async fn take_import<T: DeserializeOwned + Send + 'static>(
    State(import): State<Arc<Import<T>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, HttpError> {
    let records: Vec<T> = import.schema.parse_json(&body?)?;
    let imported = import.store.upsert(records).await?;
    Ok(Json(json!({ "imported": imported })))
}

/// `GET /version`: `{"version": "..."}`, the name of the store's data state,
/// which changes with every import (clients tag the answers they keep with it).
pub fn version<T, S>(store: Arc<dyn RecordStore<T>>) -> MethodRouter<S>
where
    T: Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    get(report_version::<T>).with_state(store)
}

async fn report_version<T: Send + 'static>(
    State(store): State<Arc<dyn RecordStore<T>>>,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(json!({ "version": store.data_version().await? })))
}

/// `GET /ready`: `{"status":"ready","empty":bool}` when the store answers, a
/// 503 JSON error when it cannot be reached.
pub fn ready<T, S>(store: Arc<dyn RecordStore<T>>) -> MethodRouter<S>
where
    T: Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    get(report_ready::<T>).with_state(store)
}

async fn report_ready<T: Send + 'static>(
    State(store): State<Arc<dyn RecordStore<T>>>,
) -> Result<Json<Value>, HttpError> {
    let empty = store.is_empty().await?;
    Ok(Json(json!({ "status": "ready", "empty": empty })))
}
