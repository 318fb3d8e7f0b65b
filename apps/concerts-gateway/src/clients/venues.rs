//! Client of the venues service.

use exceptions::HttpError;
use venues_model::{Venue, WithinRadius};

use super::{RequestContext, ServiceClient};

#[derive(Clone)]
pub struct VenuesClient(pub(crate) ServiceClient);

impl VenuesClient {
    pub(crate) fn new(client: ServiceClient) -> Self {
        Self(client)
    }

    /// The venues with these ids (those that exist).
    pub async fn by_ids(&self, context: &RequestContext, ids: &[i64]) -> Result<Vec<Venue>, HttpError> {
        self.0.by_ids(context, "/venues", ids).await
    }

    /// The venues within the radius, boundary included.
    pub async fn within_radius(&self, context: &RequestContext, area: WithinRadius) -> Result<Vec<Venue>, HttpError> {
        // f64's Display is exact and never uses exponents, so the service reads the same numbers.
        let WithinRadius { latitude, longitude, radius } = area;
        self.0.get(context, &format!("/venues/within?latitude={latitude}&longitude={longitude}&radius={radius}")).await
    }
}
