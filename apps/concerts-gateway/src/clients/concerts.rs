//! Client of the concerts service.

use concerts_model::{Concert, ConcertRow, ConcertSearch};
use exceptions::HttpError;

use super::{RequestContext, ServiceClient};

#[derive(Clone)]
pub struct ConcertsClient(pub(crate) ServiceClient);

impl ConcertsClient {
    pub(crate) fn new(client: ServiceClient) -> Self {
        Self(client)
    }

    /// The concerts matching `search`, newest first.
    pub async fn search(&self, context: &RequestContext, search: &ConcertSearch) -> Result<Vec<Concert>, HttpError> {
        let rows: Vec<ConcertRow> = self.0.post_query(context, "/concerts/search", search).await?;
        Ok(rows.into_iter().map(Concert::from).collect())
    }
}
