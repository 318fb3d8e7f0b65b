//! The records an entity service owns, as every one of them serves them:
//! the store interface they all have ([`RecordStore`]), and the routes built
//! on it, a bulk import (`PUT /<entity>`), readiness (`GET /ready`) and the
//! data's version (`GET /version`); for the services of named records (bands,
//! venues, [`NamedRecordStore`]), lookups by ids and searches by name.
//!
//! Each service's store trait (`BandStore`, `VenueStore`, `ConcertStore`)
//! extends [`RecordStore`] for its record type.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{MethodRouter, get, put};
use exceptions::{HttpError, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use validator::id_batch::IdBatch;
use validator::name_search::NameSearch;
use validator::{FromQuery, Schema, SchemaError, Validated};

use crate::credentials::{Credentials, Scope, only_for};

/// The most records one import request may carry.
pub const MAX_IMPORT_BATCH: usize = 10_000;

#[async_trait]
pub trait RecordStore<T>: Send + Sync {
    /// Writes `records` by their identity (a record already there is replaced,
    /// or kept where the identity is all the record holds), all or nothing.
    /// Returns how many records were taken.
    async fn upsert(&self, records: Vec<T>) -> Result<usize, StoreError>;

    /// Whether the store holds no record at all (a fresh install).
    async fn is_empty(&self) -> Result<bool, StoreError>;

    /// A name of the data's current state: it changes whenever an import
    /// may have changed a record, so that clients can tell whether an answer
    /// they hold is still the answer.
    async fn data_version(&self) -> Result<String, StoreError>;
}

/// A store of records that have a name (bands, venues).
#[async_trait]
pub trait NamedRecordStore<T>: RecordStore<T> {
    /// The records among `ids` that exist, in ascending id order.
    async fn by_ids(&self, ids: &[i64]) -> Result<Vec<T>, StoreError>;

    /// At most `limit` records whose name matches `text` whatever the case,
    /// accents and punctuation, best first (see `storage::name_match::Tier`):
    /// the whole name, its start, a later word's start, inside a word. Read
    /// from an index: never every record.
    async fn by_name(&self, text: &str, limit: usize) -> Result<Vec<T>, StoreError>;
}

/// `GET /<entity>?ids=1,2`: the records with these ids (up to 1000), ascending id.
pub fn lookup<T, S>(store: Arc<dyn NamedRecordStore<T>>) -> Result<MethodRouter<S>, SchemaError>
where
    T: Serialize + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    IdBatch::schema().map_err(Clone::clone)?;
    Ok(get(look_up::<T>).with_state(store))
}

async fn look_up<T: Serialize + Send + 'static>(
    State(store): State<Arc<dyn NamedRecordStore<T>>>,
    Validated(batch): Validated<IdBatch>,
) -> Result<Json<Vec<T>>, HttpError> {
    Ok(Json(store.by_ids(&batch.ids).await?))
}

/// `GET /<entity>/search?q=..&limit=..`: the records whose name matches,
/// best first (up to 50; 10 when `limit` is not given).
pub fn search<T, S>(store: Arc<dyn NamedRecordStore<T>>) -> Result<MethodRouter<S>, SchemaError>
where
    T: Serialize + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    NameSearch::schema().map_err(Clone::clone)?;
    Ok(get(by_name::<T>).with_state(store))
}

async fn by_name<T: Serialize + Send + 'static>(
    State(store): State<Arc<dyn NamedRecordStore<T>>>,
    Validated(search): Validated<NameSearch>,
) -> Result<Json<Vec<T>>, HttpError> {
    Ok(Json(store.by_name(&search.q, search.limit).await?))
}

/// Room for a full batch of the longest records (names of up to 500 characters).
const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

struct Import<T> {
    store: Arc<dyn RecordStore<T>>,
    schema: Schema,
}

/// `PUT`: a JSON array of at most [`MAX_IMPORT_BATCH`] records, each valid
/// under `record_schema` (JSON text), answered with `{"imported": n}`; only
/// with the import token (else 401 or 403, before the body is read).
pub fn import<T, S>(
    name: &str,
    record_schema: &str,
    store: Arc<dyn RecordStore<T>>,
    credentials: &Credentials,
) -> Result<MethodRouter<S>, SchemaError>
where
    T: DeserializeOwned + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    let state = Arc::new(Import { store, schema: import_schema(name, record_schema)? });
    let route = put(take_import::<T>).with_state(state).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    Ok(only_for(route, credentials, Scope::Import))
}

/// The schema of an import's body: a JSON array of at most
/// [`MAX_IMPORT_BATCH`] records, each valid under `record_schema` (JSON
/// text). The route reads a body with it (`parse_json`), and so do the fuzzers.
pub fn import_schema(name: &str, record_schema: &str) -> Result<Schema, SchemaError> {
    Schema::list_of(name, record_schema, MAX_IMPORT_BATCH)
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
