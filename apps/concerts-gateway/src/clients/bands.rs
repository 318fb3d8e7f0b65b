//! Client of the bands service.

use std::sync::Arc;

use bands_model::Band;
use exceptions::HttpError;

use super::cache::RecordCache;
use super::{RequestContext, ServiceClient};

#[derive(Clone)]
pub struct BandsClient(pub(crate) ServiceClient, RecordCache<Band>);

impl BandsClient {
    pub(crate) fn new(client: ServiceClient, cache: RecordCache<Band>) -> Self {
        Self(client, cache)
    }

    /// The bands with these ids (those that exist), in no particular order.
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Arc<Band>>, HttpError> {
        self.0.by_ids_through(&self.1, |band| band.id, context, "/bands", ids).await
    }
}
