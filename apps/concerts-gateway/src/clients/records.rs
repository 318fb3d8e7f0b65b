//! Clients of the bands and venues services: the same calls on either (by
//! ids, through the name cache; by name), and the venues' circle.

use std::sync::Arc;

use bands_model::Band;
use exceptions::HttpError;
use futures::future::try_join_all;
use serde::de::DeserializeOwned;
use validator::id_batch::MAX_IDS_PER_LOOKUP;
use venues_model::{PlaceSuggestion, Venue, WithinRadius};

use super::cache::RecordCache;
use super::call::{JsonAnswer, ServiceClient};
use crate::context::RequestContext;

/// A service of named records (`/bands`, `/venues`).
#[derive(Clone)]
pub struct RecordsClient<T: Send + Sync + 'static> {
    pub(crate) service: ServiceClient,
    pub(crate) cache: RecordCache<T>,
    /// Where its records are: `/bands`, `/venues`.
    path: &'static str,
    id: fn(&T) -> i64,
}

pub type BandsClient = RecordsClient<Band>;
pub type VenuesClient = RecordsClient<Venue>;

impl<T: DeserializeOwned + Send + Sync + 'static> RecordsClient<T> {
    pub(crate) fn new(service: ServiceClient, cache: RecordCache<T>, path: &'static str, id: fn(&T) -> i64) -> Self {
        Self { service, cache, path, id }
    }

    /// The record's id.
    pub fn id_of(&self, record: &T) -> i64 {
        (self.id)(record)
    }

    /// The records with these ids (those that exist), in no particular
    /// order: those the cache keeps fresh, and the others fetched (and kept)
    /// in batches of at most [`MAX_IDS_PER_LOOKUP`], sent concurrently. No
    /// id missing, no call.
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Arc<T>>, HttpError> {
        let (mut found, missing) = self.cache.split(ids);
        let batches = missing.chunks(MAX_IDS_PER_LOOKUP).map(|batch| {
            let list: Vec<String> = batch.iter().map(i64::to_string).collect();
            let url = format!("{}{}?ids={}", self.service.base_url, self.path, list.join(","));
            async move { self.service.call(context, |http| http.get(&url), JsonAnswer::<Vec<T>>::new()).await }
        });
        let fetched: Vec<T> = try_join_all(batches).await?.into_iter().flatten().collect();
        found.extend(self.cache.keep(fetched, self.id));
        Ok(found)
    }

    /// At most `limit` records whose name matches `text`, best first.
    pub async fn by_name(&self, context: &RequestContext, text: &str, limit: usize) -> Result<Vec<T>, HttpError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", text)
            .append_pair("limit", &limit.to_string())
            .finish();
        let url = format!("{}{}/search?{query}", self.service.base_url, self.path);
        self.service.call(context, |http| http.get(&url), JsonAnswer::new()).await
    }
}

impl VenuesClient {
    /// Suggestions for a place field: the cities named by `text`, then venues, at most `limit`.
    pub async fn places(
        &self,
        context: &RequestContext,
        text: &str,
        limit: usize,
    ) -> Result<Vec<PlaceSuggestion>, HttpError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", text)
            .append_pair("limit", &limit.to_string())
            .finish();
        let url = format!("{}/places?{query}", self.service.base_url);
        self.service.call(context, |http| http.get(&url), JsonAnswer::new()).await
    }

    /// The ids of the venues within the circle, boundary included, ascending.
    pub async fn within_radius(&self, context: &RequestContext, circle: WithinRadius) -> Result<Vec<i64>, HttpError> {
        // f64's Display is exact and never uses exponents, so the service reads the same numbers.
        let WithinRadius { latitude, longitude, radius } = circle;
        let url = format!(
            "{}/venues/within/ids?latitude={latitude}&longitude={longitude}&radius={radius}",
            self.service.base_url
        );
        self.service.call(context, |http| http.get(&url), JsonAnswer::new()).await
    }

    /// The venues within the circle as `(id, km from the centre)`, nearest
    /// first (ties by id).
    pub async fn nearest_first(
        &self,
        context: &RequestContext,
        circle: WithinRadius,
    ) -> Result<Vec<(i64, f64)>, HttpError> {
        let WithinRadius { latitude, longitude, radius } = circle;
        let url = format!(
            "{}/venues/within/nearest?latitude={latitude}&longitude={longitude}&radius={radius}",
            self.service.base_url
        );
        self.service.call(context, |http| http.get(&url), JsonAnswer::new()).await
    }
}
