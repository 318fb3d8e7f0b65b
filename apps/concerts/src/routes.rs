//! The concerts service's HTTP API (internal: the gateway and the seed tool call it).
//!
//! - `POST /concerts/search` `{"bandIds":[..],"venueIds":[..],"limit":n,"after":{..}}`:
//!   one page of the matching concerts, newest first, each as
//!   `[bandId, venueId, date]` (a body, because a geo search can name
//!   thousands of venues); in binary rows ([`concerts_model::rows`]) when
//!   the request accepts them, as the gateway's do.
//! - `PUT /concerts`: adds a JSON array of concerts (up to 10,000), all or nothing;
//!   concerts already stored are kept once.
//! - `GET /health` (alive), `GET /ready` (`{"status":"ready","empty":bool}`, or 503
//!   when the store cannot be reached), `GET /metrics` (Prometheus).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bootstrap::Limits;
use concerts_model::{CONCERT_SCHEMA, ConcertRow, ConcertSearch, rows};
use exceptions::HttpError;
use validator::{Schema, SchemaError};

use crate::store::ConcertStore;

const SEARCH_SCHEMA: &str = include_str!("../schemas/concert-search.schema.json");

#[derive(Clone)]
struct AppState {
    store: Arc<dyn ConcertStore>,
    search: Arc<Schema>,
}

pub fn router(store: Arc<dyn ConcertStore>, limits: &Limits) -> Result<Router, SchemaError> {
    let state =
        AppState { store: store.clone(), search: Arc::new(Schema::from_json_text("ConcertSearch", SEARCH_SCHEMA)?) };
    let api = Router::new()
        .route("/concerts/search", post(search))
        .route("/concerts", records::import("concerts import", CONCERT_SCHEMA, store.clone())?)
        .with_state(state);
    Ok(bootstrap::service_router(api, records::ready(store), limits))
}

async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let search: ConcertSearch = state.search.parse_json(&body?)?;
    let concerts = state.store.search(search).await?;
    if accepts_rows(&headers) {
        return Ok(([(header::CONTENT_TYPE, rows::CONTENT_TYPE)], rows::encode(&concerts)).into_response());
    }
    Ok(Json(concerts.into_iter().map(ConcertRow::from).collect::<Vec<_>>()).into_response())
}

fn accepts_rows(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| media.split(';').next().is_some_and(|media| media.trim() == rows::CONTENT_TYPE))
}
