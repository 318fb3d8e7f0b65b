//! The concerts service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `POST /concerts/search` `{"bandIds":[..],"venueIds":[..],"order":..,"limit":n,"after":{..}}`:
//!   the matching concerts, newest first unless `order` says otherwise
//!   (soonest first, or the venues in the order listed), each as `[id, bandId, venueId, date, status]`
//!   (a body, because a geo search can name thousands of venues); in binary
//!   rows ([`concerts_model::rows`]) when the request accepts them, as the
//!   gateway's do. With `limit`, at most that many; without, every match,
//!   streamed page by page, so that the search's venues are sent and checked
//!   once however long the answer.
//! - `POST /concerts/counts` `{"bandIds":[..],"venueIds":[..],"from":..,"to":..,"statuses":[..],"by":"month"}`:
//!   how many concerts the search matches, `{"total":n,"groups":[[key,n],..]}`
//!   (months as `yyyymm`, years, venue or band ids), added up from the
//!   counts kept per band, venue and month rather than read.
//! - `PUT /concerts`: adds a JSON array of concerts (up to 10,000), all or nothing;
//!   concerts already stored are kept once; each new one gets its id.
//! - `GET /concerts/{id}`, `POST /concerts`, `PATCH /concerts/{id}`,
//!   `DELETE /concerts/{id}`: one concert at a time (`bootstrap::edits`); a
//!   new date reschedules it. Whether its band and venue exist is asked of
//!   the services that own them, by the gateway.
//! - `GET /concerts/count?bandId=..` (or `venueId`): `{"count": n}`;
//!   `DELETE /concerts?bandId=..` (or `venueId`): deletes them all,
//!   `{"deleted": n}`: what deleting a band or a venue asks.
//! - `PUT /concerts/staged`, then `POST /concerts/staged/commit`: a bulk load.
//!   The batches (as `PUT /concerts`) are set aside, unseen by searches, and
//!   the commit takes them all in at once, sorted (`{"committed": n}`, the
//!   concerts new to the store): far faster for millions of concerts.
//!   Staging a batch twice is harmless. Every write needs the import token.
//! - `GET /changes?after=N&limit=M&wait=S`: the service's change log, in
//!   commit order (`bootstrap::changes`): what the gateway's feed is made of.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bootstrap::RecordStore;
use bootstrap::changes;
use bootstrap::credentials::{Credentials, Scope, only_for};
use bootstrap::edits::{self, EditableStore};
use bootstrap::records::{import, ready, version};
use bootstrap::settings::Limits;
use concerts_model::{
    CONCERT_SCHEMA, Concert, ConcertCounts, ConcertFilter, ConcertRecord, ConcertRow, ConcertSearch, CountSearch,
    NewConcert, Order, Position, rows,
};
use exceptions::{Code, HttpError, Problem, StoreError};
use futures::StreamExt;
use kinds::CONCERTS;
use serde::Deserialize;
use serde_json::json;
use validator::{CompiledSchema, FromBody, FromQuery, Schema, SchemaError, Validated, ValidatedJson};

use crate::store::{ConcertPages, ConcertStore, Side};

/// Concerts read from the store at a time for an answer without a limit.
const STREAMED_PAGE: usize = 5000;

type Store = Arc<dyn ConcertStore>;

pub fn router(store: Store, limits: &Limits, credentials: &Credentials) -> Result<Router, SchemaError> {
    SearchRequest::schema().map_err(Clone::clone)?;
    CountRequest::schema().map_err(Clone::clone)?;
    Of::schema().map_err(Clone::clone)?;
    let staging: Arc<dyn RecordStore<NewConcert>> = Arc::new(Staging(store.clone()));
    let editable: Arc<dyn EditableStore<ConcertRecord, NewConcert>> = store.clone();
    let (create, one) = edits::routes(CONCERTS, editable, credentials)?;
    let delete_all = only_for(axum::routing::delete(delete_all_of).with_state(store.clone()), credentials, Scope::Edit);
    let api = Router::new()
        .route("/concerts/search", post(search))
        .route("/concerts/counts", post(count))
        .route("/concerts/count", get(count_of))
        .route("/changes", changes::route(store.clone())?)
        .route("/version", version(store.clone()))
        .route(
            "/concerts",
            import("concerts import", CONCERT_SCHEMA, store.clone(), credentials)?.merge(create).merge(delete_all),
        )
        .route("/concerts/{id}", one)
        .route("/concerts/staged", import("staged concerts", CONCERT_SCHEMA, staging, credentials)?)
        .route("/concerts/staged/commit", only_for(post(commit_staged), credentials, Scope::Import))
        .with_state(store.clone());
    Ok(bootstrap::service_router(api, ready(store), limits))
}

/// `?bandId=..` or `?venueId=..`: whose concerts.
struct Of(Side);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfParams {
    band_id: Option<i64>,
    venue_id: Option<i64>,
}

static OF: CompiledSchema = CompiledSchema::new(|| {
    let id = json!({"type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64});
    Schema::new(
        "ConcertsOf",
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {"bandId": id, "venueId": id},
            "oneOf": [{"required": ["bandId"]}, {"required": ["venueId"]}],
            "errorMessage": {"oneOf": "give bandId or venueId (one of them)"}
        }),
    )
});

impl FromQuery for Of {
    type Params = OfParams;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        OF.as_ref()
    }

    fn parse(params: OfParams) -> Result<Self, HttpError> {
        match (params.band_id, params.venue_id) {
            (Some(band), None) => Ok(Self(Side::Band(band))),
            (None, Some(venue)) => Ok(Self(Side::Venue(venue))),
            // The schema's oneOf refuses both and neither first: this is a schema and type drifting apart.
            _ => Err(HttpError::bad_request(Problem::new(
                Code::NoMatchingAlternative,
                "give bandId or venueId (one of them)",
            ))),
        }
    }
}

/// `GET /concerts/count?bandId=..`.
async fn count_of(
    State(store): State<Store>,
    Validated(Of(side)): Validated<Of>,
) -> Result<Json<serde_json::Value>, HttpError> {
    Ok(Json(json!({ "count": store.count_of(side).await? })))
}

/// `DELETE /concerts?bandId=..`.
async fn delete_all_of(
    State(store): State<Store>,
    Validated(Of(side)): Validated<Of>,
) -> Result<Json<serde_json::Value>, HttpError> {
    let deleted = store.delete_all_of(side).await?;
    tracing::info!(?side, deleted, "concerts deleted with their band or venue");
    Ok(Json(json!({ "deleted": deleted })))
}

/// `POST /concerts/staged/commit`.
async fn commit_staged(State(store): State<Store>) -> Result<axum::Json<serde_json::Value>, HttpError> {
    let committed = store.commit_staged().await?;
    Ok(axum::Json(serde_json::json!({ "committed": committed })))
}

/// `POST /concerts/search`: which concerts, and how many at once (`None`:
/// every match, streamed), from where.
struct SearchRequest {
    filter: ConcertFilter,
    order: Order,
    limit: Option<usize>,
    after: Option<Position>,
}

static SEARCH: CompiledSchema = CompiledSchema::new(|| {
    Schema::from_json_text("ConcertSearch", include_str!("../schemas/concert-search.schema.json"))
});

impl FromBody for SearchRequest {
    type Params = ConcertSearch;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        SEARCH.as_ref()
    }

    fn parse(ConcertSearch { filter, order, limit, after }: ConcertSearch) -> Result<Self, HttpError> {
        if order == Order::VenuesInOrder
            && let Some(after) = after
            && !filter.venue_ids.as_ref().is_some_and(|venues| venues.contains(&after.venue_id))
        {
            // In venue order a page goes on from its venue's place in the list.
            let message = "after.venueId must be one of venueIds when order is venuesInOrder";
            return Err(HttpError::bad_request(Problem::at(Code::InvalidValue, "after.venueId", message)));
        }
        Ok(Self { filter, order, limit, after })
    }
}

/// `POST /concerts/counts`: which concerts, split how.
struct CountRequest(CountSearch);

/// The search's schema without what pages a search (order, limit, after),
/// with `by`: one source for the rules both share.
static COUNT: CompiledSchema = CompiledSchema::new(|| {
    let search = Schema::from_json_text("ConcertSearch", include_str!("../schemas/concert-search.schema.json"))?;
    let mut source = search.source().clone();
    source["title"] = json!("ConcertCount");
    source["description"] = json!("POST /concerts/counts: how many concerts the search matches, in all and per group");
    if let Some(properties) = source["properties"].as_object_mut() {
        for paging in ["order", "limit", "after"] {
            properties.remove(paging);
        }
        properties.insert("by".to_owned(), json!({"enum": ["month", "year", "venue", "band"]}));
    }
    if let Some(schema) = source.as_object_mut() {
        schema.remove("if");
        schema.remove("then");
    }
    Schema::new("ConcertCount", source)
});

impl FromBody for CountRequest {
    type Params = CountSearch;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        COUNT.as_ref()
    }

    fn parse(search: CountSearch) -> Result<Self, HttpError> {
        Ok(Self(search))
    }
}

async fn count(
    State(store): State<Store>,
    ValidatedJson(CountRequest(search)): ValidatedJson<CountRequest>,
) -> Result<Json<ConcertCounts>, HttpError> {
    Ok(Json(store.count(search.filter, search.by).await?))
}

/// The store as `PUT /concerts/staged` writes to it: each batch staged.
struct Staging(Arc<dyn ConcertStore>);

#[async_trait::async_trait]
impl RecordStore<NewConcert> for Staging {
    async fn upsert(&self, concerts: Vec<NewConcert>) -> Result<usize, StoreError> {
        self.0.stage(concerts).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.0.is_empty().await
    }

    async fn data_version(&self) -> Result<String, StoreError> {
        self.0.data_version().await
    }
}

async fn search(
    State(store): State<Store>,
    headers: HeaderMap,
    ValidatedJson(SearchRequest { filter, order, limit, after }): ValidatedJson<SearchRequest>,
) -> Result<Response, HttpError> {
    let format = Format::asked_by(&headers);
    let pages = store.search(filter, order);
    let Some(limit) = limit else { return streamed(format, pages, after).await };
    let concerts = pages.page(after, limit).await?;
    Ok(format.answer(Body::from(format.write(&concerts, true, true))))
}

/// Every match, page by page. The first page is read before answering, so
/// that a failing store still gets its error status; a failure after it can
/// only cut the answer short.
async fn streamed(
    format: Format,
    pages: Box<dyn ConcertPages>,
    after: Option<Position>,
) -> Result<Response, HttpError> {
    let first = pages.page(after, STREAMED_PAGE).await?;
    let Some(last) = first.last().map(Concert::position).filter(|_| first.len() == STREAMED_PAGE) else {
        return Ok(format.answer(Body::from(format.write(&first, true, true))));
    };
    let opening = Bytes::from(format.write(&first, true, false));
    let rest = futures::stream::unfold(Some((pages, last)), move |next| async move {
        let (pages, after) = next?;
        match pages.page(Some(after), STREAMED_PAGE).await {
            Ok(page) => {
                let more = page.len() == STREAMED_PAGE;
                let chunk = Bytes::from(format.write(&page, false, !more));
                let next = page.last().map(Concert::position).filter(|_| more).map(|last| (pages, last));
                Some((Ok(chunk), next))
            }
            Err(error) => {
                tracing::error!(error = %exceptions::chain(&error), "streamed search cut short");
                Some((Err(std::io::Error::other(error)), None))
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(opening) })
        .chain(rest)
        // A body may be polled again after its end (compression does): it stays ended.
        .fuse();
    Ok(format.answer(Body::from_stream(body)))
}

/// How an answer is written: binary rows for who accepts them, JSON otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rows,
    Json,
}

impl Format {
    fn asked_by(headers: &HeaderMap) -> Self {
        let accepts_rows = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|media| media.split(';').next().is_some_and(|media| media.trim() == rows::CONTENT_TYPE));
        if accepts_rows { Self::Rows } else { Self::Json }
    }

    fn answer(self, body: Body) -> Response {
        let media_type = match self {
            Self::Rows => rows::CONTENT_TYPE,
            Self::Json => "application/json",
        };
        ([(header::CONTENT_TYPE, HeaderValue::from_static(media_type))], body).into_response()
    }

    /// One piece of an answer: `concerts`, opening the JSON array when
    /// `first` and closing it when `last` (rows need neither).
    fn write(self, concerts: &[Concert], first: bool, last: bool) -> Vec<u8> {
        match self {
            Self::Rows => rows::encode(concerts),
            Self::Json => {
                let rows: Vec<ConcertRow> = concerts.iter().copied().map(ConcertRow::from).collect();
                let array = serde_json::to_vec(&rows).unwrap_or_else(|_| b"[]".to_vec());
                // `[a,b]` as `[a,b` then `,c,d` then `,e]`: one array across the pieces.
                let items = &array[1..array.len() - 1];
                let mut piece = Vec::with_capacity(array.len() + 1);
                piece.extend_from_slice(if first {
                    b"["
                } else if items.is_empty() {
                    b""
                } else {
                    b","
                });
                piece.extend_from_slice(items);
                if last {
                    piece.push(b']');
                }
                piece
            }
        }
    }
}
