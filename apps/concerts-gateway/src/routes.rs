//! The public HTTP API: `GET /concerts`, Swagger UI at `/api` and the
//! OpenAPI document at `/api-json`; for operators `GET /health`, `GET /ready`
//! and `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use bootstrap::{Limits, REQUEST_ID};
use exceptions::{ErrorBody, HttpError};
use serde_json::{Value, json};
use utoipa_swagger_ui::SwaggerUi;
use validator::{Schema, SchemaError};

use crate::clients::{RequestContext, Services};
use crate::openapi;
use crate::query::{self, ConcertsQuery};
use crate::search::{ConcertView, find_concerts};

#[derive(Clone)]
struct AppState {
    services: Services,
    query_schema: Arc<Schema>,
    request_deadline: Duration,
}

pub fn router(services: Services, request_deadline: Duration, limits: &Limits) -> Result<Router, SchemaError> {
    let query_schema = query::schema()?;
    let document = openapi::document(query_schema.source());
    let state = AppState { services: services.clone(), query_schema: Arc::new(query_schema), request_deadline };
    let api = Router::new()
        .route("/concerts", get(concerts))
        .with_state(state)
        .merge(SwaggerUi::new("/api").external_url_unchecked("/api-json", document));
    let ready = get(ready).with_state(services);
    Ok(bootstrap::service_router(api, ready, limits))
}

/// Find concerts by bands and/or place.
///
/// Give `bandIds`, or `latitude`, `longitude` and `radius` together, or all
/// four (then a concert must match both). The answer is every matching
/// concert, newest first (ties: band id, then venue id, descending). The whole
/// query is validated by the JSON Schema `ConcertsQuery` (see Schemas); every
/// problem is reported at once.
#[utoipa::path(
    get,
    path = "/concerts",
    tag = "concerts",
    operation_id = "findConcerts",
    responses(
        (status = 200, description = "The matching concerts, newest first; `[]` when none match", body = Vec<ConcertView>),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["latitude must be <= 90", "bandId is not a known parameter (known: bandIds, latitude, longitude, radius)"]})),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"]})),
        (status = 504, description = "A service did not answer in time", body = ErrorBody),
    )
)]
async fn concerts(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<ConcertView>>, HttpError> {
    let query: ConcertsQuery = state.query_schema.parse_query(raw.as_deref())?;
    let request_id = headers.get(REQUEST_ID).and_then(|id| id.to_str().ok()).map(str::to_owned);
    let context = RequestContext::new(request_id, state.request_deadline);
    // Each call already stops at the deadline; this bounds the whole, whatever it awaits.
    match tokio::time::timeout(state.request_deadline, find_concerts(&state.services, &query, &context)).await {
        Ok(found) => Ok(Json(found?)),
        Err(_) => Err(context.deadline_passed()),
    }
}

/// Liveness: the gateway process answers.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "Alive", example = json!({"status": "ok"}))))]
#[allow(dead_code)] // documents bootstrap::alive, which serves the route
async fn health() {}

/// Readiness: every service answers its own readiness probe.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Every service is ready", example = json!({"status": "ready", "services": {"bands": "ready", "venues": "ready", "concerts": "ready"}})),
        (status = 503, description = "A service is not ready", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"]})),
    )
)]
async fn ready(State(services): State<Services>) -> Result<Json<Value>, HttpError> {
    let readiness = services.readiness().await;
    let problems: Vec<String> = readiness
        .iter()
        .filter_map(|(name, verdict)| verdict.as_ref().err().map(|why| format!("the {name} service {why}")))
        .collect();
    if !problems.is_empty() {
        return Err(HttpError::ServiceUnavailable(problems.join("; ")));
    }
    let services: serde_json::Map<String, Value> =
        readiness.into_iter().map(|(name, _)| (name.to_owned(), json!("ready"))).collect();
    Ok(Json(json!({ "status": "ready", "services": services })))
}

#[doc(hidden)]
pub mod doc {
    //! Paths for the OpenAPI derive, which needs them by path.
    pub use super::{__path_concerts, __path_health, __path_ready};
}
