//! `GET /concerts/counts`: a search counted, in all and per group.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use concerts_model::{ConcertCounts, GroupBy};
use exceptions::{ErrorBody, HttpError};
use hashbrown::HashMap;
use validator::Validated;

use crate::context::RequestContext;
use crate::counts::{CountsQuery, CountsView};
use crate::freshness::Conditional;
use crate::plan::Plan;
use crate::state::{Gateway, State as Shared};

/// Count the concerts of a search.
///
/// The same search as `GET /concerts` (`bandIds`, a circle, or both;
/// `from`, `to` and `status` narrow it), answered with how many concerts
/// match, and with `by`, how many per calendar month or year (UTC), per
/// venue, or per band (with `bandIds`). Counts are added up from counts
/// kept per band, venue and month as concerts are written, not read
/// concert by concert: a count of the whole planet costs about what one of
/// a city does.
#[utoipa::path(
    get,
    path = "/concerts/counts",
    tag = "concerts",
    operation_id = "countConcerts",
    responses(
        (status = 200, description = "How many concerts match, in all and per group", body = CountsView),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["by=band needs bandIds: a circle's count is split by month, year or venue"]})),
        (status = 502, description = "A service answered something unusable", body = ErrorBody),
        (status = 503, description = "A service is unreachable, or the gateway is at capacity", body = ErrorBody),
        (status = 504, description = "A service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn count_concerts(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(query): Validated<CountsQuery>,
) -> Result<Response, HttpError> {
    let route = format!("/concerts/counts?by={:?}", query.by);
    let tag = gateway.concerts_tag(&route, &query.search).await;
    conditional.answer(tag, answer(&gateway, &query, context)).await
}

async fn answer(gateway: &Gateway, query: &CountsQuery, context: RequestContext) -> Result<Response, HttpError> {
    let work = async {
        let Some(plan) = Plan::start(&gateway.services, &query.search, &context).await? else {
            return Ok(CountsView::of(ConcertCounts::default(), query.by, |_| None));
        };
        let counts = plan.count(&context, query.by).await?;
        let ids: Vec<i64> = counts.groups.iter().map(|(id, _)| *id).collect();
        // The venues' and bands' names, for the groups that are theirs.
        let names: HashMap<i64, String> = match query.by {
            Some(GroupBy::Venue) => {
                let venues = gateway.services.venues.by_ids(&context, &ids).await?;
                venues.iter().map(|venue| (venue.id, venue.name.clone())).collect()
            }
            Some(GroupBy::Band) => {
                let bands = gateway.services.bands.by_ids(&context, &ids).await?;
                bands.iter().map(|band| (band.id, band.name.clone())).collect()
            }
            _ => HashMap::new(),
        };
        Ok::<_, HttpError>(CountsView::of(counts, query.by, |id| names.get(&id).cloned()))
    };
    let view = tokio::time::timeout(gateway.deadline.0, work).await.map_err(|_| context.deadline_passed())??;
    Ok(Json(view).into_response())
}
