//! Records edited one at a time, as every entity service serves them:
//!
//! - `GET /<entity>/{id}`: the record, with its `ETag` (its revision), or 404;
//! - `POST /<entity>`: a new record from its draft: 201, `Location`, the
//!   record; with `Idempotency-Key`, the same key and body again answer the
//!   first answer (the record is made once), another body a 422;
//! - `PATCH /<entity>/{id}`: a JSON merge patch (RFC 7396): the record as it
//!   is now; `If-Match` with a revision that is no longer current: 412;
//! - `DELETE /<entity>/{id}`: 204; `If-Match` as for a patch.
//!
//! Every write needs a token of scope `catalogue:write`. What a write checks
//! of the record (its schema; what a patch may not change) is checked here,
//! once, for every entity; each store makes the write, its change log entry
//! and, for a create, its key one transaction.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use exceptions::{Code, HttpError, Problem, StoreError, WriteError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use validator::{Schema, SchemaError};

use crate::credentials::{Credentials, Scope, Writer, only_for};

/// The key a client gives a create so that sending it again is harmless.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// What the key's first request held, when not the body itself: the gateway
/// sends each step of a composite create with the fingerprint of the whole,
/// so that the same key with another whole body is refused at every step.
pub const IDEMPOTENCY_FINGERPRINT: HeaderName = HeaderName::from_static("idempotency-fingerprint");

/// The data's version once a write is made, in the write's answer: the
/// gateway keeps it, and reads the write at once, without asking `/version`.
pub const DATA_VERSION: HeaderName = HeaderName::from_static("data-version");

/// The longest body of a single-record write.
pub const MAX_EDIT_BYTES: usize = 64 * 1024;

/// A record and its revision (its `ETag`: it changes with every write of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Revised<R> {
    pub record: R,
    pub revision: i64,
}

/// What a create made: the record, and whether this is the answer of an
/// earlier request with the same key (nothing was made now).
#[derive(Debug, Clone, PartialEq)]
pub struct Created<R> {
    pub revised: Revised<R>,
    pub replayed: bool,
}

/// A create's key and the fingerprint of what it asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Once {
    pub key: String,
    pub fingerprint: String,
}

/// What a patch makes of a record: the record as it would be, or why not.
pub type Edit<R> = Box<dyn Fn(&R) -> Result<R, Vec<Problem>> + Send + Sync>;

/// A store of records that are written one at a time.
#[async_trait]
pub trait EditableStore<R, D>: Send + Sync {
    /// The record `id`, if it exists.
    async fn get(&self, id: i64) -> Result<Option<Revised<R>>, StoreError>;

    /// A new record from `draft`, its id given by the store; `once`: made
    /// once whatever the number of requests with that key.
    async fn create(&self, draft: D, once: Option<Once>) -> Result<Created<R>, WriteError>;

    /// The record `id` as `edit` makes it, if its revision is `expected` (any when `None`).
    async fn update(&self, id: i64, expected: Option<i64>, edit: Edit<R>) -> Result<Revised<R>, WriteError>;

    /// Deletes the record `id`, if its revision is `expected` (any when `None`); what it was.
    async fn delete(&self, id: i64, expected: Option<i64>) -> Result<R, WriteError>;

    /// The data's version now (`RecordStore::data_version`): a write's
    /// answer carries it, so that the gateway knows it without asking.
    async fn version_now(&self) -> Result<String, StoreError>;
}

/// One kind of record, as its routes read and check it.
pub struct Kind<R, D> {
    /// `band`, `venue`, `concert`: as the messages say it.
    pub name: &'static str,
    /// Where its records are: `/bands`.
    pub path: &'static str,
    /// The JSON Schema of a whole record.
    pub record: &'static str,
    /// The JSON Schema of a create's body.
    pub draft: &'static str,
    /// The JSON Schema of a patch (every field optional; `null` only where a field may be emptied).
    pub patch: &'static str,
    /// What a patch may not do that the record's schema cannot say (a
    /// concert rescheduled keeps its previous date); `before` and the record
    /// as patched: the record to store, or why not.
    pub settle: fn(&R, R) -> Result<R, Vec<Problem>>,
    /// The types of the record and its draft.
    pub types: std::marker::PhantomData<fn() -> (R, D)>,
}

/// What a kind's write bodies are checked against, compiled once: how its
/// routes read a create's draft and a patch (and what the fuzzers feed).
pub struct Rules<R, D> {
    kind: &'static str,
    record: Arc<Schema>,
    draft: Schema,
    patch: Schema,
    settle: fn(&R, R) -> Result<R, Vec<Problem>>,
    types: std::marker::PhantomData<fn() -> (R, D)>,
}

impl<R, D> Rules<R, D> {
    pub fn of(kind: &Kind<R, D>) -> Result<Self, SchemaError> {
        Ok(Self {
            kind: kind.name,
            record: Arc::new(Schema::from_json_text(kind.name, kind.record)?),
            draft: Schema::from_json_text(&format!("new {}", kind.name), kind.draft)?,
            patch: Schema::from_json_text(&format!("{} patch", kind.name), kind.patch)?,
            settle: kind.settle,
            types: std::marker::PhantomData,
        })
    }
}

impl<R, D: DeserializeOwned> Rules<R, D> {
    /// A create's body as the draft of a record.
    pub fn draft(&self, body: &[u8]) -> Result<D, HttpError> {
        self.draft.parse_json(body)
    }
}

impl<R: Serialize + DeserializeOwned + 'static, D> Rules<R, D> {
    /// A patch's body of the record `id` as the edit it makes: the patch
    /// merged into the record as it is when the store applies it, then
    /// checked as a whole record and settled.
    pub fn edit(&self, id: i64, body: &[u8]) -> Result<Edit<R>, HttpError> {
        let patch: Value = self.patch.parse_json(body)?;
        let (record, settle, kind) = (self.record.clone(), self.settle, self.kind);
        Ok(Box::new(move |before: &R| {
            let invalid = |message: String| vec![Problem::new(Code::InvalidValue, message)];
            let mut value = serde_json::to_value(before).map_err(|e| invalid(e.to_string()))?;
            json_patch::merge(&mut value, &patch);
            if value["id"] != serde_json::json!(id) {
                return Err(vec![Problem::at(Code::NotAllowed, "id", "id cannot be changed")]);
            }
            record.check(&value)?;
            let after: R = serde_json::from_value(value).map_err(|e| invalid(format!("{kind}: {e}")))?;
            settle(before, after)
        }))
    }
}

struct Editing<R, D> {
    store: Arc<dyn EditableStore<R, D>>,
    kind: &'static str,
    path: &'static str,
    rules: Rules<R, D>,
}

/// The routes of `kind`: `(path, collection route, record route)`, for
/// `/<entity>` (POST, beside the import and lookups) and `/<entity>/{id}`.
pub fn routes<R, D, S>(
    kind: Kind<R, D>,
    store: Arc<dyn EditableStore<R, D>>,
    credentials: &Credentials,
) -> Result<(MethodRouter<S>, MethodRouter<S>), SchemaError>
where
    R: Serialize + DeserializeOwned + Send + Sync + 'static,
    D: DeserializeOwned + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    let editing = Arc::new(Editing { store, kind: kind.name, path: kind.path, rules: Rules::of(&kind)? });
    let create = only_for(post(create::<R, D>).with_state(editing.clone()), credentials, Scope::Edit);
    let edits = only_for(
        axum::routing::patch(patch::<R, D>).delete(delete::<R, D>).with_state(editing.clone()),
        credentials,
        Scope::Edit,
    );
    let one = get(read::<R, D>).with_state(editing).merge(edits);
    let limit = DefaultBodyLimit::max(MAX_EDIT_BYTES);
    Ok((create.layer(limit), one.layer(limit)))
}

fn not_found(kind: &str, id: i64) -> HttpError {
    HttpError::NotFound(format!("{kind} {id}"))
}

/// A record answered with its `ETag`.
fn answer<R: Serialize>(status: StatusCode, revised: &Revised<R>) -> Response {
    let mut response = (status, Json(&revised.record)).into_response();
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", revised.revision)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

async fn read<R: Serialize + Send + Sync + 'static, D: Send + 'static>(
    State(editing): State<Arc<Editing<R, D>>>,
    Path(id): Path<i64>,
) -> Result<Response, HttpError> {
    let revised = editing.store.get(id).await?.ok_or_else(|| not_found(editing.kind, id))?;
    Ok(answer(StatusCode::OK, &revised))
}

async fn create<R, D>(
    State(editing): State<Arc<Editing<R, D>>>,
    Extension(writer): Extension<Writer>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, HttpError>
where
    R: Serialize + Send + Sync + 'static,
    D: DeserializeOwned + Send + 'static,
{
    let body = json_body(&headers, body?)?;
    let draft = editing.rules.draft(&body)?;
    let once = idempotency(&headers, &body)?;
    let created = editing.store.create(draft, once).await.map_err(|error| error.into_http(editing.kind, None))?;
    let id =
        serde_json::to_value(&created.revised.record).ok().and_then(|value| value["id"].as_i64()).unwrap_or_default();
    if !created.replayed {
        tracing::info!(who = %writer.name, kind = editing.kind, id, "created");
    }
    let mut response = answer(StatusCode::CREATED, &created.revised);
    if let Ok(location) = HeaderValue::from_str(&format!("{}/{id}", editing.path)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(with_version(response, editing.store.as_ref()).await)
}

/// A write's answer with the data's version now ([`DATA_VERSION`]), when it can be read.
async fn with_version<R, D>(mut response: Response, store: &dyn EditableStore<R, D>) -> Response {
    if let Ok(version) = store.version_now().await
        && let Ok(value) = HeaderValue::from_str(&version)
    {
        response.headers_mut().insert(DATA_VERSION, value);
    }
    response
}

async fn patch<R, D>(
    State(editing): State<Arc<Editing<R, D>>>,
    Extension(writer): Extension<Writer>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, HttpError>
where
    R: Serialize + DeserializeOwned + Send + Sync + 'static,
    D: Send + 'static,
{
    let body = json_body(&headers, body?)?;
    let edit = editing.rules.edit(id, &body)?;
    let expected = if_match(&headers)?;
    let revised =
        editing.store.update(id, expected, edit).await.map_err(|error| error.into_http(editing.kind, Some(id)))?;
    tracing::info!(who = %writer.name, kind = editing.kind, id, "updated");
    Ok(with_version(answer(StatusCode::OK, &revised), editing.store.as_ref()).await)
}

async fn delete<R, D>(
    State(editing): State<Arc<Editing<R, D>>>,
    Extension(writer): Extension<Writer>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, HttpError>
where
    R: Send + Sync + 'static,
    D: Send + 'static,
{
    let expected = if_match(&headers)?;
    editing.store.delete(id, expected).await.map_err(|error| error.into_http(editing.kind, Some(id)))?;
    tracing::info!(who = %writer.name, kind = editing.kind, id, "deleted");
    Ok(with_version(StatusCode::NO_CONTENT.into_response(), editing.store.as_ref()).await)
}

/// The body, if its media type is JSON (see [`validator::require_json`]): else a 415.
pub fn json_body(headers: &HeaderMap, body: Bytes) -> Result<Bytes, HttpError> {
    validator::require_json(headers).map(|()| body)
}

/// The form of `Idempotency-Key` [`idempotency_key`] takes, as a JSON Schema pattern (for the OpenAPI document).
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]([ -~]{0,198}[!-~])?$";

/// The create's `Idempotency-Key`, when given.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, HttpError> {
    let Some(key) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let visible = |key: &&str| key.bytes().all(|byte| (b' '..=b'~').contains(&byte));
    let key = key.to_str().ok().map(str::trim).filter(|key| !key.is_empty() && key.len() <= 200).filter(visible);
    let key = key.ok_or_else(|| {
        HttpError::bad_request(Problem::at(
            Code::InvalidFormat,
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 200 visible ASCII characters",
        ))
    })?;
    Ok(Some(key.to_owned()))
}

/// The create's key and fingerprint: the given fingerprint, else the body's hash.
pub fn idempotency(headers: &HeaderMap, body: &[u8]) -> Result<Option<Once>, HttpError> {
    let Some(key) = idempotency_key(headers)? else { return Ok(None) };
    let fingerprint = match headers.get(IDEMPOTENCY_FINGERPRINT).and_then(|value| value.to_str().ok()) {
        Some(given) => given.to_owned(),
        None => fingerprint(body),
    };
    Ok(Some(Once { key, fingerprint }))
}

/// What a body is, as a create's key remembers it: its SHA-256, in hex.
pub fn fingerprint(body: &[u8]) -> String {
    Sha256::digest(body).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The revision `If-Match` names (`"3"`), `None` without the header, with
/// `*` or with an empty one (RFC 9110 lets its list of tags be empty).
pub fn if_match(headers: &HeaderMap) -> Result<Option<i64>, HttpError> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let refused = |value: &str| {
        let message = format!("If-Match must hold the record's ETag (\"3\") or *, not {value:?}");
        HttpError::bad_request(Problem::at(Code::InvalidFormat, "If-Match", message))
    };
    let value = value.to_str().map_err(|_| refused(&String::from_utf8_lossy(value.as_bytes())))?.trim();
    if value.is_empty() || value == "*" {
        return Ok(None);
    }
    revision(value).map(Some).ok_or_else(|| refused(value))
}

/// The form of `If-Match` [`if_match`] takes, as a JSON Schema pattern (for the OpenAPI document).
pub const IF_MATCH_PATTERN: &str = r#"^(|\*|(W/)?"[0-9]{1,18}")$"#;

/// The revision a record's entity tag names: `"3"` (or `W/"3"`, which
/// compares the same here), the form of the `ETag` every record is answered with.
pub fn revision(tag: &str) -> Option<i64> {
    let quoted = tag.strip_prefix("W/").unwrap_or(tag);
    let digits = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let short = (1..=18).contains(&digits.len());
    if short && digits.bytes().all(|byte| byte.is_ascii_digit()) { digits.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn headers(name: HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("a header value"));
        headers
    }

    /// What the document says a header may hold is what the code takes:
    /// each value against the pattern (through the JSON Schema validator
    /// that checks requests) and against the parser.
    fn agree(pattern: &str, taken: impl Fn(&str) -> bool, values: &[&str]) {
        let schema = validator::Schema::new("Header", json!({"type": "string", "pattern": pattern})).expect("a schema");
        for value in values {
            assert_eq!(schema.check(&json!(value)).is_ok(), taken(value), "{value:?} against {pattern}");
        }
    }

    #[test]
    fn if_match_takes_an_entity_tag_or_a_star_as_the_document_says() {
        assert_eq!(if_match(&headers(header::IF_MATCH, "\"3\"")).ok(), Some(Some(3)));
        assert_eq!(if_match(&headers(header::IF_MATCH, "W/\"3\"")).ok(), Some(Some(3)));
        assert_eq!(if_match(&headers(header::IF_MATCH, "*")).ok(), Some(None));
        assert_eq!(if_match(&HeaderMap::new()).ok(), Some(None));
        let mut bytes = HeaderMap::new();
        bytes.insert(header::IF_MATCH, HeaderValue::from_bytes(b"\xc2\x84").expect("obs-text is a header value"));
        assert!(if_match(&bytes).is_err(), "bytes beyond ASCII are no entity tag");
        let values =
            ["", "*", "\"3\"", "W/\"12\"", "3", "null", "\"\"", "\"-1\"", "\"+1\"", "\"3", "W/3", "\"1\", \"2\""];
        agree(IF_MATCH_PATTERN, |value| if_match(&headers(header::IF_MATCH, value)).is_ok(), &values);
        assert_eq!(revision("\"123456789012345678\""), Some(123_456_789_012_345_678));
        assert_eq!(revision("\"1234567890123456789\""), None, "beyond the pattern's 18 digits");
    }

    #[test]
    fn idempotency_key_takes_visible_ascii_as_the_document_says() {
        let long = "k".repeat(200);
        let longer = "k".repeat(201);
        let values = ["a", "order 17/b", long.as_str(), longer.as_str(), "tab\there", "é"];
        let taken = |value: &str| {
            let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) else { return false };
            let mut map = HeaderMap::new();
            map.insert(IDEMPOTENCY_KEY, value);
            idempotency_key(&map).is_ok()
        };
        agree(IDEMPOTENCY_KEY_PATTERN, taken, &values);
    }
}
