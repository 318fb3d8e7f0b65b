//! The concerts service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `POST /concerts/search` `{"bandIds":[..],"venueIds":[..],"limit":n,"after":{..}}`:
//!   the matching concerts, newest first, each as `[bandId, venueId, date]`
//!   (a body, because a geo search can name thousands of venues); in binary
//!   rows ([`concerts_model::rows`]) when the request accepts them, as the
//!   gateway's do. With `limit`, at most that many; without, every match,
//!   streamed page by page, so that the search's venues are sent and checked
//!   once however long the answer.
//! - `PUT /concerts`: adds a JSON array of concerts (up to 10,000), all or nothing;
//!   concerts already stored are kept once.
//! - `PUT /concerts/staged`, then `POST /concerts/staged/commit`: a bulk load.
//!   The batches (as `PUT /concerts`) are set aside, unseen by searches, and
//!   the commit takes them all in at once, sorted (`{"committed": n}`, the
//!   concerts new to the store): far faster for millions of concerts.
//!   Staging a batch twice is harmless. Every write needs the import token.
//! - `GET /version`: `{"version": "..."}`, the name of the data's state; it
//!   changes with every import (the gateway tags its answers with it).
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bootstrap::RecordStore;
use bootstrap::records::{import, ready, version};
use bootstrap::settings::{Limits, Writes};
use concerts_model::{CONCERT_SCHEMA, Concert, ConcertFilter, ConcertRow, ConcertSearch, rows};
use exceptions::{HttpError, StoreError};
use futures::StreamExt;
use validator::{CompiledSchema, FromBody, Schema, SchemaError, ValidatedJson};

use crate::store::{ConcertPages, ConcertStore};

/// Concerts read from the store at a time for an answer without a limit.
const STREAMED_PAGE: usize = 5000;

type Store = Arc<dyn ConcertStore>;

pub fn router(store: Store, limits: &Limits, writes: &Writes) -> Result<Router, SchemaError> {
    SearchRequest::schema().map_err(Clone::clone)?;
    let staging: Arc<dyn RecordStore<Concert>> = Arc::new(Staging(store.clone()));
    let api = Router::new()
        .route("/concerts/search", post(search))
        .route("/version", version(store.clone()))
        .route("/concerts", import("concerts import", CONCERT_SCHEMA, store.clone(), writes)?)
        .route("/concerts/staged", import("staged concerts", CONCERT_SCHEMA, staging, writes)?)
        .route("/concerts/staged/commit", bootstrap::only_with_token(post(commit_staged), writes))
        .with_state(store.clone());
    Ok(bootstrap::service_router(api, ready(store), limits))
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
    limit: Option<usize>,
    after: Option<Concert>,
}

static SEARCH: CompiledSchema = CompiledSchema::new(|| {
    Schema::from_json_text("ConcertSearch", include_str!("../schemas/concert-search.schema.json"))
});

impl FromBody for SearchRequest {
    type Params = ConcertSearch;

    fn schema() -> Result<&'static Schema, &'static SchemaError> {
        SEARCH.as_ref()
    }

    fn parse(ConcertSearch { filter, limit, after }: ConcertSearch) -> Result<Self, HttpError> {
        Ok(Self { filter, limit, after })
    }
}

/// The store as `PUT /concerts/staged` writes to it: each batch staged.
struct Staging(Arc<dyn ConcertStore>);

#[async_trait::async_trait]
impl RecordStore<Concert> for Staging {
    async fn upsert(&self, concerts: Vec<Concert>) -> Result<usize, StoreError> {
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
    ValidatedJson(SearchRequest { filter, limit, after }): ValidatedJson<SearchRequest>,
) -> Result<Response, HttpError> {
    let format = Format::asked_by(&headers);
    let pages = store.search(filter);
    let Some(limit) = limit else { return streamed(format, pages, after).await };
    let concerts = pages.page(after, limit).await?;
    Ok(format.answer(Body::from(format.write(&concerts, true, true))))
}

/// Every match, page by page. The first page is read before answering, so
/// that a failing store still gets its error status; a failure after it can
/// only cut the answer short.
async fn streamed(format: Format, pages: Box<dyn ConcertPages>, after: Option<Concert>) -> Result<Response, HttpError> {
    let first = pages.page(after, STREAMED_PAGE).await?;
    let Some(&last) = first.last().filter(|_| first.len() == STREAMED_PAGE) else {
        return Ok(format.answer(Body::from(format.write(&first, true, true))));
    };
    let opening = Bytes::from(format.write(&first, true, false));
    let rest = futures::stream::unfold(Some((pages, last)), move |next| async move {
        let (pages, after) = next?;
        match pages.page(Some(after), STREAMED_PAGE).await {
            Ok(page) => {
                let more = page.len() == STREAMED_PAGE;
                let chunk = Bytes::from(format.write(&page, false, !more));
                let next = page.last().copied().filter(|_| more).map(|last| (pages, last));
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
