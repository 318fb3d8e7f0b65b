//! `GET /bands` and `GET /venues`: names as people type them, for a search
//! box that suggests as one types; or records by their ids.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bands_model::Band;
use bootstrap::REQUEST_ID;
use exceptions::{ErrorBody, HttpError};
use validator::Schema;
use venues_model::Venue;

use crate::clients::{RequestContext, Services, Versions};
use crate::freshness::{Freshness, Tag};
use crate::query::NamesQuery;

/// What the two routes need, shared by every request.
pub struct NamesRoute {
    pub services: Arc<Services>,
    pub bands_schema: Schema,
    pub venues_schema: Schema,
    pub request_deadline: std::time::Duration,
    pub freshness: Freshness,
}

impl NamesRoute {
    fn context(&self, headers: &HeaderMap) -> RequestContext {
        let request_id = headers.get(REQUEST_ID).and_then(|id| id.to_str().ok()).map(str::to_owned);
        RequestContext::new(request_id, self.request_deadline)
    }

    /// `found`'s answer with its tag, or a `304` when the client holds that
    /// tag: the tag of `route`'s `query` over the data version that `reads` picks.
    async fn fresh<T: serde::Serialize>(
        &self,
        route: &str,
        headers: &HeaderMap,
        query: &NamesQuery,
        reads: impl Fn(&Versions) -> &String,
        found: impl AsyncFnOnce() -> Result<Vec<T>, HttpError>,
    ) -> Result<Response, HttpError> {
        let versions = self.services.versions().await;
        let tag = versions.map(|versions| Tag::of(route, &query.normalized(), &[reads(&versions).as_str()]));
        if let Some(unchanged) = self.freshness.unchanged(headers, tag.as_ref()) {
            return Ok(unchanged);
        }
        let mut response = Json(found().await?).into_response();
        self.freshness.stamp(&mut response, tag.as_ref());
        Ok(response)
    }
}

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
            example = json!({"statusCode": 400, "error": "Bad Request", "message": ["q must not be empty or only spaces"]})),
        (status = 503, description = "The bands service is unreachable", body = ErrorBody),
        (status = 504, description = "The bands service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn find_bands(
    State(route): State<Arc<NamesRoute>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let query: NamesQuery = route.bands_schema.parse_query(raw.as_deref())?;
    let (context, bands) = (route.context(&headers), &route.services.bands);
    let named = async |text: &str, limit| bands.named(&context, text, limit).await;
    let by_ids = async |ids: &[i64]| bands.by_ids(&context, ids).await;
    let found = async || answer(&query, named, by_ids, |band| band.id).await;
    route.fresh("/bands", &headers, &query, |versions| &versions.bands, found).await
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
        (status = 503, description = "The venues service is unreachable", body = ErrorBody),
        (status = 504, description = "The venues service did not answer in time", body = ErrorBody),
    )
)]
pub(crate) async fn find_venues(
    State(route): State<Arc<NamesRoute>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let query: NamesQuery = route.venues_schema.parse_query(raw.as_deref())?;
    let (context, venues) = (route.context(&headers), &route.services.venues);
    let named = async |text: &str, limit| venues.named(&context, text, limit).await;
    let by_ids = async |ids: &[i64]| venues.by_ids(&context, ids).await;
    let found = async || answer(&query, named, by_ids, |venue| venue.id).await;
    route.fresh("/venues", &headers, &query, |versions| &versions.venues, found).await
}

/// What either route answers: the records named as `query.q` says, best
/// first, or those of `query.ids`, by id.
async fn answer<T: Clone>(
    query: &NamesQuery,
    named: impl AsyncFnOnce(&str, usize) -> Result<Vec<T>, HttpError>,
    by_ids: impl AsyncFnOnce(&[i64]) -> Result<Vec<Arc<T>>, HttpError>,
    id: fn(&T) -> i64,
) -> Result<Vec<T>, HttpError> {
    match (query.text(), &query.ids) {
        (Some((text, limit)), _) => named(text, limit).await,
        (None, Some(ids)) => {
            let mut found: Vec<T> = by_ids(ids).await?.iter().map(|record| T::clone(record)).collect();
            found.sort_by_key(id);
            Ok(found)
        }
        // The schema asks for one of them; this only guards against the two drifting apart.
        (None, None) => Err(HttpError::bad_request("give q (what the name holds) or ids")),
    }
}
