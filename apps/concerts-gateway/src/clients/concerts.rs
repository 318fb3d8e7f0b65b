//! Client of the concerts service. Searches are answered in binary rows
//! ([`concerts_model::rows`]), the compact form: one page whole, or every
//! match as a stream read at the gateway's pace.

use std::time::Duration;

use concerts_model::{Concert, ConcertCounts, ConcertSearch, CountSearch, rows};
use exceptions::HttpError;

use super::call::{Answer, Failure, JsonAnswer, ServiceClient, unreadable};
use crate::context::RequestContext;

#[derive(Clone)]
pub struct ConcertsClient {
    pub(crate) service: ServiceClient,
}

impl ConcertsClient {
    /// The concerts matching `search` (which has a limit), newest first.
    pub async fn search(&self, context: &RequestContext, search: &ConcertSearch) -> Result<Vec<Concert>, HttpError> {
        let url = self.search_url();
        self.service.call(context, |http| http.post(&url).json(search), RowsAnswer).await
    }

    /// Every concert matching `search` (which has no limit), newest first,
    /// as the service streams them: the search, and so the venues of a
    /// circle, is sent once however long the answer.
    pub async fn stream(&self, context: &RequestContext, search: &ConcertSearch) -> Result<RowStream, HttpError> {
        let url = self.search_url();
        let response = self.service.call(context, |http| http.post(&url).json(search), StreamedRows).await?;
        Ok(RowStream { response, carried: Vec::new(), read_timeout: self.service.policy.timeout })
    }

    /// How many concerts `search` matches, in all and per group.
    pub async fn count(&self, context: &RequestContext, search: &CountSearch) -> Result<ConcertCounts, HttpError> {
        let url = format!("{}/concerts/counts", self.service.base_url);
        self.service.call(context, |http| http.post(&url).json(search), JsonAnswer::new()).await
    }

    fn search_url(&self) -> String {
        format!("{}/concerts/search", self.service.base_url)
    }
}

/// A whole answer of rows.
pub(crate) struct RowsAnswer;

impl Answer for RowsAnswer {
    type Output = Vec<Concert>;

    fn media_type(&self) -> &'static str {
        rows::CONTENT_TYPE
    }

    async fn read(&self, response: reqwest::Response) -> Result<Vec<Concert>, Failure> {
        let body = response.bytes().await.map_err(|e| Failure::BadAnswer(format!("answer was cut short: {e}")))?;
        rows::decode(&body).map_err(|e| unreadable(&e))
    }
}

/// An answer of rows to be read as it comes.
struct StreamedRows;

impl Answer for StreamedRows {
    type Output = reqwest::Response;

    fn media_type(&self) -> &'static str {
        rows::CONTENT_TYPE
    }

    fn read_within_timeout(&self) -> bool {
        false
    }

    async fn read(&self, response: reqwest::Response) -> Result<reqwest::Response, Failure> {
        Ok(response)
    }
}

/// The rows of a streamed search, as they arrive.
pub struct RowStream {
    response: reqwest::Response,
    /// The start of a row whose end has not arrived yet.
    carried: Vec<u8>,
    /// The longest the service may take between two pieces of its answer.
    read_timeout: Duration,
}

impl RowStream {
    /// The next rows that arrived (at least one), or `None` at the end of the answer.
    pub async fn next_rows(&mut self) -> Result<Option<Vec<Concert>>, HttpError> {
        loop {
            let piece = tokio::time::timeout(self.read_timeout, self.response.chunk()).await.map_err(|_| {
                HttpError::GatewayTimeout(format!(
                    "the concerts service stopped sending its answer for {} ms",
                    self.read_timeout.as_millis()
                ))
            })?;
            let piece =
                piece.map_err(|e| HttpError::BadGateway(format!("the concerts service's answer broke off: {e}")))?;
            let Some(piece) = piece else {
                if !self.carried.is_empty() {
                    let length = self.carried.len();
                    return Err(HttpError::BadGateway(format!(
                        "the concerts service's answer ended inside a row ({length} bytes left over)"
                    )));
                }
                return Ok(None);
            };
            // RowsAnswer are read from the piece itself; only a row cut by its end is kept back.
            let bytes: &[u8] = if self.carried.is_empty() {
                &piece
            } else {
                self.carried.extend_from_slice(&piece);
                &self.carried
            };
            let whole = bytes.len() - bytes.len() % rows::ROW_BYTES;
            if whole == 0 {
                self.carried = bytes.to_vec();
                continue;
            }
            let found = rows::decode(&bytes[..whole]).map_err(|e| HttpError::BadGateway(e.to_string()))?;
            self.carried = bytes[whole..].to_vec();
            return Ok(Some(found));
        }
    }
}
