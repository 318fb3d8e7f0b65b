//! `GET /bands` and `GET /venues`: names as people type them, for a search
//! box that suggests as one types; or records by their ids. `GET /places`:
//! cities and venues together, for a place field.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bands_model::Band;
use exceptions::{ErrorBody, HttpError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::Validated;
use validator::name_search::NameSearch;
use venues_model::{PlaceSuggestion, Venue};

use crate::clients::{RecordsClient, Versions};
use crate::context::RequestContext;
use crate::freshness::Conditional;
use crate::query::NamesQuery;
use crate::state::State as Shared;

/// Find bands by name, or by id.
///
/// With `q`: the bands whose name holds the text, whatever the case, the
/// accents and the punctuation (`sigur ros` finds "Sigur Rós", `husker`
/// "Hüsker Dü"), best first: the whole name, then names starting with it,
/// then names with a word starting with it, then names holding it inside a
/// word (for three characters or more); at most `limit` (10 unless said, 50
/// at most). With `ids`: those bands, by id.
#[utoipa::path(
    get,
    path = "/bands",
    tag = "names",
    operation_id = "findBands",
    responses(
        (status = 200, description = "The bands found, best first; `[]` when none", body = Vec<Band>,
            example = json!([{"id": 1, "name": "3 Doors Down"}])),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["q must not be empty or only spaces"],
                "errors": [{"code": "invalid_format", "parameter": "q", "message": "q must not be empty or only spaces"}]})),
        (status = 502, description = "The bands service answered something unusable", body = ErrorBody),
        (status = 503, description = "The bands service is unreachable", body = ErrorBody),
        (status = 504, description = "The bands service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn find_bands(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(query): Validated<NamesQuery>,
) -> Result<Response, HttpError> {
    let tag = gateway.tag("/bands", &query.normalized(), Versions::bands).await;
    conditional.answer(tag, found(&gateway.services.bands, &context, &query)).await
}

/// Find venues by name (with their city), or by id.
///
/// A venue's name holds its city ("Le Batofar, Paris, France"), so `paris`
/// finds the venues of Paris; the order is the one of `GET /bands`. Each
/// venue comes with its position, so that a page can turn a place into a circle.
#[utoipa::path(
    get,
    path = "/venues",
    tag = "names",
    operation_id = "findVenues",
    responses(
        (status = 200, description = "The venues found, best first; `[]` when none", body = Vec<Venue>,
            example = json!([{"id": 14, "name": "Le Batofar, Paris, France", "latitude": 48.83335, "longitude": 2.3793886}])),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody),
        (status = 502, description = "The venues service answered something unusable", body = ErrorBody),
        (status = 503, description = "The venues service is unreachable", body = ErrorBody),
        (status = 504, description = "The venues service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn find_venues(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(query): Validated<NamesQuery>,
) -> Result<Response, HttpError> {
    let tag = gateway.tag("/venues", &query.normalized(), Versions::venues).await;
    conditional.answer(tag, found(&gateway.services.venues, &context, &query)).await
}

/// Find places, cities first: for a place field that suggests as one types.
///
/// The cities a word of whose name starts with `q` (whatever the case, the
/// accents and the punctuation), best first: the text as the name's start
/// before inside it, then the cities with the most venues. Each has its
/// venues' count and a circle (centre, `radius` in km) that holds all of
/// them, to search the concerts there. Cities take at most half of `limit`
/// (rounded up); the venues found by name (as `GET /venues`) follow.
#[utoipa::path(
    get,
    path = "/places",
    tag = "names",
    operation_id = "findPlaces",
    responses(
        (status = 200, description = "Cities, then venues, best first; `[]` when none", body = Vec<PlaceSuggestion>,
            example = json!([
                {"kind": "city", "label": "Paris, France", "city": "Paris", "region": null, "country": "France",
                 "venues": 17, "latitude": 48.8632, "longitude": 2.3431, "radius": 9.87},
                {"kind": "venue", "id": 376, "label": "Paris Las Vegas, Las Vegas, NV, US",
                 "latitude": 36.1125, "longitude": -115.1707}
            ])),
        (status = 400, description = "The query breaks a rule; each message names the parameter and the rule", body = ErrorBody,
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["q is required"]})),
        (status = 502, description = "The venues service answered something unusable", body = ErrorBody),
        (status = 503, description = "The venues service is unreachable", body = ErrorBody),
        (status = 504, description = "The venues service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn find_places(
    State(gateway): State<Shared>,
    context: RequestContext,
    conditional: Conditional,
    Validated(search): Validated<NameSearch>,
) -> Result<Response, HttpError> {
    let tag = gateway.tag("/places", &format!("{search:?}"), Versions::venues).await;
    let places = async {
        let found = gateway.services.venues.places(&context, &search.q, search.limit).await?;
        Ok(Json(found).into_response())
    };
    conditional.answer(tag, places).await
}

/// What either route answers: the records named as `query` says, best
/// first, or those of its ids, by id.
async fn found<T>(
    records: &RecordsClient<T>,
    context: &RequestContext,
    query: &NamesQuery,
) -> Result<Response, HttpError>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let found = match query {
        NamesQuery::Text { text, limit } => records.by_name(context, text, *limit).await?,
        NamesQuery::Ids(ids) => {
            let mut by_id: Vec<T> = records.by_ids(context, ids).await?.iter().map(|record| T::clone(record)).collect();
            by_id.sort_by_key(|record| records.id_of(record));
            by_id
        }
    };
    Ok(Json(found).into_response())
}
