//! `GET /concerts`: concerts by bands and/or place, newest first, one page
//! with a `Link` to the next, or every match streamed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bootstrap::REQUEST_ID;
use exceptions::{ErrorBody, HttpError};
use futures::StreamExt;
use validator::Schema;

use crate::answer;
use crate::clients::{RequestContext, Services};
use crate::freshness::{Freshness, Tag};
use crate::paging;
use crate::query::ConcertsQuery;
use crate::search::{ConcertView, Page, Pages, Search};

/// What the route needs, shared by every request (behind one `Arc`: axum
/// clones the state per request).
pub struct ConcertsRoute {
    pub services: Arc<Services>,
    pub query_schema: Schema,
    pub request_deadline: Duration,
    pub stream_page: usize,
    pub freshness: Freshness,
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
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["latitude must be <= 90", "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, to)"]})),
        (status = 414, description = "The query string is longer than the gateway accepts", body = ErrorBody),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable, or the gateway is at capacity (then with `Retry-After`)", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"]})),
        (status = 504, description = "A service did not answer in time, or the request passed its deadline", body = ErrorBody),
    )
)]
pub(crate) async fn find_concerts(
    State(state): State<Arc<ConcertsRoute>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let query: ConcertsQuery = state.query_schema.parse_query(raw.as_deref())?;
    let after = query.cursor.as_deref().map(paging::decode_cursor).transpose()?;
    let dates = query.dates()?;
    let request_id = headers.get(REQUEST_ID).and_then(|id| id.to_str().ok()).map(str::to_owned);
    let context = RequestContext::new(request_id, state.request_deadline);
    let tag = state.services.versions().await.map(|versions| {
        let reads = [&versions.bands, &versions.venues, &versions.concerts];
        Tag::of("/concerts", &query.normalized(&dates), &reads.map(String::as_str))
    });
    if let Some(unchanged) = state.freshness.unchanged(&headers, tag.as_ref()) {
        return Ok(unchanged);
    }
    let mut response = answer_of(&state, &query, raw.as_deref(), after, context).await?;
    state.freshness.stamp(&mut response, tag.as_ref());
    Ok(response)
}

/// The answer: one page with a `Link` to the next, or every match streamed.
async fn answer_of(
    state: &ConcertsRoute,
    query: &ConcertsQuery,
    raw: Option<&str>,
    after: Option<concerts_model::Concert>,
    context: RequestContext,
) -> Result<Response, HttpError> {
    let deadline = state.request_deadline;
    match query.limit {
        Some(limit) => {
            let page = within(deadline, &context, async {
                let Some(search) = Search::start(&state.services, query, &context).await? else {
                    return Ok(Page::default());
                };
                search.page(&context, after, limit).await
            })
            .await?;
            let link = page.next_after.as_ref().and_then(|last| paging::next_link("/concerts", raw, last));
            let mut response = json_answer(answer::array(&page));
            if let Some(link) = link {
                response.headers_mut().insert(header::LINK, link);
            }
            Ok(response)
        }
        None => {
            let (first, pages) = within(deadline, &context, async {
                let Some(search) = Search::start(&state.services, query, &context).await? else {
                    return Ok((Page::default(), None));
                };
                let mut pages = Arc::new(search).pages(&context, after, state.stream_page).await?;
                let first = pages.next(&context).await?.unwrap_or_default();
                Ok((first, Some(pages)))
            })
            .await?;
            Ok(stream_all(first, pages.filter(|pages| !pages.is_done()), context))
        }
    }
}

/// `work`, bounded by the request's deadline. Each call already stops at the
/// deadline; this bounds the whole, whatever it awaits.
async fn within<T>(
    deadline: Duration,
    context: &RequestContext,
    work: impl Future<Output = Result<T, HttpError>>,
) -> Result<T, HttpError> {
    tokio::time::timeout(deadline, work).await.map_err(|_| context.deadline_passed())?
}

fn json_answer(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body.into()).into_response()
}

/// The whole answer as one JSON array, written page by page as the pages
/// come: the gateway never holds more than one page. An answer of one page
/// is sent whole. Each later page has its own deadline; a failure after the
/// first byte can only cut the answer short (and is logged), since the
/// status is already sent.
fn stream_all(first: Page, rest: Option<Pages>, context: RequestContext) -> Response {
    let Some(pages) = rest else {
        // The whole answer is one page: sent with its length, as the paged answers are.
        return json_answer(answer::array(&first));
    };
    let mut opening = vec![b'['];
    answer::write_items(&first, true, &mut opening);
    let written = !first.is_empty();
    let rest = futures::stream::unfold(Some((pages, written)), move |state| {
        let context = context.renewed();
        async move {
            let (mut pages, written) = state?;
            match pages.next(&context).await {
                Ok(Some(page)) => {
                    let mut chunk = Vec::new();
                    answer::write_items(&page, !written, &mut chunk);
                    Some((Ok(Bytes::from(chunk)), Some((pages, written || !page.is_empty()))))
                }
                Ok(None) => Some((Ok(Bytes::from_static(b"]")), None)),
                Err(error) => {
                    tracing::error!(%error, "streamed answer cut short");
                    Some((Err(std::io::Error::other(error.to_string())), None))
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(opening)) })
        .chain(rest)
        // A body may be polled again after its end (compression does): it stays ended.
        .fuse();
    json_answer(Body::from_stream(body))
}
