//! `GET /concerts`: concerts by bands and/or place, newest first, soonest
//! first or nearest first, one page with a `Link` to the next, or every
//! match streamed.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use exceptions::{ErrorBody, HttpError};
use futures::StreamExt;
use validator::Validated;

use crate::answer::{self, ConcertView};
use crate::calendar;
use crate::context::RequestContext;
use crate::freshness::Conditional;
use crate::paging;
use crate::plan::{Page, Pages, Plan};
use crate::query::{ConcertsQuery, Paging};
use crate::state::{Gateway, State as Shared};

/// Find concerts by bands and/or place.
///
/// Give `bandIds`, or `latitude`, `longitude` and `radius` together, or all
/// four (then a concert must match both). Concerts come newest first (ties:
/// band id, then venue id, descending), or as `sort` says: `date`, soonest
/// first; `distance` (with a circle), the nearest venue first, each venue's
/// concerts soonest first. With `limit`, the answer is one page
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
        (status = 200, description = "The matching concerts in the order `sort` says (newest first by default); `[]` when none match", body = Vec<ConcertView>,
            headers(("link" = String, description = "With `limit`, when another page follows: `</concerts?...&cursor=...>; rel=\"next\"`"))),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["latitude must be <= 90", "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, sort, status, to)"],
                "errors": [{"code": "out_of_range", "parameter": "latitude", "message": "latitude must be <= 90"},
                    {"code": "unknown_parameter", "parameter": "bandId", "message": "bandId is not a known parameter (known: bandIds, cursor, from, latitude, limit, longitude, radius, sort, status, to)"}]})),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable, or the gateway is at capacity (then with `Retry-After`)", body = ErrorBody,
            example = json!({"statusCode": 503, "error": "Service Unavailable", "message": ["the venues service is unreachable"],
                "errors": [{"code": "service_unavailable", "message": "the venues service is unreachable"}]})),
        (status = 504, description = "A service did not answer in time, or the request passed its deadline", body = ErrorBody),
    )
)]
pub(crate) async fn find_concerts(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(query): Validated<ConcertsQuery>,
) -> Result<Response, HttpError> {
    let tag = gateway.concerts_tag("/concerts", &query).await;
    conditional.answer(tag, answer(&gateway, &query, context)).await
}

/// Find concerts, as a calendar to subscribe to.
///
/// The same search as `GET /concerts` (every parameter, the same rules),
/// answered as an RFC 5545 calendar (`text/calendar`): one event per
/// concert, its UID from the concert's id, the band as the summary, the
/// venue as the location with its position (`GEO`), `STATUS:CANCELLED` for
/// a cancelled concert. At most `ICS_MAX_EVENTS` events (1,000 by default),
/// the first of the search in its order; with `limit`, that many, and a
/// `Link` to the next calendar.
#[utoipa::path(
    get,
    path = "/concerts.ics",
    tag = "concerts",
    operation_id = "concertsCalendar",
    responses(
        (status = 200, description = "The matching concerts as a calendar", content_type = "text/calendar", body = String,
            headers(("link" = String, description = "With `limit`, when another page follows: `</concerts.ics?...&cursor=...>; rel=\"next\"`"))),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable, or the gateway is at capacity", body = ErrorBody),
        (status = 504, description = "A service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn concerts_calendar(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(query): Validated<ConcertsQuery>,
) -> Result<Response, HttpError> {
    let tag = gateway.concerts_tag("/concerts.ics", &query).await;
    conditional.answer(tag, calendar_answer(&gateway, &query, context)).await
}

/// The calendar of the search's first `ICS_MAX_EVENTS` concerts (or of its
/// page, with a `Link` to the next).
async fn calendar_answer(
    gateway: &Gateway,
    query: &ConcertsQuery,
    context: RequestContext,
) -> Result<Response, HttpError> {
    let (limit, after, paged) = match query.paging {
        Paging::Page { limit, after } => (limit.min(gateway.ics_max_events), after, true),
        Paging::Everything => (gateway.ics_max_events, None, false),
    };
    let page = one_page(gateway, query, &context, after, limit).await?;
    let next = page.next_after.as_ref().filter(|_| paged).and_then(|last| query.next_page(last));
    let mut response = ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], calendar::of(&page)).into_response();
    if let Some(link) = next.and_then(|next| paging::next_link("/concerts.ics", &next)) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// The answer: one page with a `Link` to the next, or every match streamed.
async fn answer(gateway: &Gateway, query: &ConcertsQuery, context: RequestContext) -> Result<Response, HttpError> {
    let deadline = gateway.deadline.0;
    match query.paging {
        Paging::Page { limit, after } => {
            let page = one_page(gateway, query, &context, after, limit).await?;
            let next = page.next_after.as_ref().and_then(|last| query.next_page(last));
            let mut response = json_answer(answer::array(&page));
            if let Some(link) = next.and_then(|next| paging::next_link("/concerts", &next)) {
                response.headers_mut().insert(header::LINK, link);
            }
            Ok(response)
        }
        Paging::Everything => {
            let (first, pages) = within(deadline, &context, async {
                let Some(plan) = Plan::start(&gateway.services, query, &context).await? else {
                    return Ok((Page::default(), None));
                };
                let mut pages = Arc::new(plan).pages(&context, gateway.stream_page).await?;
                let first = pages.next(&context).await?.unwrap_or_default();
                Ok((first, Some(pages)))
            })
            .await?;
            Ok(stream_all(first, pages.filter(|pages| !pages.is_done()), context))
        }
    }
}

/// The search's page of at most `limit` concerts after `after`, within the deadline.
async fn one_page(
    gateway: &Gateway,
    query: &ConcertsQuery,
    context: &RequestContext,
    after: Option<paging::After>,
    limit: usize,
) -> Result<Page, HttpError> {
    within(gateway.deadline.0, context, async {
        let Some(plan) = Plan::start(&gateway.services, query, context).await? else {
            return Ok(Page::default());
        };
        plan.page(context, after, limit).await
    })
    .await
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
