//! Client of the bands service.

use std::sync::Arc;

use bands_model::Band;
use exceptions::HttpError;

use super::cache::RecordCache;
use super::call::Json;
use super::{RequestContext, ServiceClient, search_query};

#[derive(Clone)]
pub struct BandsClient {
    pub(crate) service: ServiceClient,
    pub(crate) cache: RecordCache<Band>,
}

impl BandsClient {
    /// The bands with these ids (those that exist), in no particular order.
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Arc<Band>>, HttpError> {
        self.service.by_ids_through(&self.cache, |band| band.id, context, "/bands", ids).await
    }

    /// At most `limit` bands whose name matches `text`, best first.
    pub async fn named(&self, context: &RequestContext, text: &str, limit: usize) -> Result<Vec<Band>, HttpError> {
        let url = format!("{}/bands/search?{}", self.service.base_url, search_query(text, limit));
        self.service.call(context, |http| http.get(&url), Json::answer()).await
    }
}
