//! What the three entity services do alike with the records they own: take a
//! bulk import (`PUT /<entity>`), say whether their store can serve
//! (`GET /ready`), and measure their store's queries.
//!
//! Each service's store trait extends [`RecordStore`] for its record type,
//! whatever the backend; the two endpoints here serve them all.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{MethodRouter, get, put};
use exceptions::{HttpError, StoreError};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use validator::{Schema, SchemaError};

/// The most records one import request may carry.
pub const MAX_IMPORT_BATCH: usize = 10_000;
/// Room for a full batch of the longest records (names of up to 500 characters).
const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

#[async_trait]
pub trait RecordStore<T>: Send + Sync {
    /// Writes `records` by their identity (a record already there is replaced,
    /// or kept where the identity is all the record holds), all or nothing.
    /// Returns how many records were taken.
    async fn upsert(&self, records: Vec<T>) -> Result<usize, StoreError>;

    /// Whether the store holds no record at all (a fresh install).
    async fn is_empty(&self) -> Result<bool, StoreError>;
}

struct Import<T> {
    store: Arc<dyn RecordStore<T>>,
    schema: Schema,
}

/// `PUT`: a JSON array of at most [`MAX_IMPORT_BATCH`] records, each valid
/// under `record_schema` (JSON text), answered with `{"imported": n}`.
pub fn import<T, S>(
    name: &str,
    record_schema: &str,
    store: Arc<dyn RecordStore<T>>,
) -> Result<MethodRouter<S>, SchemaError>
where
    T: DeserializeOwned + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    let schema = Schema::list_of(name, record_schema, MAX_IMPORT_BATCH)?;
    let state = Arc::new(Import { store, schema });
    Ok(put(take_import::<T>).with_state(state).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)))
}

async fn take_import<T: DeserializeOwned + Send + 'static>(
    State(import): State<Arc<Import<T>>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, HttpError> {
    let records: Vec<T> = import.schema.parse_json(&body?)?;
    let imported = import.store.upsert(records).await?;
    Ok(Json(json!({ "imported": imported })))
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

/// Records one store query: `store_query_duration_seconds{backend, operation, outcome}`.
pub fn observe_query(backend: &'static str, operation: &str, elapsed: std::time::Duration, ok: bool) {
    let outcome = if ok { "ok" } else { "error" };
    let labels =
        [("backend", backend.to_owned()), ("operation", operation.to_owned()), ("outcome", outcome.to_owned())];
    metrics::histogram!("store_query_duration_seconds", &labels).record(elapsed.as_secs_f64());
}
