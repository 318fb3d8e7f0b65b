//! The public HTTP API: `GET /concerts`, `GET /health`, Swagger UI at `/api`
//! and the OpenAPI document at `/api-json`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use exceptions::{ErrorBody, HttpError};
use serde_json::{Value, json};
use utoipa_swagger_ui::SwaggerUi;
use validator::{Schema, SchemaError};

use crate::clients::Services;
use crate::openapi;
use crate::query::{self, ConcertsQuery};
use crate::search::{ConcertView, find_concerts};

#[derive(Clone)]
struct AppState {
    services: Services,
    query_schema: Arc<Schema>,
}

pub fn router(services: Services) -> Result<Router, SchemaError> {
    let query_schema = query::schema()?;
    let document = openapi::document(query_schema.source());
    let state = AppState { services, query_schema: Arc::new(query_schema) };
    let router = Router::new()
        .route("/concerts", get(concerts))
        .route("/health", get(health))
        .with_state(state)
        .merge(SwaggerUi::new("/api").external_url_unchecked("/api-json", document));
    Ok(bootstrap::with_common_layers(router))
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
async fn concerts(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Result<Json<Vec<ConcertView>>, HttpError> {
    let query: ConcertsQuery = state.query_schema.parse_query(raw.as_deref())?;
    Ok(Json(find_concerts(&state.services, &query).await?))
}

/// Liveness: the gateway process answers.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "Alive", example = json!({"status": "ok"}))))]
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[doc(hidden)]
pub mod doc {
    //! Paths for the OpenAPI derive, which needs them by path.
    pub use super::{__path_concerts, __path_health};
}
