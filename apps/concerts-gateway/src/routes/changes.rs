//! `GET /changes`: every change of the catalogue, in commit order, page by
//! page ([`crate::feed`]).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use exceptions::{ErrorBody, HttpError};
use validator::Validated;

use crate::context::RequestContext;
use crate::feed::{self, FeedChange};
use crate::paging;
use crate::query::ChangesQuery;
use crate::state::State as Shared;

/// Follow every change of the catalogue.
///
/// Each band, venue and concert created, updated or deleted, in the order
/// the changes were committed (a concert never before its band and its
/// venue); an import is one change of kind `bulk`, which tells a follower
/// to read the catalogue again. Start without `since` (from the oldest
/// change kept), then follow the `Link` header (`rel="next"`), or give the
/// `cursor` of the last change read as `since`: no change is missed or
/// repeated. With `wait`, an empty page waits up to that many seconds for
/// a change, so that a follower keeps up live. A `since` older than the
/// changes kept gets 410: read the catalogue again, then follow from a
/// first page.
#[utoipa::path(
    get,
    path = "/changes",
    tag = "changes",
    operation_id = "followChanges",
    responses(
        (status = 200, description = "The next changes, oldest first; `[]` when there is nothing new (yet)", body = Vec<FeedChange>,
            headers(("link" = String, description = "Always: `</changes?since=...&limit=...>; rel=\"next\"`, where the next page starts"))),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["since is not a cursor this API gave out: take it from a change or from the previous page's Link header"],
                "errors": [{"code": "invalid_cursor", "parameter": "since", "message": "since is not a cursor this API gave out: take it from a change or from the previous page's Link header"}]})),
        (status = 410, description = "Changes after `since` were compacted away: read the catalogue again", body = ErrorBody),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable", body = ErrorBody),
        (status = 504, description = "A service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn follow_changes(
    State(gateway): State<Shared>,
    context: RequestContext,
    Validated(query): Validated<ChangesQuery>,
) -> Result<Response, HttpError> {
    let page = feed::read(&gateway.services, &context, &query).await?;
    let mut response = Json(page.changes).into_response();
    let headers = response.headers_mut();
    // What the feed holds changes with every write: never kept by a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(link) = paging::next_link("/changes", &query.next_page(page.next)) {
        headers.insert(header::LINK, link);
    }
    Ok(response)
}
