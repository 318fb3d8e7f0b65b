//! Client of the venues service.

use std::sync::Arc;

use exceptions::HttpError;
use venues_model::{Venue, WithinRadius};

use super::cache::RecordCache;
use super::call::Json;
use super::{RequestContext, ServiceClient, search_query};

#[derive(Clone)]
pub struct VenuesClient {
    pub(crate) service: ServiceClient,
    pub(crate) cache: RecordCache<Venue>,
}

impl VenuesClient {
    /// The venues with these ids (those that exist), in no particular order.
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Arc<Venue>>, HttpError> {
        self.service.by_ids_through(&self.cache, |venue| venue.id, context, "/venues", ids).await
    }

    /// At most `limit` venues whose name (with its city) matches `text`, best first.
    pub async fn named(&self, context: &RequestContext, text: &str, limit: usize) -> Result<Vec<Venue>, HttpError> {
        let url = format!("{}/venues/search?{}", self.service.base_url, search_query(text, limit));
        self.service.call(context, |http| http.get(&url), Json::answer()).await
    }

    /// The ids of the venues within the radius, boundary included, ascending.
    pub async fn ids_within_radius(&self, context: &RequestContext, area: WithinRadius) -> Result<Vec<i64>, HttpError> {
        // f64's Display is exact and never uses exponents, so the service reads the same numbers.
        let WithinRadius { latitude, longitude, radius } = area;
        let url = format!(
            "{}/venues/within/ids?latitude={latitude}&longitude={longitude}&radius={radius}",
            self.service.base_url
        );
        self.service.call(context, |http| http.get(&url), Json::answer()).await
    }
}
