//! Client of the concerts service.

use concerts_model::{Concert, ConcertSearch, rows};
use exceptions::HttpError;

use super::call::Answer;
use super::{RequestContext, ServiceClient};

#[derive(Clone)]
pub struct ConcertsClient(pub(crate) ServiceClient);

impl ConcertsClient {
    pub(crate) fn new(client: ServiceClient) -> Self {
        Self(client)
    }

    /// The concerts matching `search`, newest first (asked as binary rows, the compact form).
    pub async fn search(&self, context: &RequestContext, search: &ConcertSearch) -> Result<Vec<Concert>, HttpError> {
        let answer =
            Answer { media_type: rows::CONTENT_TYPE, decode: |body| rows::decode(body).map_err(|e| e.to_string()) };
        self.0.post_query(context, "/concerts/search", search, answer).await
    }
}
