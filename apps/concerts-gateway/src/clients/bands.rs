//! Client of the bands service.

use bands_model::Band;
use exceptions::HttpError;

use super::{RequestContext, ServiceClient};

#[derive(Clone)]
pub struct BandsClient(pub(crate) ServiceClient);

impl BandsClient {
    pub(crate) fn new(client: ServiceClient) -> Self {
        Self(client)
    }

    /// The bands with these ids (those that exist).
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Band>, HttpError> {
        self.0.by_ids(context, "/bands", ids).await
    }
}
