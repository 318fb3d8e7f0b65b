//! The public HTTP API: `GET /concerts`, Swagger UI at `/api` and the
//! OpenAPI document at `/api-json`; for operators `GET /health`, `GET /ready`
//! and `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bootstrap::REQUEST_ID;
use exceptions::{ErrorBody, HttpError};
use serde_json::{Value, json};
use utoipa_swagger_ui::SwaggerUi;
use validator::{Schema, SchemaError};

use crate::answer;
use crate::clients::{RequestContext, Services};
use crate::config::Config;
use crate::openapi;
use crate::paging;
use crate::query::{self, ConcertsQuery};
use crate::search::{ConcertView, Page, Search};
use concerts_model::Concert;
use futures::StreamExt;

/// Shared by every request (behind one `Arc`: axum clones the state per request).
struct AppState {
    services: Arc<Services>,
    query_schema: Schema,
    request_deadline: Duration,
    stream_page: usize,
}

pub fn router(services: Services, config: &Config) -> Result<Router, SchemaError> {
    let query_schema = query::schema()?;
    let document = openapi::document(query_schema.source());
    let state = Arc::new(AppState {
        services: Arc::new(services.clone()),
        query_schema,
        request_deadline: config.request_deadline,
        stream_page: config.stream_page,
    });
    let limits = &config.limits;
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
/// four (then a concert must match both). Concerts come newest first (ties:
/// band id, then venue id, descending). With `limit`, the answer is one page
/// and, when more follow, a `Link: <...>; rel="next"` header gives the URL of
/// the next page (the same query with a `cursor`); pages stay consistent while
/// concerts are added. Without `limit`, the answer is every match, streamed.
/// The whole query is validated by the JSON Schema `ConcertsQuery` (see
/// Schemas); every problem is reported at once.
#[utoipa::path(
    get,
    path = "/concerts",
    tag = "concerts",
    operation_id = "findConcerts",
    responses(
        (status = 200, description = "The matching concerts, newest first; `[]` when none match", body = Vec<ConcertView>,
            headers(("link" = String, description = "With `limit`, when another page follows: `</concerts?...&cursor=...>; rel=\"next\"`"))),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["latitude must be <= 90", "bandId is not a known parameter (known: bandIds, cursor, latitude, limit, longitude, radius)"]})),
        (status = 414, description = "The query string is longer than the gateway accepts", body = ErrorBody),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable, or the gateway is at capacity (then with `Retry-After`)", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"]})),
        (status = 504, description = "A service did not answer in time, or the request passed its deadline", body = ErrorBody),
    )
)]
async fn concerts(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let query: ConcertsQuery = state.query_schema.parse_query(raw.as_deref())?;
    let after = query.cursor.as_deref().map(paging::decode_cursor).transpose()?;
    let request_id = headers.get(REQUEST_ID).and_then(|id| id.to_str().ok()).map(str::to_owned);
    let context = RequestContext::new(request_id, state.request_deadline);
    let page_size = query.limit.unwrap_or(state.stream_page);
    // Each call already stops at the deadline; this bounds the whole, whatever it awaits.
    let first = tokio::time::timeout(state.request_deadline, async {
        let Some(search) = Search::start(&state.services, &query, &context).await? else {
            return Ok((None, Page::default()));
        };
        let page = search.page(&context, after, page_size).await?;
        Ok::<_, HttpError>((Some(search), page))
    })
    .await
    .map_err(|_| context.deadline_passed())??;

    match (query.limit, first) {
        (Some(_), (_, page)) => {
            let link = page.next_after.as_ref().and_then(|last| paging::next_link("/concerts", raw.as_deref(), last));
            let mut response = ([(header::CONTENT_TYPE, "application/json")], answer::array(&page)).into_response();
            if let Some(link) = link {
                response.headers_mut().insert(header::LINK, link);
            }
            Ok(response)
        }
        (None, (search, page)) => Ok(stream_all(search, page, context, state.stream_page)),
    }
}

/// The whole answer as one JSON array, written page by page as the pages
/// come: the gateway never holds more than one page. An answer of one page
/// is sent whole. Each later page has its own deadline; a failure after the
/// first byte can only cut the answer short (and is logged), since the
/// status is already sent.
fn stream_all(search: Option<Search>, first: Page, context: RequestContext, page_size: usize) -> Response {
    enum Next {
        Page(Concert),
        Close,
        Done,
    }
    let Some(after) = first.next_after else {
        // The whole answer is one page: sent with its length, as the paged answers are.
        return ([(header::CONTENT_TYPE, "application/json")], answer::array(&first)).into_response();
    };
    let mut opening = vec![b'['];
    answer::write_items(&first, true, &mut opening);
    let written = !first.is_empty();
    let rest = futures::stream::unfold((search, Next::Page(after), written), move |(search, next, written)| {
        let context = context.clone();
        async move {
            match next {
                Next::Done => None,
                Next::Close => Some((Ok(Bytes::from_static(b"]")), (search, Next::Done, written))),
                Next::Page(after) => {
                    let search_ref = search.as_ref()?;
                    let context = RequestContext::new(context.request_id.clone(), context.budget);
                    match search_ref.page(&context, Some(after), page_size).await {
                        Ok(page) => {
                            let mut chunk = Vec::new();
                            answer::write_items(&page, !written, &mut chunk);
                            let chunk = Bytes::from(chunk);
                            let next = page.next_after.map_or(Next::Close, Next::Page);
                            Some((Ok(chunk), (search, next, written || !page.is_empty())))
                        }
                        Err(error) => {
                            tracing::error!(%error, "streamed answer cut short");
                            Some((Err(std::io::Error::other(error.to_string())), (search, Next::Done, written)))
                        }
                    }
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(opening)) }).chain(rest);
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(body)).into_response()
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
