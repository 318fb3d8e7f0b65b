//! Client of the concerts service.

use concerts_model::{Concert, ConcertSearch};
use exceptions::HttpError;

use super::ServiceClient;

#[derive(Clone)]
pub struct ConcertsClient(ServiceClient);

impl ConcertsClient {
    pub(crate) fn new(client: ServiceClient) -> Self {
        Self(client)
    }

    /// The concerts matching `search`, newest first.
    pub async fn search(&self, search: &ConcertSearch) -> Result<Vec<Concert>, HttpError> {
        self.0.post("/concerts/search", search).await
    }
}
